"""MCP tools and a stdio MCP server (official ``mcp`` SDK, the ``mcp`` extra) over an OCPAgent.

Every call goes through ``OCPAgent.call_tool``, so input is validated by the tool's own schema
before anything is sent: the SDK's server does not validate arguments itself.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

from .._exceptions import ToolNotFound
from .._version import __version__
from ..specs.methods import READ_METHODS as _READ_METHODS
from ..specs.names import MCP_NAME
from ..tools.compact import CALL_TOOL
from ..tools.offer import Offer
from ..tools.tool import Tool
from ._calls import call_for_model, error_text
from ._exported_formats import exported_schema
from ._keys import real_keys
from ._rules import check_names
from ._schema import model_facing
from .mcp_pay_sessions import PaySessions
from .mcp_prompts import PaymentPrompts

if TYPE_CHECKING:
    from mcp.server.lowlevel import Server

    from .._agent import OCPAgent

__all__ = ["build_mcp_server", "mcp_tools", "serve_stdio", "served_by"]

# Pages of tools/list: Twilio's 1,447 tools in one answer are tens of megabytes, more than a
# client reads as one event (the SDK's client stops at 1 MiB).
TOOLS_PER_PAGE = 50


def mcp_tools(tools: Iterable[Tool]) -> list[dict[str, Any]]:
    """Tool definitions as ``tools/list`` returns them (MCP's camelCase wire names)."""
    return [_definition(tool) for tool in tools]


def build_mcp_server(agent: OCPAgent, tools: Sequence[Tool], name: str = "ocp-twilio") -> Server:
    """A low-level MCP server that lists ``tools`` and calls them through ``agent``, with the
    Pay sessions of the agent's receiver as resources, and prompts that guide a payment."""
    return served_by(agent, tools, name)[0]


def served_by(
    agent: OCPAgent, tools: Sequence[Tool], name: str = "ocp-twilio"
) -> tuple[Server, PaySessions]:
    """The server, and its subscriptions, for the transport to end when it stops."""
    # Imported here: the SDK is an optional extra, and listing tools does not need it.
    import mcp_types as types
    from mcp.server.lowlevel import Server
    from mcp.shared.exceptions import MCPError

    definitions = mcp_tools(tools)
    listed = [types.Tool.model_validate(d) for d in definitions]
    served = {tool.name: tool for tool in tools}
    offer = Offer(tools)  # the client's model was given these alone
    structured = {d["name"] for d in definitions if "outputSchema" in d}
    pay_sessions = PaySessions(lambda: agent.receiver.store if agent.receiver else None)

    async def list_tools(
        ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        cursor = params.cursor if params is not None else None
        start = _page_start(cursor, len(listed))
        end = start + TOOLS_PER_PAGE
        return types.ListToolsResult(
            tools=listed[start:end], next_cursor=str(end) if end < len(listed) else None
        )

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        tool = served.get(params.name)
        if tool is None:  # the specification's protocol error, not a tool that failed
            close = difflib.get_close_matches(params.name, served, n=3, cutoff=0.6)
            raise MCPError(types.INVALID_PARAMS, error_text(ToolNotFound(params.name, close)))
        outcome = await call_for_model(
            agent, offer, tool.name, params.arguments or {}, prepare=real_keys
        )
        content = (
            outcome.data
            if not outcome.is_error and tool.name in structured and isinstance(outcome.data, dict)
            else None
        )
        return types.CallToolResult(
            content=[types.TextContent(text=outcome.text)],
            structured_content=content,
            is_error=outcome.is_error,
        )

    server = Server(
        name,
        version=__version__,
        instructions=(
            "Twilio operations as tools; arguments are validated before anything is sent. "
            "Pay sessions are resources (twilio-pay://{Sid}) to read and subscribe to; the "
            "prompts guide a payment from start to outcome."
        ),
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        **pay_sessions.handlers(),
        **PaymentPrompts(tools).handlers(),
    )
    return server, pay_sessions


async def serve_stdio(agent: OCPAgent, tools: Sequence[Tool]) -> None:
    """Serve ``tools`` over stdin/stdout until the client closes the connection."""
    from mcp.server.stdio import stdio_server

    server, pay_sessions = served_by(agent, tools)
    try:
        async with stdio_server() as (read_stream, write_stream):
            answering = AnsweringReadStream(read_stream, write_stream)
            await server.run(answering, write_stream, server.create_initialization_options())
    finally:
        await pay_sessions.close()


class AnsweringReadStream:
    """The SDK's read stream, where a line that it cannot parse is answered, not dropped.

    The SDK's JSON parser stops at 200 levels of nesting and the server then only logs the
    failure: the client would wait for ever. Each such line gets an error answer with the
    request's id (found without parsing the nesting), or id null where it has none.
    """

    def __init__(self, inner: Any, write_stream: Any) -> None:
        self._inner = inner
        self._write_stream = write_stream

    def __getattr__(self, name: str) -> Any:  # last_context, which the SDK reads if present
        return getattr(self._inner, name)

    def __aiter__(self) -> AnsweringReadStream:
        return self

    async def __anext__(self) -> Any:
        while True:
            item = await self._inner.__anext__()
            if not isinstance(item, Exception):
                return item
            await self._answer(item)

    async def receive(self) -> Any:
        return await self.__anext__()

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> AnsweringReadStream:
        await self._inner.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> Any:
        return await self._inner.__aexit__(*exc_info)

    async def _answer(self, failure: Exception) -> None:
        import mcp_types as types
        from mcp.shared.message import SessionMessage

        line = _failed_line(failure)
        error = types.JSONRPCError(
            jsonrpc="2.0",
            id=_top_level_id(line) if line else None,
            error=types.ErrorData(
                code=types.INVALID_REQUEST,
                message=(
                    "The request could not be read: it is not valid JSON-RPC, or nests more "
                    "than 200 levels deep. Send it again with flatter arguments."
                ),
            ),
        )
        await self._write_stream.send(SessionMessage(error))


def _failed_line(failure: Exception) -> str:
    """The raw line a pydantic ValidationError of the SDK's parser holds as its input."""
    errors = getattr(failure, "errors", None)
    try:
        found = errors()[0].get("input") if callable(errors) else None
    except (TypeError, IndexError, AttributeError):
        return ""
    return found if isinstance(found, str) else ""


def _top_level_id(line: str) -> str | int | None:
    """The ``id`` member of the JSON object ``line``, read without descending into its nesting:
    strings are read as tokens, brackets only counted."""
    decoder = json.JSONDecoder()
    depth, index = 0, 0
    while index < len(line):
        char = line[index]
        if char == '"':
            try:
                text, index = decoder.raw_decode(line, index)
            except ValueError:
                return None
            if depth == 1 and text == "id":
                value_at = _after_colon(line, index)
                if value_at is not None and line[value_at] not in "{[":
                    try:
                        value = decoder.raw_decode(line, value_at)[0]
                    except ValueError:
                        return None
                    ok = isinstance(value, (str, int)) and not isinstance(value, bool)
                    return value if ok else None
            continue
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        index += 1
    return None


def _after_colon(line: str, index: int) -> int | None:
    """Where the value after ``:`` starts, if a colon (a key's) follows ``index``."""
    rest = line[index:].lstrip()
    if not rest.startswith(":"):
        return None
    value = rest[1:].lstrip()
    return len(line) - len(value) if value else None


def _page_start(cursor: str | None, count: int) -> int:
    """Where the page of ``cursor`` (the index of its first tool, as a previous page gave it)
    starts."""
    if cursor is None:
        return 0
    if not cursor.isdigit() or int(cursor) >= count:
        from mcp.shared.exceptions import MCPError
        from mcp_types import INVALID_PARAMS

        raise MCPError(INVALID_PARAMS, "Unknown cursor: list the tools again from the start.")
    return int(cursor)


def _definition(tool: Tool) -> dict[str, Any]:
    # Safe keys: hosts such as Claude Code give the schemas to Anthropic's API as they are.
    description, schema = model_facing(tool, safe_keys=True)
    check_names(tool, schema, "MCP", MCP_NAME)
    definition: dict[str, Any] = {
        "name": tool.name,
        # Some of Twilio's operations have no description; clients expect one.
        "description": description or f"{tool.method} {tool.spec.path} ({tool.spec.service}).",
        "inputSchema": exported_schema(schema, "input"),
        "annotations": _annotations(tool),
    }
    output = _published_output(tool)
    if output is not None:
        definition["outputSchema"] = output
    return definition


def _annotations(tool: Tool) -> dict[str, bool]:
    return {
        "readOnlyHint": tool.method in _READ_METHODS,
        # callTwilioTool calls any tool, a DELETE too.
        "destructiveHint": tool.method == "DELETE" or tool.name == CALL_TOOL,
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
