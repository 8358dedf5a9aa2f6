"""Which operations are sends, what makes two of them the same, and how one is looked up.

A send is Twilio's CreateMessage or CreateCall of the 2010 API, served from a Twilio host (as
the effect table is trusted: no other file can make a tool look like one). Twilio documents no
idempotency key for either, so the library adds its own argument, :data:`SEND_KEY`, which is
never sent: a new value makes a new send on purpose (see ``ledger.py``).

Pure data: the runner (``runner.py``) and the look-ups (``reconcile.py``) use it, and the Tool
reads :func:`is_send` to list SEND_KEY among its library arguments.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ..specs.hosts import served_by_twilio
from ..specs.model import OperationSpec, ParameterSpec, ResponseSpec

__all__ = [
    "CALL",
    "MESSAGE",
    "SEND_KEY",
    "SEND_KEY_SCHEMA",
    "SendKind",
    "is_send",
    "lookup_spec",
    "send_kind",
]

# Not one of Twilio's parameter names for these operations, nor likely to become one.
SEND_KEY = "SendKey"
SEND_KEY_SCHEMA: Mapping[str, Any] = {
    "type": "string",
    "minLength": 1,
    "maxLength": 128,
    "description": "Only to repeat an identical send on purpose: a value not used before.",
}


@dataclasses.dataclass(frozen=True)
class SendKind:
    """One kind of send: the arguments that make two sends the same, and the look-up of one
    whose outcome is unknown (its records, and the fields compared with the arguments)."""

    noun: str  # "message", "call"
    identity: tuple[str, ...]
    records: str  # the list answer's field of records
    # (argument, field of the record) that must be equal where the argument was given.
    compared: tuple[tuple[str, str], ...]
    # Arguments sent as the look-up's filters, by the same name.
    filters: tuple[str, ...]

    @property
    def fields(self) -> tuple[str, ...]:
        """What a send's digest covers: its identity, the SendKey and the account."""
        return (*self.identity, SEND_KEY, "AccountSid")


MESSAGE = SendKind(
    noun="message",
    identity=(
        "To",
        "From",
        "MessagingServiceSid",
        "Body",
        "MediaUrl",
        "ContentSid",
        "ContentVariables",
        "SendAt",
    ),
    records="messages",
    compared=(("To", "to"), ("From", "from"), ("MessagingServiceSid", "messaging_service_sid")),
    filters=("To", "From"),
)
CALL = SendKind(
    noun="call",
    identity=("To", "From", "Url", "Twiml", "ApplicationSid"),
    records="calls",
    compared=(("To", "to"), ("From", "from")),
    filters=("To", "From"),
)
_KINDS = {("api_v2010", "CreateMessage"): MESSAGE, ("api_v2010", "CreateCall"): CALL}


def send_kind(spec: OperationSpec) -> SendKind | None:
    """The kind of send ``spec`` is, None for any other operation."""
    kind = _KINDS.get((spec.service, spec.operation_id))
    if kind is None or spec.method != "POST":
        return None
    return kind if served_by_twilio(spec.server) else None


def is_send(spec: OperationSpec) -> bool:
    return send_kind(spec) is not None


def lookup_spec(spec: OperationSpec, kind: SendKind) -> OperationSpec:
    """The list operation of the send's own collection (same host and path, GET), filtered by
    the send's numbers: made here, so the look-up needs no list tool registered or offered."""
    account = [p for p in spec.parameters if p.name == "AccountSid"]
    filters = [ParameterSpec(name, "query", {"type": "string"}) for name in kind.filters]
    return dataclasses.replace(
        spec,
        name=f"{spec.name} look-up",
        method="GET",
        operation_id="",
        description="",
        parameters=(*account, *filters, ParameterSpec("PageSize", "query", {"type": "integer"})),
        body_encoding=None,
        response=ResponseSpec(200, {"type": "object"}),
        exactly_one_of=(),
        body_forms=(),
        tags=(),
    )
