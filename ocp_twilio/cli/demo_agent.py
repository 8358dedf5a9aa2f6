"""The demo's agent: a fixed script standing in for a model, taking a card payment on a live call.

It has what a model has on a real call: the call's sid and the tools, through
``OCPAgent.call_tool`` only. It never touches the sandbox: it learns what the caller keyed in
from waitForPaymentUpdate, which answers from the StatusCallbacks the receiver checked, and it
decides what to do next from those answers (the fields still required, the error's sentence).
It never invents StatusCallback or IdempotencyKey: the library fills both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .._agent import OCPAgent
from .._exceptions import OCPError

__all__ = [
    "CREATE",
    "UPDATE",
    "WAIT",
    "WAIT_SECONDS",
    "AgentCall",
    "Narrator",
    "Outcome",
    "ScriptFailed",
    "call_and_show",
    "take_payment",
]

# The tools by the names a model is given.
CREATE = "api_v2010__createPayments"
UPDATE = "api_v2010__updatePayments"
WAIT = "api_v2010__waitForPaymentUpdate"
CARD_FIELDS = ("payment-card-number", "expiration-date", "security-code", "postal-code")
ORDER = {"ChargeAmount": 25.5, "Currency": "USD", "Description": "Order 42"}
# How often one field is asked for before the agent gives up, and how long a wait may last.
MAX_ASKS_PER_FIELD = 3
WAIT_SECONDS = 10
# A bound on waits per capture: a typed key is one callback, a field is at most 32 keys.
MAX_WAITS_PER_CAPTURE = 64


@dataclass
class AgentCall:
    """One tool call of the agent: what it sent and what it saw (or the error)."""

    tool: str
    sent: dict[str, Any]
    answer: Any = None
    error: str | None = None


class Narrator(Protocol):
    def intends(self, title: str) -> None:
        """The agent starts a step (what a model would say it is doing)."""

    def saw(self, call: AgentCall) -> None:
        """A tool call ended."""


@dataclass
class Outcome:
    completed: bool
    message: str
    confirmation_code: str | None = None


class ScriptFailed(Exception):
    """The script cannot go on; the message says why."""


async def call_and_show(
    agent: OCPAgent, narrator: Narrator, tool: str, arguments: dict[str, Any]
) -> Any:
    """Call ``tool`` as a model would, show the call and its answer; ScriptFailed on an error."""
    step = AgentCall(tool, arguments)
    try:
        step.answer = await agent.call_tool(tool, arguments)
    except OCPError as exc:
        step.error = str(exc)
    narrator.saw(step)
    if step.error is not None:
        raise ScriptFailed(f"{tool.split('__')[-1]} failed: {step.error}")
    return step.answer


async def take_payment(
    agent: OCPAgent, call_sid: str, narrator: Narrator, *, wait_seconds: int = WAIT_SECONDS
) -> Outcome:
    """Take the payment on ``call_sid``; the outcome says whether it completed, and why not.
    ``wait_seconds``: how long one wait for the caller's next key may last."""
    script = _Script(agent, narrator, wait_seconds)
    try:
        return await script.run(call_sid)
    except ScriptFailed as failure:
        return Outcome(False, str(failure))


@dataclass
class _Script:
    agent: OCPAgent
    narrator: Narrator
    wait_seconds: int

    async def run(self, call_sid: str) -> Outcome:
        self.narrator.intends("Start a payment on the call")
        created = await self.call(CREATE, {"CallSid": call_sid, **ORDER})
        payment = {"CallSid": call_sid, "Sid": created["sid"]}
        view = await self.wait_until(created["sid"], lambda v: v["version"] > 0)
        # Before the first capture no callback lists the required fields: a card payment's.
        required = view["required"] if view["required"] is not None else CARD_FIELDS
        asks: dict[str, int] = {}
        while required:
            field = required[0]
            asks[field] = asks.get(field, 0) + 1
            if asks[field] > MAX_ASKS_PER_FIELD:
                raise ScriptFailed(f"{field} was asked for {MAX_ASKS_PER_FIELD} times; giving up.")
            again = " again" if asks[field] > 1 else ""
            self.narrator.intends(f"Ask the caller for the {field}{again}")
            await self.call(UPDATE, {**payment, "Capture": field})
            view = await self.wait_until(payment["Sid"], _capture_ended(field))
            if "error" in view:
                # What a model does with the error: it follows the sentence (asks the caller
                # again); the fields still required then lead it back to this field.
                self.narrator.intends(f"Read the error: {view['error']['what_to_do']}")
            required = view["required"]
            if required is None:
                raise ScriptFailed("No callback said which fields are still required.")
        self.narrator.intends("Every field is entered: submit the payment")
        await self.call(UPDATE, {**payment, "Status": "complete"})
        view = await self.wait_until(payment["Sid"], lambda v: "result" in v)
        return _outcome(view)

    async def call(self, tool: str, arguments: dict[str, Any]) -> Any:
        return await call_and_show(self.agent, self.narrator, tool, arguments)

    async def wait_until(self, sid: str, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Wait for progress until ``done`` says so or the payment ended; the last view."""
        for _ in range(MAX_WAITS_PER_CAPTURE):
            view: dict[str, Any] = await self.call(
                WAIT, {"Sid": sid, "TimeoutSeconds": self.wait_seconds}
            )
            if "result" in view or done(view):
                if "result" in view and view["result"].get("result") != "success":
                    raise ScriptFailed(_ended(view))
                return view
            if not view.get("new"):
                raise ScriptFailed(
                    f"No callback came within {self.wait_seconds} s: {view['next_step']}"
                )
        raise ScriptFailed(
            f"Still no answer after {MAX_WAITS_PER_CAPTURE} updates: {view['next_step']}"
        )


def _capture_ended(field: str) -> Callable[[dict[str, Any]], bool]:
    """Done when the caller finished ``field``: entered (PartialResult false) or an error."""
    return lambda view: view["capturing"] == field and not view["typing"]


def _outcome(view: dict[str, Any]) -> Outcome:
    code = view["result"].get("payment_confirmation_code")
    return Outcome(True, view["next_step"], code)


def _ended(view: dict[str, Any]) -> str:
    return f"The payment ended with Result {view['result']['result']}: {view['next_step']}"
