"""Each framework's published rules for tool definitions, as checks tests run on every export."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

OPENAI_FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
ANTHROPIC_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
ANTHROPIC_PROPERTY_KEY = re.compile(r"^[a-zA-Z0-9_.-]{1,64}$")
MCP_TOOL_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")

# OpenAI Structured Outputs, "Supported schemas": keywords and string formats strict mode takes.
STRICT_KEYWORDS = {
    "type", "description", "enum", "const", "properties", "required", "additionalProperties",
    "items", "anyOf", "$ref", "$defs", "pattern", "format", "multipleOf", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems",
}  # fmt: skip
STRICT_FORMATS = {
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uuid",
}
TOP_LEVEL_COMBINATORS = {"oneOf", "anyOf", "allOf", "not", "enum"}


def strict_violations(schema: Mapping[str, Any], where: str = "$") -> list[str]:
    """Every place where ``schema`` breaks OpenAI's strict-mode rules (empty when none)."""
    found = []
    if where == "$":
        if schema.get("type") != "object":
            found.append("$: the root must be an object")
        found += [f"$: {k} at the top level" for k in TOP_LEVEL_COMBINATORS & set(schema)]
    found += [f"{where}: {k} unsupported" for k in set(schema) - STRICT_KEYWORDS]
    if "format" in schema and schema["format"] not in STRICT_FORMATS:
        found.append(f"{where}: format {schema['format']} unsupported")
    kinds = schema.get("type")
    if kinds == "object" or (isinstance(kinds, list) and "object" in kinds):
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is not False:
            found.append(f"{where}: additionalProperties must be false")
        if sorted(schema.get("required", [])) != sorted(properties):
            found.append(f"{where}: every property must be required")
        for name, sub in properties.items():
            found += strict_violations(sub, f"{where}.{name}")
    if isinstance(schema.get("items"), Mapping):
        found += strict_violations(schema["items"], f"{where}[]")
    for i, option in enumerate(schema.get("anyOf", ())):
        found += strict_violations(option, f"{where}.anyOf[{i}]")
    return found


def property_keys(schema: Any) -> list[str]:
    """Every key of every nested ``properties`` map."""
    keys: list[str] = []
    if isinstance(schema, Mapping):
        for keyword, value in schema.items():
            if keyword == "properties" and isinstance(value, Mapping):
                keys += list(value)
                for sub in value.values():
                    keys += property_keys(sub)
            elif isinstance(value, (Mapping, list)):
                keys += property_keys(value)
    elif isinstance(schema, list):
        for item in schema:
            keys += property_keys(item)
    return keys
