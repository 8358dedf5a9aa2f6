"""What a tool does to the world: its effects, known before it is called.

Every operation has its method's effect (GET, HEAD and OPTIONS read; POST, PUT and PATCH write;
DELETE deletes). Twilio's operations may have more, from the table beside this module
(``effect_table.yaml``, rules in docs/effects.md): they contact a person, spend money or touch
the account, always or only for some argument values. The table is trusted only for Twilio's
own operations, named by service and operationId and served from a Twilio host; any other
operation (a registry entry, another API's spec) has its method's effect alone, so no file from
outside can make a tool that sends look like one that reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from .documents import read_document
from .hosts import served_by_twilio
from .methods import READ_METHODS
from .model import LocalSpec, OperationSpec
from .names import CALL_TOOL

__all__ = [
    "EFFECTS",
    "EFFECT_WORDS",
    "Effect",
    "conditional_effects",
    "effects_of",
    "is_additive",
    "recipient_arguments",
]

Effect = Literal["read", "write", "delete", "contacts-person", "spends-money", "account"]
EFFECTS: tuple[Effect, ...] = (
    "read",
    "write",
    "delete",
    "contacts-person",
    "spends-money",
    "account",
)

# What a call of each effect does, in words (a refusal says which calls the policy denies).
EFFECT_WORDS: Mapping[str, str] = {
    "read": "reads",
    "write": "changes something",
    "delete": "deletes",
    "contacts-person": "contacts a person",
    "spends-money": "spends money",
    "account": "touches the account's keys, users or sub-accounts",
}

TABLE = Path(__file__).with_name("effect_table.yaml")

_READ = frozenset({"read"})
_WRITE = frozenset({"write"})
_DELETE = frozenset({"delete"})
# callTwilioTool calls any tool it is given, so it may do whatever any of them does.
_EVERY = frozenset(EFFECTS)
_LISTENERS = {"waitForReply": ("From",)}
_NO_CONDITIONS: Mapping[str, Mapping[str, tuple[Any, ...]]] = {}


def effects_of(spec: OperationSpec) -> frozenset[str]:
    """The effects ``spec`` always has (those that depend on its arguments are
    :func:`conditional_effects`); never empty."""
    if isinstance(spec, LocalSpec):  # answered in this process, from what it holds
        return _EVERY if spec.name == CALL_TOOL else _READ
    by_method = _by_method(spec.method)
    entry = _entry(spec)
    return by_method | entry.effects if entry is not None else by_method


def conditional_effects(spec: OperationSpec) -> Mapping[str, Mapping[str, tuple[Any, ...]]]:
    """Effect -> argument -> the values of it that bring the effect (UpdatePayments with Status
    complete may charge a card); what else decides (the session's amount) is the policy's."""
    entry = _entry(spec)
    return entry.when if entry is not None else _NO_CONDITIONS


def recipient_arguments(spec: OperationSpec) -> tuple[str, ...]:
    """The arguments naming who an operation that contacts a person reaches: the table's, else
    ``To`` where the operation has it; empty for one that contacts nobody, or when unknown.
    A local tool has them where it reads what a person sends (waitForReply's ``From``): the
    recipient limits of a policy bound whom it may listen to as whom a send may reach."""
    if isinstance(spec, LocalSpec):
        return _LISTENERS.get(spec.name, ())
    entry = _entry(spec)
    if entry is None or "contacts-person" not in entry.effects | entry.when.keys():
        return ()
    if entry.recipients is not None:
        return entry.recipients
    return ("To",) if any(p.name == "To" for p in spec.parameters) else ()


def is_additive(spec: OperationSpec) -> bool:
    """A write that only adds: a POST to a collection (the last segment of its path has no
    placeholder, as ``/Messages.json``) not named as anything but a Create (Twilio's Update
    operations post to the resource, and some to a collection: ``UpdateConfiguration``)."""
    return (
        spec.method == "POST"
        and "{" not in spec.path.rpartition("/")[2]
        and (not spec.operation_id or spec.operation_id.startswith("Create"))
    )


@dataclass(frozen=True, slots=True)
class _Entry:
    effects: frozenset[str]
    recipients: tuple[str, ...] | None
    when: Mapping[str, Mapping[str, tuple[Any, ...]]]


def _by_method(method: str) -> frozenset[str]:
    if method in READ_METHODS:
        return _READ
    return _DELETE if method == "DELETE" else _WRITE


def _entry(spec: OperationSpec) -> _Entry | None:
    entry = _table().get((spec.service, spec.operation_id))
    if entry is None or isinstance(spec, LocalSpec):
        return None
    return entry if served_by_twilio(spec.server) else None


@cache
def _table() -> dict[tuple[str, str], _Entry]:
    # Its shape is checked by the tests (tests/policy/test_effects.py), not on every import.
    document = read_document(TABLE, "effect table")
    return {
        (service, operation_id): _Entry(
            effects=frozenset(raw.get("effects", ())),
            recipients=tuple(raw["recipients"]) if "recipients" in raw else None,
            when={
                effect: {argument: tuple(values) for argument, values in arguments.items()}
                for effect, arguments in raw.get("when", {}).items()
            },
        )
        for service, operations in document.items()
        for operation_id, raw in operations.items()
    }
