"""The tools the command knows, without credentials: for listing, describing, typing --arg."""

from __future__ import annotations

import re
from typing import Any

from ..registration.apis import load_tools
from ..tools.index import ToolIndex
from ..tools.tool import Tool

__all__ = ["example_arguments", "known_tools"]

_SID_PATTERN = re.compile(r"^\^([A-Z]{2})\[0-9a-fA-F\]\{32\}\$$")


def known_tools() -> ToolIndex:
    return ToolIndex(load_tools("twilio"))


def example_arguments(tool: Tool) -> dict[str, Any]:
    """Valid arguments for ``tool``: its required ones, and the first of each exactly-one group."""
    schema = tool.input_schema
    properties: dict[str, Any] = schema["properties"]
    names = list(schema.get("required", []))
    names += [group[0] for group in tool.spec.exactly_one_of if group[0] not in names]
    return {name: _example_value(name, properties[name]) for name in names}


def _example_value(name: str, schema: dict[str, Any]) -> Any:
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if schema.get("format") in ("uri", "http-url"):
        return "https://example.com/pay-status"
    sid = _SID_PATTERN.match(str(schema.get("pattern", "")))
    if sid:
        return sid.group(1) + "0123456789abcdef" * 2
    return f"example-{name}"
