"""PLACEHOLDER until the effects branch lands: method-derived effects and a tiny table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import LocalSpec, OperationSpec

EFFECTS: tuple[str, ...] = ("read", "write", "delete", "contacts-person", "spends-money", "account")
_TABLE = {
    ("api_v2010", "CreateMessage"): ("contacts-person",),
    ("api_v2010", "CreateCall"): ("contacts-person",),
    ("api_v2010", "CreateIncomingPhoneNumber"): ("spends-money",),
}


def effects_of(spec: OperationSpec) -> frozenset[str]:
    if isinstance(spec, LocalSpec):
        return frozenset({"read"})
    base = {"GET": "read", "HEAD": "read", "DELETE": "delete"}.get(spec.method, "write")
    return frozenset({base, *_TABLE.get((spec.service, spec.operation_id), ())})


def conditional_effects(spec: OperationSpec) -> Mapping[str, Mapping[str, tuple[Any, ...]]]:
    if (spec.service, spec.operation_id) == ("api_v2010", "UpdatePayments"):
        return {"spends-money": {"Status": ("complete",)}}
    return {}


def recipient_arguments(spec: OperationSpec) -> tuple[str, ...]:
    if "contacts-person" in effects_of(spec) and any(p.name == "To" for p in spec.parameters):
        return ("To",)
    return ()
