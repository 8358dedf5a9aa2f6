"""A tool as a framework lists it, and the check of the framework's naming rules (the rules
themselves are ``specs/names.py``)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from .._exceptions import SpecError
from ..specs.names import TOOL_NAME
from ..tools.tool import Tool
from ._schema import model_facing

__all__ = ["check_names", "exported_tool", "property_keys"]


def exported_tool(
    tool: Tool,
    framework: str,
    schema_key: str,
    *,
    safe_keys: bool = True,
    name_rule: re.Pattern[str] = TOOL_NAME,
    key_rule: re.Pattern[str] | None = None,
) -> dict[str, Any]:
    """``{"name", "description", schema_key: input schema}``: the tool as ``framework`` lists
    it, its description and schema as :func:`~._schema.model_facing` makes them, its names
    checked by :func:`check_names`."""
    description, schema = model_facing(tool, safe_keys=safe_keys)
    check_names(tool, schema, framework, name_rule, key_rule)
    return {"name": tool.name, "description": description, schema_key: schema}


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
