"""Which tools to export, and the naming rules each framework puts on what is exported."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from .._exceptions import SpecError
from ..tools.tool import Tool

__all__ = [
    "ANTHROPIC_KEY",
    "ANTHROPIC_NAME",
    "MCP_NAME",
    "OPENAI_NAME",
    "check_names",
    "property_keys",
]

OPENAI_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
ANTHROPIC_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
ANTHROPIC_KEY = re.compile(r"^[a-zA-Z0-9_.-]{1,64}$")
# MCP 2025-11-25: 1 to 128 characters of ASCII letters, digits, "_", "-" and ".".
MCP_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


def check_names(
    tool: Tool,
    schema: Mapping[str, Any],
    framework: str,
    name_rule: re.Pattern[str],
    key_rule: re.Pattern[str] | None = None,
) -> None:
    """Raise SpecError when the tool's name or a property key breaks the framework's rule."""
    problems = []
    if not name_rule.match(tool.name):
        problems.append(f"the tool name must match {name_rule.pattern}")
    if key_rule is not None:
        bad = sorted({k for k in property_keys(schema) if not key_rule.match(k)})
        if bad:
            problems.append(f"argument names {bad} must match {key_rule.pattern}")
    if problems:
        raise SpecError(f"{tool.name} cannot be exported to {framework}: {'; '.join(problems)}.")


def property_keys(schema: Any) -> Iterator[str]:
    """Every key of every ``properties`` map in a schema, nested ones included."""
    if isinstance(schema, Mapping):
        for keyword, value in schema.items():
            if keyword in _SCHEMA_MAPS and isinstance(value, Mapping):
                if keyword == "properties":
                    yield from value
                for subschema in value.values():
                    yield from property_keys(subschema)
            else:
                yield from property_keys(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from property_keys(item)


_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions"})
