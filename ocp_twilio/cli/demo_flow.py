"""The demo's scripted agent: a whole card payment on a simulated call, step by step.

Each step is what an LLM agent would do with the tools; one deliberately bad call shows that
invalid arguments are refused before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .._agent import OCPAgent
from .._exceptions import InvalidArguments, OCPError
from ..sandbox import Sandbox, SessionState

__all__ = ["CALLBACK_URL", "CAPTURES", "DemoStep", "Report", "run_demo"]

# Not on loopback: the sandbox records the events and sends nothing.
CALLBACK_URL = "https://agent.example/pay-status"
CAPTURES = ("payment-card-number", "expiration-date", "security-code", "postal-code")
ORDER = "demo-order-42"
# The tools by the names a model is given (the short names would find them too).
CREATE = "api_v2010__createPayments"
UPDATE = "api_v2010__updatePayments"


@dataclass
class DemoStep:
    title: str
    tool: str | None = None
    sent: dict[str, Any] | None = None
    result: Any = None
    error: str | None = None
    refused_before_sending: bool = False
    callback: dict[str, str] = field(default_factory=dict)


Report = Callable[[DemoStep], None]


async def run_demo(sandbox: Sandbox, agent: OCPAgent, report: Report) -> bool:
    """Run the script, reporting each step as it ends; True when the payment completed."""
    script = _Script(sandbox, agent, report)
    call_sid = sandbox.start_call()
    report(DemoStep("Start a simulated live call (sandbox-only helper)", result={"sid": call_sid}))

    start = {
        "CallSid": call_sid,
        "IdempotencyKey": f"{ORDER}-start",
        "StatusCallback": CALLBACK_URL,
        "ChargeAmount": 25.5,
        "Currency": "USD",
        "Description": "Order 42",
    }
    created = await script.call("Start a payment on the call", CREATE, start)
    if created is None:
        return False
    payment = {"CallSid": call_sid, "Sid": created["sid"], "StatusCallback": CALLBACK_URL}

    bad = {**payment, "IdempotencyKey": f"{ORDER}-bad", "Capture": "card-number"}
    if not await script.refused("A bad call: wrong field name, Capture and Status together",
                                UPDATE, {**bad, "Status": "complete"}):  # fmt: skip
        return False

    for capture in CAPTURES:
        step = {**payment, "IdempotencyKey": f"{ORDER}-{capture}", "Capture": capture}
        if await script.call(f"Ask the caller for the {capture}", UPDATE, step) is None:
            return False

    done = {**payment, "IdempotencyKey": f"{ORDER}-complete", "Status": "complete"}
    if await script.call("Submit the payment", UPDATE, done) is None:
        return False
    return sandbox.payment(created["sid"]).state is SessionState.COMPLETE


@dataclass
class _Script:
    sandbox: Sandbox
    agent: OCPAgent
    report: Report

    async def call(self, title: str, tool: str, arguments: dict[str, Any]) -> Any:
        """Call ``tool``; report what was sent, what came back and the event it caused.

        Returns the result, or None when the call failed.
        """
        step = DemoStep(title, tool, arguments)
        events_before = len(self.sandbox.events())
        try:
            step.result = await self.agent.call_tool(tool, arguments)
        except OCPError as exc:
            step.error = str(exc)
        new_events = self.sandbox.events()[events_before:]
        if new_events:
            step.callback = new_events[-1].fields
        self.report(step)
        return step.result if step.error is None else None

    async def refused(self, title: str, tool: str, arguments: dict[str, Any]) -> bool:
        """Make a call that validation must refuse; True when it did and nothing was sent."""
        step = DemoStep(title, tool, arguments)
        received = self.sandbox.state.requests_received
        refused = False
        try:
            await self.agent.call_tool(tool, arguments)
        except InvalidArguments as exc:
            refused, step.error = True, str(exc)
        except OCPError as exc:
            step.error = f"not refused by validation: {exc}"
        else:
            step.error = "not refused: the call succeeded"
        step.refused_before_sending = refused and self.sandbox.state.requests_received == received
        self.report(step)
        return step.refused_before_sending
