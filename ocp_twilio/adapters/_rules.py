"""Which tools to export, and the naming rules each framework puts on what is exported."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..errors import SpecError
from ..tool import Tool

__all__ = [
    "ANTHROPIC_KEY",
    "ANTHROPIC_NAME",
    "MCP_NAME",
    "OPENAI_NAME",
    "check_names",
    "property_keys",
    "select_tools",
]

OPENAI_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
ANTHROPIC_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
ANTHROPIC_KEY = re.compile(r"^[a-zA-Z0-9_.-]{1,64}$")
# MCP 2025-11-25: 1 to 128 characters of ASCII letters, digits, "_", "-" and ".".
MCP_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


def select_tools(
    tools: Iterable[Tool],
    *,
    services: Iterable[str] = (),
    tags: Iterable[str] = (),
    names: Iterable[str] = (),
) -> list[Tool]:
    """Tools that pass every filter given; a filter passes when it names any of the tool's values.

    Each filter value may also be a comma-separated list, as command-line options give them.
    A name is the qualified ``api_v2010__updatePayments`` or the short ``updatePayments``.
    """
    wanted_services, wanted_tags, wanted_names = (
        _split(services),
        _split(tags),
        _split(names),
    )
    return [
        tool
        for tool in tools
        if (not wanted_services or tool.spec.service in wanted_services)
        and (not wanted_tags or wanted_tags & set(tool.tags))
        and (not wanted_names or not {tool.name, tool.spec.name}.isdisjoint(wanted_names))
    ]


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


def _split(values: Iterable[str]) -> set[str]:
    return {part.strip() for value in values for part in value.split(",") if part.strip()}
