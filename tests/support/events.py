"""Twilio's message and call status callbacks and inbound messages, as the event tests post
them (signed with the test Auth Token, see support.progress.post)."""

from __future__ import annotations

from typing import Any

from ocp_twilio import OCPAgent
from support.credentials import ACCOUNT_SID

SPEC = "tests/data/specs/callbacks.yaml"
PERSON = "+15558675310"
OTHER_PERSON = "+15558675311"
OUR_NUMBER = "+15017122661"


def message_sid(number: int) -> str:
    return f"SM{number:032x}"


def call_sid(number: int) -> str:
    return f"CA{number:032x}"


MESSAGE_SID = message_sid(1)
CALL_SID = call_sid(1)


def message_status(status: str, sid: str = MESSAGE_SID, **fields: str) -> dict[str, str]:
    """A message status callback, as Twilio posts it (SmsStatus beside MessageStatus)."""
    return {
        "AccountSid": ACCOUNT_SID,
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "From": OUR_NUMBER,
        "To": PERSON,
        "ApiVersion": "2010-04-01",
        **fields,
    }


def call_status(
    status: str, sid: str = CALL_SID, sequence: int = 0, **fields: str
) -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT_SID,
        "CallSid": sid,
        "CallStatus": status,
        "SequenceNumber": str(sequence),
        "Timestamp": "Mon, 07 Dec 2026 11:00:00 +0000",
        "From": OUR_NUMBER,
        "To": PERSON,
        "Direction": "outbound-api",
        "ApiVersion": "2010-04-01",
        **fields,
    }


def inbound(body: str, sid: str = message_sid(100), person: str = PERSON) -> dict[str, str]:
    """An incoming message, as a number's incoming-message webhook posts it."""
    return {
        "AccountSid": ACCOUNT_SID,
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "From": person,
        "To": OUR_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }


async def tool(agent: OCPAgent, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = await agent.call_tool(name, arguments)
    return result
