"""The demo's scripted agent: a whole card payment on a simulated call, step by step.

Each step is what an LLM agent would do with the tools; one deliberately bad call shows that
invalid arguments are refused before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..agent import OCPAgent
from ..errors import InvalidArguments, OCPError
from ..sandbox import Sandbox, SessionState

__all__ = ["CALLBACK_URL", "CAPTURES", "DemoStep", "Report", "run_demo"]

# Not on loopback: the sandbox records the events and sends nothing.
CALLBACK_URL = "https://agent.example/pay-status"
CAPTURES = ("payment-card-number", "expiration-date", "security-code", "postal-code")


@dataclass
class DemoStep:
    title: str
    tool: str | None = None
    sent: dict[str, Any] | None = None
    result: Any = None
    error: str | None = None
    refused_before_sending: bool = False
    callback: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None or self.refused_before_sending


Report = Callable[[DemoStep], None]


async def run_demo(sandbox: Sandbox, agent: OCPAgent, report: Report) -> bool:
    """Run the script, reporting each step as it ends; True when the payment completed."""
    call_sid = sandbox.start_call()
    report(DemoStep("Start a simulated live call (sandbox-only helper)", result={"sid": call_sid}))

    created = await _tool_step(
        sandbox,
        agent,
        report,
        "Start a payment on the call",
        "createPayments",
        {
            "CallSid": call_sid,
            "IdempotencyKey": "demo-order-42-start",
            "StatusCallback": CALLBACK_URL,
            "ChargeAmount": 25.5,
            "Currency": "USD",
            "Description": "Order 42",
        },
    )
    if created is None:
        return False
    payment = {"CallSid": call_sid, "Sid": created["sid"], "StatusCallback": CALLBACK_URL}

    await _refused_step(
        sandbox,
        agent,
        report,
        {
            **payment,
            "IdempotencyKey": "demo-order-42-bad",
            "Capture": "card-number",
            "Status": "complete",
        },
    )

    for capture in CAPTURES:
        step = {**payment, "IdempotencyKey": f"demo-order-42-{capture}", "Capture": capture}
        if (
            await _tool_step(
                sandbox, agent, report, f"Ask the caller for the {capture}", "updatePayments", step
            )
            is None
        ):
            return False

    done = {**payment, "IdempotencyKey": "demo-order-42-complete", "Status": "complete"}
    if (
        await _tool_step(sandbox, agent, report, "Submit the payment", "updatePayments", done)
        is None
    ):
        return False
    return sandbox.payment(created["sid"]).state is SessionState.COMPLETE


async def _tool_step(
    sandbox: Sandbox,
    agent: OCPAgent,
    report: Report,
    title: str,
    tool: str,
    arguments: dict[str, Any],
) -> Any:
    """Call ``tool``; report what was sent, what came back and the callback event it caused."""
    step = DemoStep(title, tool, arguments)
    events_before = len(sandbox.events())
    try:
        step.result = await agent.call_tool(tool, arguments)
    except OCPError as exc:
        step.error = str(exc)
    new_events = sandbox.events()[events_before:]
    if new_events:
        step.callback = new_events[-1].fields
    report(step)
    return step.result if step.error is None else None


async def _refused_step(
    sandbox: Sandbox, agent: OCPAgent, report: Report, arguments: dict[str, Any]
) -> None:
    step = DemoStep(
        "A bad call: wrong field name, Capture and Status together", "updatePayments", arguments
    )
    received = sandbox.state.requests_received
    try:
        await agent.call_tool("updatePayments", arguments)
        step.error = "the bad call was not refused"
    except InvalidArguments as exc:
        nothing_sent = sandbox.state.requests_received == received
        step.refused_before_sending = nothing_sent
        step.error = str(exc) if nothing_sent else f"sent despite: {exc}"
    report(step)
