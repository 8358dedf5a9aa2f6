"""OpenAPI 3.0 schemas as JSON Schema (2020-12). Pure functions: no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "SUBSCHEMA_LISTS",
    "SUBSCHEMA_MAPS",
    "SUBSCHEMA_VALUES",
    "allow_null",
    "openapi_to_json_schema",
]

# Keywords OpenAPI 3.0 allows that JSON Schema validators do not need.
_OPENAPI_ONLY = frozenset(
    {"nullable", "discriminator", "xml", "externalDocs", "example", "deprecated"}
)
# Where a schema holds schemas: lists of them, one, or a map of names to them. Sets: the walkers
# look up every key of every node in them.
SUBSCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
SUBSCHEMA_VALUES = frozenset(
    {
        "items",
        "not",
        "additionalProperties",
        "contains",
        "if",
        "then",
        "else",
        "propertyNames",
        "unevaluatedItems",
        "unevaluatedProperties",
    }
)
SUBSCHEMA_MAPS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)


def openapi_to_json_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Convert an OpenAPI 3.0 schema object to JSON Schema (2020-12).

    ``nullable: true`` becomes ``null`` among the allowed types (and values, for enums);
    ``x-`` extensions and OpenAPI-only keywords are dropped.
    """
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _OPENAPI_ONLY or key.startswith("x-"):
            continue
        if key in SUBSCHEMA_LISTS:
            out[key] = [openapi_to_json_schema(s) for s in value]
        elif key in SUBSCHEMA_VALUES and isinstance(value, (dict, Mapping)):
            out[key] = openapi_to_json_schema(value)
        elif key in SUBSCHEMA_MAPS:
            out[key] = {name: openapi_to_json_schema(s) for name, s in value.items()}
        else:
            out[key] = value
    if schema.get("nullable") is True:
        allow_null(out)
    return out


def allow_null(schema: dict[str, Any]) -> None:
    """Let ``schema`` (converted, changed in place) take null as well."""
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        schema["type"] = [*kind, "null"]
    if "enum" in schema and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]
    if "$ref" in schema:
        # A $ref is checked beside its siblings, and its target (Twilio's: an enum, beside a
        # `type`) knows no null: the reference becomes one choice, null the other.
        either = [{"$ref": schema.pop("$ref")}, {"type": "null"}]
        if "anyOf" in schema:
            schema["allOf"] = [*schema.get("allOf", ()), {"anyOf": either}]
        else:
            schema["anyOf"] = either
