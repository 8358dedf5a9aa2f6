"""A Pay session's progress as the tests drive it: Twilio's StatusCallbacks at each step, posted
signed (or not) to a receiver, and what the progress tools answer."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import aiohttp

from ocp_twilio import OCPAgent, compute_signature, openai_tool_result
from ocp_twilio.payments.progress import CallbackEvent, callback_event, kept_fields
from support.credentials import ACCOUNT_SID, AUTH_TOKEN
from support.payments import CALL_SID, PAYMENT_SID

CARD = "4111111111111111"
CVC = "737"


def callback(**fields: str) -> dict[str, str]:
    base = {
        "AccountSid": ACCOUNT_SID,
        "CallSid": CALL_SID,
        "Sid": PAYMENT_SID,
        "PaymentConnector": "Default",
        "PaymentMethod": "credit-card",
        "DateCreated": "2026-12-01T14:00:00Z",
    }
    return {**base, **fields}


TYPING = callback(
    DateUpdated="2026-12-01T14:00:05Z",
    Capture="payment-card-number",
    PartialResult="true",
    PaymentCardNumber="xxxxxx",
    Required="payment-card-number,expiration-date,security-code,postal-code",
)
CARD_ENTERED = callback(
    DateUpdated="2026-12-01T14:00:09Z",
    Capture="payment-card-number",
    PartialResult="false",
    PaymentCardNumber="xxxxxxxxxxxx1111",
    PaymentCardType="visa",
    Required="expiration-date,security-code,postal-code",
)
CARD_REFUSED = callback(
    DateUpdated="2026-12-01T14:00:09Z",
    Capture="payment-card-number",
    PartialResult="false",
    ErrorType="invalid-card-number",
    Required="payment-card-number,ExpirationDate,security-code,postal-code",
)
ALL_ENTERED = callback(
    DateUpdated="2026-12-01T14:00:30Z",
    Capture="postal-code",
    PartialResult="false",
    PaymentCardNumber="xxxxxxxxxxxx1111",
    PaymentCardType="visa",
    ExpirationDate="1230",
    SecurityCode="xxx",
    PaymentCardPostalCode="94105",
    Required="",
)
COMPLETED = callback(
    DateUpdated="2026-12-01T14:00:40Z",
    Result="success",
    PaymentConfirmationCode="ch_a9dc6297cd1a4fb095e61b1a9cf2dd1d",
)


async def post(
    url: str,
    fields: dict[str, str] | str | bytes,
    *,
    signature: str | None = "sign",
    signed_url: str | None = None,
    content_type: str = "application/x-www-form-urlencoded",
    headers: dict[str, str] | None = None,
) -> int:
    body = fields if isinstance(fields, (str, bytes)) else urlencode(fields)
    sent = {"Content-Type": content_type, **(headers or {})}
    if signature == "sign":
        pairs = fields if isinstance(fields, dict) else {}
        sent["X-Twilio-Signature"] = compute_signature(AUTH_TOKEN, signed_url or url, pairs)
    elif signature is not None:
        sent["X-Twilio-Signature"] = signature
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            url, data=body if isinstance(body, bytes) else body.encode(), headers=sent
        ) as response,
    ):
        return response.status


async def status(agent: OCPAgent) -> dict[str, Any]:
    result: dict[str, Any] = await agent.call_tool("getPaymentStatus", {"Sid": PAYMENT_SID})
    return result


def event_of(fields: dict[str, str]) -> CallbackEvent:
    event = callback_event(kept_fields(fields))
    assert event is not None
    return event


def payment_sid(number: int) -> str:
    return f"PK{number:032x}"


async def model_error(agent: OCPAgent, name: str, arguments: dict[str, Any]) -> str:
    """The error a model offered the Pay tools is given for this call (an OpenAI tool call),
    which must fail."""
    agent.tools_for("openai", tags=["pay"])
    call = {"id": "call_1", "function": {"name": name, "arguments": json.dumps(arguments)}}
    message = json.loads((await openai_tool_result(agent, call))["content"])
    assert message["is_error"] is True
    error: str = message["error"]
    return error
