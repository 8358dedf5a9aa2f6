"""The reminder demo's agent: a fixed script standing in for a model, reminding a person of an
appointment by text, and by a call where the text cannot reach them.

Like the payment demo's agent it has only its tools, through ``OCPAgent.call_tool``: it learns
whether the text was delivered from waitForMessageStatus and what the person answered from
waitForReply, both answered from the signed callbacks its receiver checked. It never invents a
StatusCallback: the library fills it in while the receiver serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._agent import OCPAgent
from ..sandbox import CONFIRMS, DELIVERS, LANDLINE, STOPS, UNREACHABLE
from .demo_agent import Narrator, ScriptFailed, call_and_show

__all__ = ["DEFAULT_RECIPIENT", "RECIPIENTS", "ReminderOutcome", "remind"]

SEND = "api_v2010__createMessage"
PLACE_CALL = "api_v2010__createCall"
WAIT_FOR_MESSAGE = "api_v2010__waitForMessageStatus"
WAIT_FOR_CALL = "api_v2010__waitForCallStatus"
WAIT_FOR_REPLY = "api_v2010__waitForReply"
REMINDER = "Reminder: your appointment is tomorrow at 10:00. Reply C to confirm, or call us."
SPOKEN = (
    "<Response><Say>Hello. This is a reminder of your appointment tomorrow at ten.</Say></Response>"
)
# How long one wait may last, and how many status changes a text or a call goes through.
WAIT_SECONDS = 10
MAX_WAITS = 8

# The sandbox's scripted people the demo can remind (sandbox/recipients.py), with what they do.
RECIPIENTS = {
    "confirms": (CONFIRMS, "gets the text and replies C"),
    "landline": (LANDLINE, "has a landline: the text is undelivered, the call answered"),
    "stops": (STOPS, "gets the text and replies STOP"),
    "unreachable": (UNREACHABLE, "cannot be reached, by text or by call"),
    "silent": (DELIVERS, "gets the text and does not answer"),
}
DEFAULT_RECIPIENT = "confirms"


@dataclass
class ReminderOutcome:
    reached: bool  # the person got the reminder, by text or by call
    message: str
    reply: str | None = None


async def remind(
    agent: OCPAgent, to: str, sender: str, narrator: Narrator, *, wait_seconds: int = WAIT_SECONDS
) -> ReminderOutcome:
    """Remind the person at ``to`` from the number ``sender``; the outcome says whether they
    were reached, and how."""
    try:
        return await _Reminder(agent, narrator, wait_seconds).run(to, sender)
    except ScriptFailed as failure:
        return ReminderOutcome(False, str(failure))


@dataclass
class _Reminder:
    agent: OCPAgent
    narrator: Narrator
    wait_seconds: int

    async def run(self, to: str, sender: str) -> ReminderOutcome:
        self.narrator.intends("Text the appointment reminder")
        sent = await self.call(SEND, {"To": to, "From": sender, "Body": REMINDER})
        self.narrator.intends("Wait until the text is delivered, or is not")
        status = await self.final_status(WAIT_FOR_MESSAGE, sent["sid"])
        if status["status"] in ("delivered", "read"):
            return await self.await_reply(to, sender)
        self.narrator.intends(f"The text did not arrive, so call: {status['next_step']}")
        placed = await self.call(PLACE_CALL, {"To": to, "From": sender, "Twiml": SPOKEN})
        self.narrator.intends("Wait until the call is answered and ends, or fails")
        call = await self.final_status(WAIT_FOR_CALL, placed["sid"])
        if call["status"] == "completed":
            return ReminderOutcome(True, "The person took the call and heard the reminder.")
        return ReminderOutcome(False, f"The call ended {call['status']}: {call['next_step']}")

    async def await_reply(self, to: str, sender: str) -> ReminderOutcome:
        self.narrator.intends("Wait for the person's answer")
        answer = await self.call(
            WAIT_FOR_REPLY, {"From": to, "To": sender, "TimeoutSeconds": self.wait_seconds}
        )
        reply = answer.get("reply")
        if reply is None:
            return ReminderOutcome(True, "The text was delivered; no answer came.")
        body = str(reply.get("body", "")).strip()
        if body.upper() == "C":
            return ReminderOutcome(True, "The person confirmed the appointment.", body)
        if body.upper() == "STOP":
            return ReminderOutcome(
                True, "The person opted out: send them no more texts (21610 from now on).", body
            )
        return ReminderOutcome(True, "The person answered; read it before you go on.", body)

    async def final_status(self, tool: str, sid: str) -> dict[str, Any]:
        """Wait on ``sid``'s status until it is final; its last view."""
        for _ in range(MAX_WAITS):
            view: dict[str, Any] = await self.call(
                tool, {"Sid": sid, "TimeoutSeconds": self.wait_seconds}
            )
            if view.get("final"):
                return view
            if not view.get("new"):
                raise ScriptFailed(f"No callback came within {self.wait_seconds} s.")
        raise ScriptFailed(f"Still not final after {MAX_WAITS} updates.")

    async def call(self, tool: str, arguments: dict[str, Any]) -> Any:
        return await call_and_show(self.agent, self.narrator, tool, arguments)
