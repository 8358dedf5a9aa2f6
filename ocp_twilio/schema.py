"""OpenAPI 3.0 schemas as JSON Schema, and the formats Twilio's descriptions use.

Pure functions and module-level registries: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from jsonschema import FormatChecker

__all__ = ["INPUT_FORMATS", "OUTPUT_FORMATS", "openapi_to_json_schema"]

# Keywords OpenAPI 3.0 allows that JSON Schema validators do not need.
_OPENAPI_ONLY = frozenset(
    {"nullable", "discriminator", "xml", "externalDocs", "example", "deprecated"}
)
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMA_VALUES = ("items", "not", "additionalProperties", "contains")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions")


def openapi_to_json_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Convert an OpenAPI 3.0 schema object to JSON Schema (2020-12).

    ``nullable: true`` becomes ``null`` among the allowed types (and values, for enums);
    ``x-`` extensions and OpenAPI-only keywords are dropped.
    """
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _OPENAPI_ONLY or key.startswith("x-"):
            continue
        if key in _SUBSCHEMA_LISTS:
            out[key] = [openapi_to_json_schema(s) for s in value]
        elif key in _SUBSCHEMA_VALUES and isinstance(value, Mapping):
            out[key] = openapi_to_json_schema(value)
        elif key in _SUBSCHEMA_MAPS:
            out[key] = {name: openapi_to_json_schema(s) for name, s in value.items()}
        else:
            out[key] = value
    if schema.get("nullable") is True:
        _allow_null(out)
    return out


def _allow_null(schema: dict[str, Any]) -> None:
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        schema["type"] = [*kind, "null"]
    if "enum" in schema and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]
    if "type" not in schema and "enum" not in schema and "$ref" in schema:
        ref = schema.pop("$ref")
        schema["anyOf"] = [{"$ref": ref}, {"type": "null"}]


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*$")
_FORBIDDEN_IN_URI = re.compile(r"[\s\x00-\x1f\x7f<>\"{}|\\^`]")


def _is_absolute_uri(value: object) -> bool:
    """RFC 3986 absolute URI: a scheme, no spaces or control characters; http(s) needs a host."""
    if not isinstance(value, str):
        return True
    if _FORBIDDEN_IN_URI.search(value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number to 65535
    except ValueError:  # "https://[::1/": an IPv6 host without its closing bracket
        return False
    if not parts.scheme or not _SCHEME.match(parts.scheme):
        return False
    if parts.scheme.lower() in ("http", "https"):
        return bool(parts.hostname)
    return bool(parts.netloc or parts.path)


def _is_uri_reference(value: object) -> bool:
    """Absolute or relative reference; Twilio's own responses carry relative ``uri`` values."""
    return not isinstance(value, str) or not _FORBIDDEN_IN_URI.search(value)


def _is_rfc2822_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return False
    return True


def _is_iso_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return "T" in value.upper() and parsed.tzinfo is not None


def _format_checker(uri_check: Any) -> FormatChecker:
    checker = FormatChecker(formats=("date", "email", "ipv4", "ipv6", "uuid"))
    checker.checks("date-time")(_is_iso_date_time)
    checker.checks("uri")(uri_check)
    checker.checks("uri-reference")(_is_uri_reference)
    checker.checks("date-time-rfc-2822")(_is_rfc2822_date)
    return checker


INPUT_FORMATS = _format_checker(_is_absolute_uri)
"""Formats for arguments: what Twilio will accept."""

OUTPUT_FORMATS = _format_checker(_is_uri_reference)
"""Formats for responses: lenient where Twilio's own answers break its descriptions."""
