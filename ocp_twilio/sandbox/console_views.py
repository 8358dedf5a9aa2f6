"""What the console shows of the sandbox's state, as JSON: calls, their Pay sessions, and the
timeline of requests and callbacks. Built only from what is already masked as Twilio masks it
(a session's ``shown`` values, the callbacks' fields, the requests' checked Capture or Status),
so no view can hold a digit the caller keyed in."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .recipients import CONSOLE_NUMBER
from .session import PaySession, iso8601
from .state import Call, Moment, SandboxState

__all__ = ["call_view", "moment_view", "phone_view"]

_PHONE_TEXTS = 50  # the newest texts the phone shows
_PHONE_CALLS = 20


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


def phone_view(state: SandboxState) -> dict[str, Any]:
    """The console person's phone: texts to and from their number, and calls to it."""
    texts = [m for m in state.messaging.messages.values() if CONSOLE_NUMBER in (m.to, m.from_)][
        -_PHONE_TEXTS:
    ]
    calls = [c for c in state.voice.calls.values() if c.to == CONSOLE_NUMBER][-_PHONE_CALLS:]
    return {
        "number": CONSOLE_NUMBER,
        "texts": [
            {
                "sid": m.sid,
                "direction": "in" if m.to == CONSOLE_NUMBER else "out",
                "from": m.from_,
                "to": m.to,
                "body": m.body,
                "status": m.status,
                "at": iso8601(m.created),
            }
            for m in texts
        ],
        "calls": [{"sid": c.sid, "from": c.from_, "status": c.status} for c in calls],
    }
