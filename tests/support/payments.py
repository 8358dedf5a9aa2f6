"""The Pay operations the tests call: their tool names, valid arguments, the request they make
and Twilio's answers."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from ocp_twilio import __version__
from support.credentials import ACCOUNT_SID, AUTH_TOKEN

CALL_SID = "CA" + "fedcba9876543210" * 2
PAYMENT_SID = "PK" + "00112233445566778899aabbccddeeff"

# Tools are named ``{service}__{operation}``; the short names still find them while unambiguous.
UPDATE_TOOL = "api_v2010__updatePayments"
CREATE_TOOL = "api_v2010__createPayments"
QUALIFIED = {"updatePayments": UPDATE_TOOL, "createPayments": CREATE_TOOL}
# The payment progress tools, listed with the Pay operations (answered locally).
STATUS_TOOL = "api_v2010__getPaymentStatus"
WAIT_TOOL = "api_v2010__waitForPaymentUpdate"
PAY_TOOLS = [CREATE_TOOL, UPDATE_TOOL, STATUS_TOOL, WAIT_TOOL]
# The curated messages and calls, which register_api("twilio") gives beside the Pay tools.
MESSAGE_AND_CALL_TOOLS = [
    f"api_v2010__{name}"
    for name in (
        *("createCall", "fetchCall", "listCall", "updateCall"),
        *("createMessage", "fetchMessage", "listMessage", "deleteMessage"),
    )
]
# What the receiver tells of messages and calls, listed with them.
MESSAGE_AND_CALL_STATUS_TOOLS = [
    f"api_v2010__{name}"
    for name in (
        *("getCallStatus", "waitForCallStatus"),
        *("getMessageStatus", "waitForMessageStatus", "waitForReply"),
    )
]
# The operations of register_api("twilio") without Twilio's files: what is listed where no
# receiver runs.
OPERATION_TOOLS = [*MESSAGE_AND_CALL_TOOLS, CREATE_TOOL, UPDATE_TOOL]
# Every tool of register_api("twilio") without Twilio's files, in its order.
DEFAULT_TOOLS = [
    *MESSAGE_AND_CALL_TOOLS,
    CREATE_TOOL,
    UPDATE_TOOL,
    *MESSAGE_AND_CALL_STATUS_TOOLS,
    STATUS_TOOL,
    WAIT_TOOL,
]

PAYMENT_BODY = {
    "account_sid": ACCOUNT_SID,
    "call_sid": CALL_SID,
    "sid": PAYMENT_SID,
    "date_created": "Wed, 18 Dec 2019 20:02:01 +0000",
    "date_updated": "Wed, 18 Dec 2019 20:02:01 +0000",
    "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{CALL_SID}/Payments/{PAYMENT_SID}.json",
}

# What a model reads of it through the adapters and MCP: the link left out (see _sizing).
PAYMENT_VIEW = {k: v for k, v in PAYMENT_BODY.items() if k != "uri"}

TWILIO_API = "https://api.twilio.com"
UPDATE_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{CALL_SID}/Payments/{PAYMENT_SID}.json"
CREATE_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{CALL_SID}/Payments.json"
TWILIO_ERROR_404 = {
    "code": 20404,
    "message": "The requested resource was not found",
    "more_info": "https://www.twilio.com/docs/errors/20404",
    "status": 404,
}


def update_arguments(**overrides: Any) -> dict[str, Any]:
    """Valid updatePayments arguments, with overrides (None removes a key)."""
    defaults = {
        "CallSid": CALL_SID,
        "Sid": PAYMENT_SID,
        "IdempotencyKey": "order-42-expiry",
        "StatusCallback": "https://example.com/pay-status",
        "Capture": "expiration-date",
    }
    return _overridden(defaults, overrides)


def create_arguments(**overrides: Any) -> dict[str, Any]:
    """Valid createPayments arguments, with overrides (None removes a key)."""
    defaults = {
        "CallSid": CALL_SID,
        "IdempotencyKey": "order-42-start",
        "StatusCallback": "https://example.com/pay-status",
    }
    return _overridden(defaults, overrides)


def _overridden(defaults: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = {**defaults, **overrides}
    return {k: v for k, v in merged.items() if v is not None}


def assert_default_update_sent(headers: Mapping[str, str], form: list[tuple[str, str]]) -> None:
    """The body and headers that update_arguments() must put on the wire."""
    assert form == [
        ("IdempotencyKey", "order-42-expiry"),
        ("StatusCallback", "https://example.com/pay-status"),
        ("Capture", "expiration-date"),
    ]
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"].startswith(f"ocp-twilio/{__version__} ")
    expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert headers["Authorization"] == f"Basic {expected}"
