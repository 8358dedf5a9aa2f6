"""Tools as MCP's ``tools/list`` declares them: schemas, annotations and output schemas.

Needs no SDK: ``mcp_tools`` is plain data, as the other adapters' lists are.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from ...specs.effects import conditional_effects, is_additive
from ...specs.names import MCP_NAME
from ...tools.tool import Tool
from .._exported_formats import exported_schema
from .._rules import check_names
from .._schema import model_facing

__all__ = ["EFFECTS_META", "mcp_tools"]

# The key of a tool's effects in its ``_meta`` (MCP reserves unprefixed and MCP's own names).
EFFECTS_META = "io.github.ocp-twilio/effects"


def mcp_tools(tools: Iterable[Tool]) -> list[dict[str, Any]]:
    """Tool definitions as ``tools/list`` returns them (MCP's camelCase wire names)."""
    return [_definition(tool) for tool in tools]


def _definition(tool: Tool) -> dict[str, Any]:
    # Safe keys: hosts such as Claude Code give the schemas to Anthropic's API as they are.
    description, schema = model_facing(tool, safe_keys=True)
    check_names(tool, schema, "MCP", MCP_NAME)
    definition: dict[str, Any] = {
        "name": tool.name,
        # Some of Twilio's operations have no description; clients expect one.
        "description": description or f"{tool.endpoint} ({tool.spec.service}).",
        "inputSchema": exported_schema(schema, "input"),
        "annotations": _annotations(tool),
        "_meta": {EFFECTS_META: sorted(tool.effects)},
    }
    output = _published_output(tool)
    if output is not None:
        definition["outputSchema"] = output
    return definition


def _annotations(tool: Tool) -> dict[str, bool]:
    # Effects that some argument values bring count too: MCP's hints are about what may happen.
    effects = tool.effects | conditional_effects(tool.spec).keys()
    return {
        "readOnlyHint": effects == {"read"},
        # MCP's "destructive" is anything but a read or a pure addition: an update, a delete,
        # or a write that reaches a person, money or the account (callTwilioTool may do all).
        "destructiveHint": effects != {"read"}
        and not (effects == {"write"} and is_additive(tool.spec)),
        "idempotentHint": tool.idempotent,
        "openWorldHint": not tool.local,  # it acts on Twilio, outside the client
    }


def _published_output(tool: Tool) -> dict[str, Any] | None:
    """The output schema, where MCP can carry it: clients before 2026-07-28 need a root
    ``type: object``; a root ``$ref`` to an object is inlined to give one."""
    schema = tool.output_schema
    root = _object_root(schema) if schema is not None else None
    return exported_schema(root, "output") if root is not None else None


_LOCAL_REF = "#/$defs/"
_MAX_REF_HOPS = 8


def _object_root(schema: dict[str, Any]) -> dict[str, Any] | None:
    """``schema`` with its root ``$ref`` (a chain of them, bounded) replaced by what it names,
    the ``$defs`` kept for the ``$ref`` inside; None unless that is an object."""
    node: Any = schema
    defs = schema.get("$defs")
    for _ in range(_MAX_REF_HOPS):
        ref = node.get("$ref")
        if ref is None:
            break
        if not (isinstance(ref, str) and ref.startswith(_LOCAL_REF) and isinstance(defs, dict)):
            return None
        key = ref[len(_LOCAL_REF) :].replace("~1", "/").replace("~0", "~")
        node = defs.get(key)
        if not isinstance(node, dict):
            return None
    if node.get("type") != "object" or "$ref" in node:
        return None
    if "$ref" not in schema:
        return schema
    return {**cast(dict[str, Any], node), **{k: v for k, v in schema.items() if k != "$ref"}}
