"""What a recording server answers by default: Twilio's resource for the path asked, so that a
curated tool's answer passes its schema (a message, a call, or a Pay session)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from support.credentials import ACCOUNT_SID
from support.payments import PAYMENT_BODY

__all__ = ["CALL_BODY", "MESSAGE_BODY", "twilio_answer"]

_DATE = "Wed, 18 Dec 2019 20:02:01 +0000"
MESSAGE_BODY: dict[str, Any] = {
    "account_sid": ACCOUNT_SID,
    "sid": "SM" + "1" * 32,
    "to": "+15005550010",
    "from": "+15005550006",
    "body": "Your code",
    "status": "queued",
    "direction": "outbound-api",
    "error_code": None,
    "price": None,
    "date_created": _DATE,
    "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/SM{'1' * 32}.json",
}
CALL_BODY: dict[str, Any] = {
    "account_sid": ACCOUNT_SID,
    "sid": "CA" + "2" * 32,
    "to": "+15005550010",
    "from": "+15005550006",
    "status": "queued",
    "direction": "outbound-api",
    "date_created": _DATE,
    "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/CA{'2' * 32}.json",
}
_RESOURCE = re.compile(r"/(Messages|Calls)(?:/[A-Z]{2}[0-9a-fA-F]{32})?\.json$")


def twilio_answer(request: web.Request) -> web.Response:
    """A message or a call where the path names one (201 for a create), else a Pay session."""
    found = _RESOURCE.search(request.path)
    if found is None:
        return web.json_response(PAYMENT_BODY, status=202)
    body = MESSAGE_BODY if found[1] == "Messages" else CALL_BODY
    created = request.method == "POST" and found[0].count("/") == 1
    return web.json_response(body, status=201 if created else 200)
