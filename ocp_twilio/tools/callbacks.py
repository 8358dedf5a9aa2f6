"""The callback arguments the application owns while a receiver serves: which operations have
them, which kind of callback each reports, and the values the library sends in their place.

Pay's createPayments and updatePayments report a Pay session (``pay``), api_v2010's
createMessage a message (``message``) and createCall a call (``call``). For a call the library
also asks for every progress event (StatusCallbackEvent: initiated, ringing, answered,
completed; Twilio's default is completed alone), and for both it fixes StatusCallbackMethod to
POST, the one method the receiver answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..specs.model import OperationSpec
from .encoding import STATUS_CALLBACK

__all__ = ["CALL_EVENTS", "callback_kind", "owned_arguments"]

CALL_EVENTS = ("initiated", "ringing", "answered", "completed")
_EVENTS = "StatusCallbackEvent"
_METHOD = "StatusCallbackMethod"
_PAY = frozenset({"CreatePayments", "UpdatePayments"})
# Other services have operations of these ids (Conversations' CreateMessage) that report
# nothing to a StatusCallback of this kind.
_BY_OPERATION = {"CreateMessage": "message", "CreateCall": "call"}
_SERVICE = "api_v2010"


def callback_kind(spec: OperationSpec) -> str | None:
    """The kind of callback ``spec``'s StatusCallback receives (None: the model's own)."""
    if spec.operation_id in _PAY:
        kind: str | None = "pay"
    else:
        kind = _BY_OPERATION.get(spec.operation_id) if spec.service == _SERVICE else None
    # The cheap checks first: this runs for every tool registered.
    if kind is None or not any(p.name == STATUS_CALLBACK for p in spec.parameters):
        return None
    return kind


def owned_arguments(spec: OperationSpec, kind: str | None, url: str | None) -> dict[str, Any]:
    """The arguments the library fills in for a call of ``spec`` reporting to ``url``."""
    if kind is None or url is None:
        return {}
    names = {p.name for p in spec.parameters}
    owned: dict[str, Any] = {STATUS_CALLBACK: url}
    if kind == "call" and _EVENTS in names:
        owned[_EVENTS] = list(CALL_EVENTS)
    if kind in ("message", "call") and _METHOD in names:
        owned[_METHOD] = "POST"
    return owned


def operator_pins(pinned: Mapping[str, Any], owned: Mapping[str, Any]) -> dict[str, Any]:
    """``pinned`` without the values the callback's owner put there."""
    return {k: v for k, v in pinned.items() if k not in owned or owned[k] != v}
