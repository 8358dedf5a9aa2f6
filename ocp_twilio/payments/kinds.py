"""The kinds of callback the receiver takes, and how each becomes an event of a resource.

Four kinds, each at a path of its own (see receiver.py): Pay StatusCallbacks (``pay``, the
resource a Pay session ``PK…``), message status callbacks (``message``: a message ``SM…`` or
``MM…``), call status callbacks (``call``: a call ``CA…``) and inbound messages (``reply``: the
conversation of the sender and the account's number, see conversations.py). Every store keeps
them the same way: an event of its resource's id, a digest that names duplicates, and a fold
(:func:`fold`) that gives one state for the same events whatever store holds them.

Only the fields each kind documents are kept, each checked for its shape; a callback whose
status is not one of Twilio's is malformed, and nothing of it is kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TypeAlias

from .conversations import REPLY, Conversation, apply_reply, conversation_id, is_address
from .lifecycle import CALL, CALL_STATUSES, MESSAGE, MESSAGE_STATUSES, ResourceStatus, apply_status
from .progress import (
    CallbackEvent,
    PaymentProgress,
    apply_event,
    callback_event,
    digest,
    fields_digest,
    kept_fields,
    picked,
)

__all__ = ["KINDS", "PAY", "ResourceState", "event_of", "fold", "is_over", "status_field"]

PAY = "pay"
KINDS = (PAY, MESSAGE, CALL, REPLY)
ResourceState: TypeAlias = PaymentProgress | ResourceStatus | Conversation

Params: TypeAlias = Mapping[str, str] | Sequence[tuple[str, str]]

# The longest message body Twilio takes (1,600 characters), and so the longest value kept.
_MAX_TEXT = 1600
_MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-fA-F]{32}")
_SHAPES = {
    "AccountSid": re.compile(r"AC[0-9a-fA-F]{32}"),
    "CallSid": re.compile(r"CA[0-9a-fA-F]{32}"),
    "MessageSid": _MESSAGE_SID,
    "MessagingServiceSid": re.compile(r"MG[0-9a-fA-F]{32}"),
    "ErrorCode": re.compile(r"\d{1,6}"),
    "Price": re.compile(r"-?\d{1,7}(\.\d{1,10})?"),
    "PriceUnit": re.compile(r"[A-Za-z]{3}"),
    "NumSegments": re.compile(r"\d{1,3}"),
    "NumMedia": re.compile(r"\d{1,2}"),
    "SequenceNumber": re.compile(r"\d{1,6}"),
    "CallDuration": re.compile(r"\d{1,7}"),
    "Direction": re.compile(r"[a-z-]{1,30}"),
    "AnsweredBy": re.compile(r"[a-z_]{1,30}"),
    "Timestamp": re.compile(r"[A-Za-z0-9 ,:+-]{1,40}"),
}
_ADDRESSES = ("From", "To")
_MEDIA = tuple(f"{prefix}{i}" for i in range(10) for prefix in ("MediaUrl", "MediaContentType"))
_FIELDS = {
    MESSAGE: (
        "MessageSid",
        "AccountSid",
        "MessagingServiceSid",
        "MessageStatus",
        "ErrorCode",
        "From",
        "To",
        "Price",
        "PriceUnit",
        "NumSegments",
    ),
    CALL: (
        "CallSid",
        "AccountSid",
        "CallStatus",
        "Timestamp",
        "SequenceNumber",
        "CallDuration",
        "From",
        "To",
        "Direction",
        "AnsweredBy",
        "ErrorCode",
    ),
    REPLY: (
        "MessageSid",
        "AccountSid",
        "MessagingServiceSid",
        "From",
        "To",
        "Body",
        "NumMedia",
        *_MEDIA,
    ),
}
# Older callbacks name a message's status SmsStatus; MessageStatus is the current name.
_ALIASES = {MESSAGE: {"SmsStatus": "MessageStatus"}}
_STATUSES = {MESSAGE: frozenset(MESSAGE_STATUSES), CALL: frozenset(CALL_STATUSES)}


def status_field(kind: str) -> str:
    return "MessageStatus" if kind == MESSAGE else "CallStatus"


def event_of(kind: str, params: Params) -> CallbackEvent | str:
    """The event of a callback of ``kind``, or what is wrong with it (never any of its values:
    the sentence is logged)."""
    if kind == PAY:
        event = callback_event(kept_fields(params))
        return event if event is not None else "no Pay session Sid (PK...)"
    kept = picked(params, _FIELDS[kind], _well_formed, _ALIASES.get(kind, {}))
    if kind == REPLY:
        return _reply_event(kept)
    sid_name = "MessageSid" if kind == MESSAGE else "CallSid"
    sid = kept.get(sid_name)
    if sid is None:
        return f"no {sid_name} of the right shape"
    status = kept.get(status_field(kind))
    if status not in _STATUSES[kind]:
        return f"{status_field(kind)} missing or not one of Twilio's statuses"
    return CallbackEvent(sid, kept, fields_digest(kept), None, kind)


def fold(state: ResourceState | None, event: CallbackEvent, arrival: int) -> ResourceState:
    """``state`` (None: the first event of its resource) with ``event`` folded in."""
    kind = event.kind
    if kind == PAY:
        start = state if isinstance(state, PaymentProgress) else PaymentProgress(event.sid)
        return apply_event(start, event, arrival)
    if kind == REPLY:
        conversation = state if isinstance(state, Conversation) else Conversation(event.sid)
        return apply_reply(conversation, event.fields)
    resource = state if isinstance(state, ResourceStatus) else ResourceStatus(event.sid, kind)
    return apply_status(resource, event.fields, event.fields[status_field(kind)])


def is_over(state: ResourceState) -> bool:
    """Whether nothing more will come for the resource: a payment with a result, a message or
    call in a final status (a delivered message may still be read); a conversation never is."""
    if isinstance(state, PaymentProgress):
        return "Result" in state.outcome
    if isinstance(state, ResourceStatus):
        return state.final and state.status != "delivered"
    return False


def _reply_event(kept: Mapping[str, str]) -> CallbackEvent | str:
    if "MessageSid" not in kept or "From" not in kept or "To" not in kept:
        return "no MessageSid, From or To of the right shape"
    # One message is one event however often Twilio posts it: its Sid alone names duplicates.
    sid = conversation_id(kept["From"], kept["To"])
    return CallbackEvent(sid, kept, digest(kept["MessageSid"]), None, REPLY)


def _well_formed(name: str, value: str) -> bool:
    if len(value) > _MAX_TEXT:
        return False
    shape = _SHAPES.get(name)
    if shape is not None:
        return shape.fullmatch(value) is not None
    if name in _ADDRESSES:
        return is_address(value)
    if name.startswith("MediaUrl"):
        return value.startswith("https://") and len(value) <= 1000
    if name.startswith("MediaContentType"):
        return len(value) <= 100
    return True
