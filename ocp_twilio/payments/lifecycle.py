"""A message's or a call's status, folded from its status callbacks by Twilio's lifecycle.

Callbacks come twice (Twilio retries) and out of order (each is its own HTTP request), so the
status is not the last one to arrive but the furthest along the lifecycle: a message goes
queued/accepted/scheduled, sending, sent, then one final status (delivered, undelivered,
failed, canceled...), and ``read`` only after ``delivered``; a call goes queued/initiated,
ringing, in-progress, then one final status. A callback behind the status already known is
folded for the details it adds (a price, an error code not yet known) but never moves the
status back, and a final status is never undone.

The status names are those of Twilio's api_v2010 description (``message_enum_status``,
``call_enum_status``, plus ``initiated``, the CallStatus of the ``initiated`` callback).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .delivery_errors import call_sentence, error_sentence, message_sentence

__all__ = [
    "CALL",
    "CALL_STATUSES",
    "MESSAGE",
    "MESSAGE_STATUSES",
    "ResourceStatus",
    "apply_status",
    "is_final",
]

MESSAGE = "message"
CALL = "call"

# Each status's place in the lifecycle; a status of a higher rank moves the resource on.
_MESSAGE_RANKS = {
    "queued": 0,
    "accepted": 0,
    "scheduled": 0,
    "sending": 1,
    "receiving": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "canceled": 3,
    "partially_delivered": 3,
    "received": 3,
    "read": 4,
}
_CALL_RANKS = {
    "queued": 0,
    "initiated": 0,
    "ringing": 1,
    "in-progress": 2,
    "completed": 3,
    "busy": 3,
    "no-answer": 3,
    "failed": 3,
    "canceled": 3,
}
_FINAL_RANK = 3
# The one move out of a final status: a delivered message that the recipient read.
_AFTER_FINAL = {("delivered", "read")}
_RANKS = {MESSAGE: _MESSAGE_RANKS, CALL: _CALL_RANKS}
MESSAGE_STATUSES = tuple(_MESSAGE_RANKS)
CALL_STATUSES = tuple(_CALL_RANKS)

# The details kept beside the status, as the model reads them.
_DETAILS = {
    "From": "from",
    "To": "to",
    "ErrorCode": "error_code",
    "Price": "price",
    "PriceUnit": "price_unit",
    "NumSegments": "segments",
    "CallDuration": "duration_seconds",
    "AnsweredBy": "answered_by",
    "Direction": "direction",
}


def is_final(kind: str, status: str | None) -> bool:
    """Whether ``status`` ends the resource's lifecycle (read too: nothing follows it)."""
    return status is not None and _RANKS[kind].get(status, -1) >= _FINAL_RANK


@dataclass(frozen=True)
class ResourceStatus:
    """What the status callbacks of one message or call have said so far."""

    sid: str
    kind: str  # MESSAGE or CALL
    version: int = 0
    status: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)
    # The rank of the callback that set each detail: a later, further callback may correct it.
    detail_ranks: Mapping[str, int] = field(default_factory=dict)
    # Every status reported, in the order they arrived, each once.
    reported: tuple[str, ...] = ()

    @property
    def final(self) -> bool:
        return is_final(self.kind, self.status)

    def for_model(self) -> dict[str, Any]:
        """The status as the status tools return it."""
        view: dict[str, Any] = {"sid": self.sid, "version": self.version, "status": self.status}
        view["final"] = self.final
        for name, shown in _DETAILS.items():
            if name in self.details and name not in ("ErrorCode", "Price", "PriceUnit"):
                view[shown] = self.details[name]
        code = self.details.get("ErrorCode")
        if code and code != "0":
            view["error"] = {"code": code, "what_to_do": error_sentence(code)}
        price = self.details.get("Price")
        if price:
            view["price"] = f"{price} {self.details.get('PriceUnit', '')}".strip()
        if len(self.reported) > 1:
            view["reported"] = list(self.reported)
        view["next_step"] = self._next_step()
        return view

    def _next_step(self) -> str:
        if self.kind == MESSAGE:
            return message_sentence(self.status, self.details.get("ErrorCode"))
        return call_sentence(self.status)


def apply_status(state: ResourceStatus, fields: Mapping[str, str], status: str) -> ResourceStatus:
    """``state`` with one callback (its kept ``fields``, its ``status``) folded in."""
    ranks = _RANKS[state.kind]
    rank = ranks[status]
    current = state.status
    moves = current is None or (
        (rank > ranks[current] and ranks[current] < _FINAL_RANK)
        or (current, status) in _AFTER_FINAL
    )
    details = dict(state.details)
    detail_ranks = dict(state.detail_ranks)
    for name in _DETAILS:
        value = fields.get(name)
        if value is None:
            continue
        if name not in details or rank >= detail_ranks[name]:
            details[name] = value
            detail_ranks[name] = rank
    reported = state.reported if status in state.reported else (*state.reported, status)
    return replace(
        state,
        version=state.version + 1,
        status=status if moves else current,
        details=details,
        detail_ranks=detail_ranks,
        reported=reported,
    )
