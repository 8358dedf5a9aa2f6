"""Schema rules a framework cannot take, rewritten as words in descriptions.

The tool still validates the original schema when called; these texts only tell the model.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ..tools.body_forms import forms_text, is_forms_choice
from ..tools.tool import Tool
from ._keys import safe_input_schema

__all__ = ["describe", "model_facing", "rule_text", "with_notes"]

# Providers reject these at the top of a function's parameters (they want a plain object).
_TOP_LEVEL_COMBINATORS = ("oneOf", "anyOf", "allOf", "not")


def model_facing(tool: Tool, *, safe_keys: bool = False) -> tuple[str, dict[str, Any]]:
    """The tool's description and input schema, top-level combinators moved into the text.

    ``safe_keys``: keys that break Anthropic's rule go by their aliases (see ``_keys``); the
    framework's calls must then be made with ``call_for_model(..., prepare=real_keys)``.
    """
    schema = dict(safe_input_schema(tool) if safe_keys else tool.input_schema)
    notes = [rule_text(k, schema.pop(k)) for k in _TOP_LEVEL_COMBINATORS if k in schema]
    return describe(tool.description, notes), schema


def describe(description: str, notes: Iterable[str]) -> str:
    """``description`` followed by the notes, as sentences."""
    text = " ".join(_sentence(n) for n in notes if n)
    return f"{description} {text}".strip() if description else text


def _sentence(note: str) -> str:
    return note[0].upper() + note[1:] + ("" if note.endswith(".") else ".")


def with_notes(schema: Mapping[str, Any], notes: list[str]) -> dict[str, Any]:
    """``schema`` with the notes appended to its description."""
    out = dict(schema)
    if notes:
        out["description"] = describe(str(schema.get("description", "")), notes)
    return out


def rule_text(keyword: str, value: Any) -> str:
    """One schema rule in words, e.g. ``at most 256 characters``."""
    if keyword in ("oneOf", "anyOf") and is_forms_choice(value):
        return forms_text(keyword, value)
    if keyword == "oneOf" and isinstance(value, list):
        choices = [_required_names(option) for option in value]
        if all(choices):
            return "Give exactly one of " + " or ".join(n for c in choices for n in c)
    if (
        keyword == "allOf"
        and isinstance(value, list)
        and all(isinstance(v, Mapping) for v in value)
    ):
        return ". ".join(rule_text(k, v) for part in value for k, v in part.items())
    if keyword == "not" and isinstance(value, Mapping) and "enum" in value:
        return "must not be any of: " + ", ".join(json.dumps(v) for v in value["enum"])
    if keyword == "minLength" and value == 1:
        return "must not be empty"
    words = _WORDS.get(keyword)
    if words is not None:
        return words.format(value)
    return f"{keyword}: {json.dumps(value, separators=(',', ':'))}"


def _required_names(option: Any) -> list[str]:
    if isinstance(option, Mapping) and set(option) == {"required"}:
        return list(option["required"])
    return []


_WORDS = {
    "minLength": "at least {} characters",
    "maxLength": "at most {} characters",
    "format": "format {}",
    "pattern": "must match {}",
    "minimum": "at least {}",
    "maximum": "at most {}",
    "exclusiveMinimum": "greater than {}",
    "exclusiveMaximum": "less than {}",
    "minItems": "at least {} items",
    "maxItems": "at most {} items",
    "uniqueItems": "items must differ",
    "default": "default {}",
}
