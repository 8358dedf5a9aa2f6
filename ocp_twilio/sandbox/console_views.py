"""What the console shows of the sandbox's state, as JSON: calls, their Pay sessions, and the
timeline of requests and callbacks. Built only from what is already masked as Twilio masks it
(a session's ``shown`` values, the callbacks' fields, the requests' checked Capture or Status),
so no view can hold a digit the caller keyed in."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .session import PaySession, iso8601
from .state import Call, Moment, SandboxState

__all__ = ["call_view", "moment_view"]


def call_view(state: SandboxState, call: Call) -> dict[str, Any]:
    return {
        "sid": call.sid,
        "caller": "console" if call.caller is None else "scripted",
        "live": call.live,
        "payments": [_session_view(state, state.sessions[sid]) for sid in call.payments],
    }


def moment_view(moment: Moment) -> dict[str, Any]:
    return {
        "call_sid": moment.call_sid,
        "payment_sid": moment.fields.get("Sid"),
        "kind": moment.kind,
        "at": iso8601(datetime.now(timezone.utc)),
        "fields": dict(moment.fields),
    }


def _session_view(state: SandboxState, session: PaySession) -> dict[str, Any]:
    person = state.keying.get(session.sid)
    return {
        "sid": session.sid,
        "method": session.payment_method,
        "amount": None if session.tokenizing else f"{session.charge_amount:.2f}",
        "state": session.state.value,
        "required": list(session.required),
        "missing": list(session.missing),
        "captured": dict(session.shown),
        "brand": session.brand,
        "capturing": session.capturing,
        "keypad": None
        if person is None
        else {"capture": person.capture, "keys": person.count, "timeout": state.key_timeout},
        "outcome": dict(session.outcome),
    }
