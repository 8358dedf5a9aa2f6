"""A request body of several whole forms (OpenAPI's ``oneOf``/``anyOf``, see
:class:`~ocp_twilio.specs.model.BodyForm`) as JSON Schema and in words: what a tool's input
schema checks, and what a model reads where a framework takes no combinator at the top of a
tool's schema, or where its arguments fit no form.

Each form is a branch ``{"type": "object", "required": [...], "properties": {...}}`` of the
tool's top-level ``oneOf`` (or ``anyOf``): its narrowed arguments, and ``false`` for those it
refuses. ``"type": "object"`` tells these branches from an exactly-one-of group's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..specs.model import BodyForm, OperationSpec

__all__ = ["forms_schema", "forms_text", "is_forms_choice"]

_FORM_KEYS = frozenset({"type", "required", "properties"})


def forms_schema(spec: OperationSpec, owned: frozenset[str]) -> dict[str, Any] | None:
    """``{"oneOf": [form, ...]}`` (or ``anyOf``) of the spec's body forms; None without any.

    The arguments in ``owned`` (pinned by the operator) are left out: the model never gives
    them, and the operator's value is sent whichever form the call takes."""
    if not spec.body_forms:
        return None
    return {spec.body_choice: [_form_schema(form, owned) for form in spec.body_forms]}


def is_forms_choice(options: Any) -> bool:
    """Whether a ``oneOf``/``anyOf`` value holds the branches :func:`forms_schema` makes."""
    return (
        isinstance(options, list)
        and bool(options)
        and all(
            isinstance(o, Mapping) and o.get("type") == "object" and set(o) <= _FORM_KEYS
            for o in options
        )
    )


def forms_text(keyword: str, options: list[Any]) -> str:
    """The forms in words: ``give the arguments of exactly one of these forms: channel=WHATSAPP
    and messageId; or channel=APPLE, from and to``."""
    how = "exactly one" if keyword == "oneOf" else "at least one"
    forms = "; or ".join(_form_text(option) for option in options)
    return f"give the arguments of {how} of these forms: {forms}"


def _form_schema(form: BodyForm, owned: frozenset[str]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object"}
    required = [name for name in form.required if name not in owned]
    if required:
        schema["required"] = required
    properties: dict[str, Any] = {
        name: dict(narrowed) for name, narrowed in form.schemas.items() if name not in owned
    }
    properties.update((name, False) for name in form.refuses if name not in owned)
    if properties:
        schema["properties"] = properties
    return schema


def _form_text(option: Mapping[str, Any]) -> str:
    properties: Mapping[str, Any] = option.get("properties", {})
    names = [_named(name, properties.get(name)) for name in option.get("required", ())]
    if not names:
        return "no argument required"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _named(name: str, narrowed: Any) -> str:
    """``channel=WHATSAPP`` where the form allows one value only, else the name."""
    if isinstance(narrowed, Mapping):
        values = [narrowed["const"]] if "const" in narrowed else narrowed.get("enum")
        if isinstance(values, list) and len(values) == 1:
            value = values[0]
            return f"{name}={value if isinstance(value, str) else json.dumps(value)}"
    return name
