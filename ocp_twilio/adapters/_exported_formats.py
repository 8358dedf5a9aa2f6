"""Formats MCP clients do not know, stated in exported schemas as words and, where sound, a pattern.

The JSON Schema validators of MCP clients (Ajv in the TypeScript SDK and the Inspector) know the
standard formats only, and warn about every other one on every call. An exported schema keeps
the standard formats and states the others as a description, plus in an input schema the
``pattern`` of the form the library checks, where it has one (a value that matches it always
passes the check). Output schemas get no such pattern: those patterns refuse some values the
check accepts (29 February), and a client fails a call whose structuredContent does not match.
The tool itself still checks its original schema (``tools/formats.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from ..tools.formats import INPUT_FORMATS, SOUND_PATTERNS
from ._schema import describe

__all__ = ["STANDARD_FORMATS", "exported_schema"]

Direction = Literal["input", "output"]

# JSON Schema 2020-12's formats, which Ajv's formats plug-in and other validators know.
STANDARD_FORMATS = frozenset(
    {
        "date-time", "date", "time", "duration", "email", "idn-email", "hostname",
        "idn-hostname", "ipv4", "ipv6", "uri", "uri-reference", "iri", "iri-reference", "uuid",
        "uri-template", "json-pointer", "relative-json-pointer", "regex",
    }
)  # fmt: skip
# Twilio's own answers carry relative `uri` values: answers are checked as URI references.
_OUTPUT_RENAMED = {"uri": "uri-reference"}
_WORDS = {
    "date-time-rfc-2822": "a date as RFC 2822 writes it, e.g. Wed, 18 Dec 2019 20:02:01 +0000",
    "http-url": "an absolute http or https URL",
    "iso-4217": "an ISO 4217 currency code, e.g. USD",
    "currency": "an ISO 4217 currency code, e.g. usd",
    "amount": "at most two decimals",
    "int32": "a 32-bit integer",
    "int64": "a 64-bit integer",
    "float": "a floating-point number",
    "phone-number": "a phone number in E.164 form, e.g. +15017122661",
    "http-method": "an HTTP method, GET or POST",
    "iso-country-code": "an ISO 3166-1 alpha-2 country code, e.g. US",
}
# Values, not schemas: a "format" member inside them is data.
_DATA_KEYS = frozenset({"enum", "const", "default", "examples", "example"})


def exported_schema(schema: Mapping[str, Any], direction: Direction) -> dict[str, Any]:
    """A copy of ``schema`` whose formats are all standard ones, the others put in words."""
    out = _exported(schema, direction)
    assert isinstance(out, dict)
    return out


def _exported(node: Any, direction: Direction) -> Any:
    if isinstance(node, list):
        return [_exported(item, direction) for item in node]
    if not isinstance(node, Mapping):
        return node
    out = {
        key: value if key in _DATA_KEYS else _exported(value, direction)
        for key, value in node.items()
    }
    name = out.get("format")
    if not isinstance(name, str):
        return out
    if direction == "output":
        name = _OUTPUT_RENAMED.get(name, name)
        out["format"] = name
    if name in STANDARD_FORMATS:
        return out
    del out["format"]
    pattern = _input_pattern(name) if direction == "input" else None
    if pattern is not None and "pattern" not in out:
        out["pattern"] = pattern
    words = _WORDS.get(name, f"format {name}")
    out["description"] = describe(str(out.get("description", "")), [words])
    return out


def _input_pattern(name: str) -> str | None:
    check = INPUT_FORMATS.checkers.get(name)
    return SOUND_PATTERNS.get(check[0]) if check is not None else None
