"""The known ways Twilio's answers break Twilio's own response schemas, in one table.

Twilio's example answers (and its live ones) break the response schemas of the same OpenAPI
files in a few harmless ways. Each rule below widens a converted response schema just enough
for answers of its kind to pass strict validation; anything else still fails. The rules are
applied once, when a file's response schemas are converted (specs/openapi.py), so an answer is
still checked by jsonschema-rs's quick path. Argument schemas are never widened: what a model
sends stays as Twilio describes it.

Two rules accept values of a wider shape, for a reason. Twilio adds enum values (statuses,
codecs, letter-case variants) without a new API version, and a SID is an opaque id that an agent
only passes back to Twilio, which judges it: a strict check of either would fail a call after
the request went through. Each still demands its plain shape (a short token; two capitals and
hex digits).

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

_Widen = Callable[[dict[str, Any], bool], None]


@dataclass(frozen=True)
class Tolerance:
    """One rule: its name, what Twilio's answers do, and how a schema node is widened for it
    (``widen(node, is_property)``, in place; ``is_property`` for a value of an object)."""

    name: str
    twilio_sends: str
    widen: _Widen


def _number_as_text(node: dict[str, Any], _is_property: bool) -> None:
    kinds = _types(node)
    if "number" in kinds and "string" not in kinds and not {"pattern", "enum"} & node.keys():
        # A pattern binds strings only: a number is still checked as one.
        node["type"] = [*kinds, "string"]
        node["pattern"] = _DECIMAL_TEXT
        _refuse_final_newline(node)


def _empty_sid(node: dict[str, Any], _is_property: bool) -> None:
    form = _sid_form(node)
    if form is not None:
        _write_sid(node, form[0], any_shape=form[1], empty=True)


def _sid_shape(node: dict[str, Any], _is_property: bool) -> None:
    form = _sid_form(node)
    if form is not None:
        _write_sid(node, form[0], any_shape=True, empty=form[2])


def _open_enum(node: dict[str, Any], _is_property: bool) -> None:
    values = node.get("enum")
    if not isinstance(values, list) or {"if", "then", "else"} & node.keys():
        return
    if not any(isinstance(v, str) for v in values) or not all(
        isinstance(v, str) or v is None for v in values
    ):
        return  # an enum of numbers or of mixed kinds stays closed
    kinds = _types(node)
    if not kinds:
        # The enum alone kept out every other kind: the type says it now.
        node["type"] = ["string", "null"] if None in values else "string"
    elif not set(kinds) <= {"string", "null"}:
        return
    # A listed value passes as before; any other string must be a plain token. Only strings
    # reach the token check (the type refuses the rest), so null stays as the type allows.
    node["if"] = {"enum": node.pop("enum")}
    node["else"] = {"pattern": _TOKEN}
    _refuse_final_newline(node["else"])


def _null_property(node: dict[str, Any], is_property: bool) -> None:
    if is_property:
        allow_null(node)


_DECIMAL_TEXT = r"^-?[0-9]+(?:\.[0-9]+)?$"
_TOKEN = r"^[A-Za-z0-9_.-]{1,64}$"
# Twilio's SID pattern (^CA[0-9a-fA-F]{32}$), or one that empty-sid and sid-shape wrote from it
# (both may apply to one node, in either order): the prefix, any shape, may be empty.
_SID_FORM = re.compile(
    r"\^(\(\?:)?([A-Z]{2})\[0-9a-fA-F\]\{32\}(\|\[A-Z\]\{2\}\[0-9a-fA-F\]\{8,32\})?(\)\??)?\$"
)
_ANY_SID = "[A-Z]{2}[0-9a-fA-F]{8,32}"


def _sid_form(node: dict[str, Any]) -> tuple[str, bool, bool] | None:
    """(prefix, any shape, may be empty) of a string node with a SID pattern, else None."""
    pattern = node.get("pattern")
    if not isinstance(pattern, str) or "string" not in _types(node):
        return None
    found = _SID_FORM.fullmatch(pattern)
    # Only the forms written here: brackets both or neither, and around any alternative.
    if found is None or (found[1] is None) != (found[4] is None) or (found[3] and not found[1]):
        return None
    return found[2], found[3] is not None, found[4] == ")?"


def _write_sid(node: dict[str, Any], prefix: str, *, any_shape: bool, empty: bool) -> None:
    # Twilio's own SID stays first, though any shape covers it: what the pattern says about
    # the resource (tools/search_signals.py reads an answer's SID prefix) is kept.
    sid = f"{prefix}[0-9a-fA-F]{{32}}" + (f"|{_ANY_SID}" if any_shape else "")
    node["pattern"] = f"^(?:{sid})?$" if empty else f"^(?:{sid})$" if any_shape else f"^{sid}$"
    node.pop("minLength", None)  # the pattern bounds the length now
    _refuse_final_newline(node)


def _refuse_final_newline(node: dict[str, Any]) -> None:
    """Make ``node``'s ``$`` mean the end of the text in Python too: Python's ``re``
    (jsonschema's) lets it match before a final newline, ECMA-262 and Rust (jsonschema-rs) do
    not, so "AP1234abcd\\n" would pass the full check that the quick one refused."""
    guard = {"type": "string", "pattern": r"\n"}
    if "not" not in node:
        node["not"] = guard
    elif node["not"] != guard:
        node["allOf"] = [*node.get("allOf", ()), {"not": guard}]


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
    Tolerance(
        "open-enum",
        "a value of an enum that the enum does not list (statuses and codecs Twilio adds "
        'without a new API version, letter case such as "opus" for OPUS); a plain token only',
        _open_enum,
    ),
    Tolerance(
        "sid-shape",
        "a SID of another two-capital-letter prefix (an AP... SID as a trunk's TK...) or with "
        "8 to 32 hex digits (VT12445353)",
        _sid_shape,
    ),
)
"""Every rule the answers of Twilio's OpenAPI files are checked under."""


def widen_answer_schema(
    schema: dict[str, Any], tolerances: Iterable[Tolerance] = TOLERANCES
) -> dict[str, Any]:
    """``schema``, a fresh conversion of a response schema, widened in place by ``tolerances``."""
    widen = tuple(rule.widen for rule in tolerances)
    if widen:
        _widen(schema, False, widen)
    return schema


def _widen(node: Any, is_property: bool, widen: tuple[_Widen, ...]) -> None:
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in SUBSCHEMA_LISTS and isinstance(value, list):
            for part in value:
                _widen(part, False, widen)
        elif key in SUBSCHEMA_VALUES:
            _widen(value, False, widen)
        elif key in SUBSCHEMA_MAPS and isinstance(value, dict):
            for part in value.values():
                _widen(part, key == "properties", widen)
    for rule in widen:
        rule(node, is_property)


def _types(node: dict[str, Any]) -> list[str]:
    kind = node.get("type")
    return [kind] if isinstance(kind, str) else list(kind) if isinstance(kind, list) else []
