"""The tools the command knows, without credentials: for listing, describing, typing --arg."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .._exceptions import AmbiguousToolName, ToolNotFound
from ..registration.apis import load_tools
from ..specs.sources import spec_files, synced_specs_dir
from ..tools.index import ToolIndex
from ..tools.tool import Tool

__all__ = ["example_arguments", "find_tool", "known_tools"]

# What reaches the rest of Twilio, where only the curated Pay tools are installed.
_NOT_SYNCED = (
    "Only the curated Pay tools are installed; Twilio's other operations come with its OpenAPI "
    'files: run `ocp-twilio sync` once (then every command, and register_api("twilio"), finds '
    "them without --spec), or pass --spec with a folder of Twilio's OpenAPI files."
)

_SID_PATTERN = re.compile(r"^\^([A-Z]{2})\[0-9a-fA-F\]\{32\}\$$")


def known_tools(spec: Path | None = None) -> ToolIndex:
    """The installed tools (the curated ones and whatever is synced), or those of ``spec``."""
    return ToolIndex(load_tools("twilio", spec))


def find_tool(name: str, spec: Path | None = None) -> Tool:
    """The tool ``name`` of :func:`known_tools`; where Twilio's OpenAPI files are neither synced
    nor given, a name not found says how to get them."""
    try:
        return known_tools(spec).get(name)
    except AmbiguousToolName:
        raise
    except ToolNotFound as exc:
        if spec is not None or spec_files([synced_specs_dir()], missing_ok=True):
            raise
        raise ToolNotFound(name, exc.suggestions, f"{exc} {_NOT_SYNCED}") from None


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
