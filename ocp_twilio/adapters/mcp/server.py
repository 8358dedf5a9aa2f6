"""An MCP server (official ``mcp`` SDK, the ``mcp`` extra) over an OCPAgent: its tools, paged,
the Pay sessions as resources and the payment prompts; the transports (``stdio``, ``http``)
serve it.

Every call goes through ``OCPAgent.call_tool``, so input is validated by the tool's own schema
before anything is sent: the SDK's server does not validate arguments itself. The operator's
policy decides there too; the approval it asks for is the client's to give, by elicitation
(``approval.py``).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..._exceptions import ToolNotFound
from ..._version import __version__
from ...tools.offer import Offer
from ...tools.tool import Tool
from .._calls import call_for_model, error_text
from .._keys import real_keys
from .approval import approver_for
from .pay_sessions import PaySessions
from .prompts import PaymentPrompts
from .tools import mcp_tools

if TYPE_CHECKING:
    from mcp.server.lowlevel import Server

    from ..._caller import ToolCaller

__all__ = ["build_mcp_server", "served_by"]

# Pages of tools/list: Twilio's 1,447 tools in one answer are tens of megabytes, more than a
# client reads as one event (the SDK's client stops at 1 MiB).
TOOLS_PER_PAGE = 50


def build_mcp_server(agent: ToolCaller, tools: Sequence[Tool], name: str = "ocp-twilio") -> Server:
    """A low-level MCP server that lists ``tools`` and calls them through ``agent``, with the
    Pay sessions of the agent's receiver as resources, and prompts that guide a payment."""
    return served_by(agent, tools, name)[0]


def served_by(
    agent: ToolCaller, tools: Sequence[Tool], name: str = "ocp-twilio"
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
            agent,
            offer,
            tool.name,
            params.arguments or {},
            prepare=real_keys,
            approver=approver_for(ctx, agent.approver),
        )
        content = (
            _structured(tool, outcome.data, outcome.view)
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


def _structured(tool: Tool, data: dict[str, Any], view: Any) -> dict[str, Any]:
    """The structured content of a result: the view sized for the model, as its text is,
    unless leaving out nulls broke the output schema the client checks it against."""
    if isinstance(view, dict) and not tool.response_errors(view):
        return view
    return data


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
