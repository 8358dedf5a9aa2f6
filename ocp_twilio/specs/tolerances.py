"""The known ways Twilio's answers break Twilio's own response schemas, in one table.

Twilio's example answers (and its live ones) break the response schemas of the same OpenAPI
files in a few harmless ways. Each rule below widens a converted response schema just enough
for answers of its kind to pass strict validation; anything else still fails. The rules are
applied once, when a file's response schemas are converted (specs/openapi.py), so an answer is
still checked by jsonschema-rs's quick path. Argument schemas are never widened: what a model
sends stays as Twilio describes it.

One more class is not a schema rule: relative ``uri`` values, which the answers' formats
(tools/formats.py, OUTPUT_FORMATS) accept for answers from every source. docs/reference.md
says how many of Twilio's examples each rule lets pass; benchmarks/twilio_examples.py counts
them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .json_schema import SUBSCHEMA_LISTS, SUBSCHEMA_MAPS, SUBSCHEMA_VALUES, allow_null

__all__ = ["TOLERANCES", "Tolerance", "widen_answer_schema"]


@dataclass(frozen=True)
class Tolerance:
    """One rule: its name, what Twilio's answers do, and how a schema node is widened for it
    (``widen(node, is_property)``, in place; ``is_property`` for a value of an object)."""

    name: str
    twilio_sends: str
    widen: Callable[[dict[str, Any], bool], None]


def _number_as_text(node: dict[str, Any], _is_property: bool) -> None:
    kinds = _types(node)
    if "number" in kinds and "string" not in kinds and not {"pattern", "enum"} & node.keys():
        # A pattern binds strings only: a number is still checked as one.
        node["type"] = [*kinds, "string"]
        node["pattern"] = _DECIMAL_TEXT


def _empty_sid(node: dict[str, Any], _is_property: bool) -> None:
    pattern = node.get("pattern")
    sid = _SID_PATTERN.fullmatch(pattern) if isinstance(pattern, str) else None
    if sid is not None and "string" in _types(node):
        node["pattern"] = f"^(?:{sid[1]}[0-9a-fA-F]{{32}})?$"
        node.pop("minLength", None)


def _null_property(node: dict[str, Any], is_property: bool) -> None:
    if is_property:
        allow_null(node)


_DECIMAL_TEXT = r"^-?[0-9]+(?:\.[0-9]+)?$"
# Twilio's SID pattern: two capital letters and 32 hex digits (^CA[0-9a-fA-F]{32}$).
_SID_PATTERN = re.compile(r"\^([A-Z]{2})\[0-9a-fA-F\]\{32\}\$")

TOLERANCES: tuple[Tolerance, ...] = (
    Tolerance(
        "number-as-text",
        'a decimal number as a string (prices such as "-0.00750", coordinates, probabilities)',
        _number_as_text,
    ),
    Tolerance(
        "empty-sid",
        'the empty string for a SID that is not set ("" where ^AP[0-9a-fA-F]{32}$ is demanded)',
        _empty_sid,
    ),
    Tolerance(
        "null-property",
        "null for a value of an object that its schema does not mark nullable "
        "(lookups_v2 writes no nullable at all; enums by $ref never say it)",
        _null_property,
    ),
)
"""Every rule the answers of Twilio's OpenAPI files are checked under."""


def widen_answer_schema(
    schema: dict[str, Any], tolerances: Iterable[Tolerance] = TOLERANCES
) -> dict[str, Any]:
    """``schema``, a fresh conversion of a response schema, widened in place by ``tolerances``."""
    rules = tuple(tolerances)
    if rules:
        _widen(schema, False, rules)
    return schema


def _widen(node: Any, is_property: bool, rules: tuple[Tolerance, ...]) -> None:
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in SUBSCHEMA_LISTS and isinstance(value, list):
            for part in value:
                _widen(part, False, rules)
        elif key in SUBSCHEMA_VALUES:
            _widen(value, False, rules)
        elif key in SUBSCHEMA_MAPS and isinstance(value, dict):
            for part in value.values():
                _widen(part, key == "properties", rules)
    for rule in rules:
        rule.widen(node, is_property)


def _types(node: dict[str, Any]) -> list[str]:
    kind = node.get("type")
    return [kind] if isinstance(kind, str) else list(kind) if isinstance(kind, list) else []
