"""MCP tools and a stdio MCP server (official ``mcp`` SDK, the ``mcp`` extra) over an OCPAgent.

Every call goes through ``OCPAgent.call_tool``, so input is validated by the tool's own schema
before anything is sent: the SDK's server does not validate arguments itself.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import ToolNotFound
from ..tool import Tool
from ..version import __version__
from ._calls import ToolOutcome, call_for_model, error_text
from ._rules import MCP_NAME, check_names
from ._schema import model_facing

if TYPE_CHECKING:
    from mcp.server.lowlevel import Server

    from ..agent import OCPAgent

__all__ = ["build_mcp_server", "mcp_tools", "serve_stdio"]

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def mcp_tools(tools: Iterable[Tool]) -> list[dict[str, Any]]:
    """Tool definitions as ``tools/list`` returns them (MCP's camelCase wire names)."""
    return [_definition(tool) for tool in tools]


def build_mcp_server(agent: OCPAgent, tools: Sequence[Tool], name: str = "ocp-twilio") -> Server:
    """A low-level MCP server that lists ``tools`` and calls them through ``agent``."""
    # Imported here: the SDK is an optional extra, and listing tools does not need it.
    import mcp_types as types
    from mcp.server.lowlevel import Server

    listed = types.ListToolsResult(tools=[types.Tool.model_validate(d) for d in mcp_tools(tools)])
    served = {tool.name: tool for tool in tools}

    async def list_tools(
        ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return listed

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        tool = served.get(params.name)
        if tool is None:
            close = difflib.get_close_matches(params.name, served, n=3, cutoff=0.6)
            outcome = ToolOutcome(error=error_text(ToolNotFound(params.name, close)))
        else:
            outcome = await call_for_model(
                agent, tool.name, params.arguments or {}, tool.api, safe_keys=True
            )
        structured = (
            outcome.data
            if not outcome.is_error and _published_output(tool) and isinstance(outcome.data, dict)
            else None
        )
        return types.CallToolResult(
            content=[types.TextContent(text=outcome.text)],
            structured_content=structured,
            is_error=outcome.is_error,
        )

    return Server(
        name,
        version=__version__,
        instructions="Twilio operations as tools; arguments are validated before anything is sent.",
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


async def serve_stdio(agent: OCPAgent, tools: Sequence[Tool]) -> None:
    """Serve ``tools`` over stdin/stdout until the client closes the connection."""
    from mcp.server.stdio import stdio_server

    server = build_mcp_server(agent, tools)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def _definition(tool: Tool) -> dict[str, Any]:
    # Safe keys: hosts such as Claude Code give the schemas to Anthropic's API as they are.
    description, schema = model_facing(tool, safe_keys=True)
    check_names(tool, schema, "MCP", MCP_NAME)
    definition: dict[str, Any] = {
        "name": tool.name,
        "description": description,
        "inputSchema": schema,
        "annotations": _annotations(tool),
    }
    output = _published_output(tool)
    if output is not None:
        definition["outputSchema"] = output
    return definition


def _annotations(tool: Tool) -> dict[str, bool]:
    return {
        "readOnlyHint": tool.method in _READ_METHODS,
        "destructiveHint": tool.method == "DELETE",
        "idempotentHint": tool.idempotent,
        "openWorldHint": not tool.local,  # it acts on Twilio, outside the client
    }


def _published_output(tool: Tool | None) -> dict[str, Any] | None:
    """The output schema, where MCP can carry it: clients before 2026-07-28 need an object."""
    schema = tool.output_schema if tool is not None else None
    return schema if schema is not None and schema.get("type") == "object" else None
