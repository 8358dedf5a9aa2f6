"""An MCP server (official ``mcp`` SDK, the ``mcp`` extra) over an OCPAgent: its tools, paged,
the Pay sessions as resources and the payment prompts; the transports (``stdio``, ``http``)
serve it.

Every call goes through ``OCPAgent.call_tool``, so input is validated by the tool's own schema
before anything is sent: the SDK's server does not validate arguments itself. The operator's
policy decides there too; the approval it asks for is the client's to give, by elicitation
(``approval.py``).

The server lists only what can work: getPaymentStatus and waitForPaymentUpdate only where a
progress store can answer them (a receiver runs, or a shared store is set), and the prompts
name only the tools listed.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..._exceptions import ConfigurationError, ToolNotFound
from ..._extras import needs_extra
from ..._version import __version__
from ...payments.resource_tools import is_progress_tool
from ...payments.tools import NO_RECEIVER
from ...tools.masking import masked_secrets
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

__all__ = ["MCP_NO_RECEIVER", "build_mcp_server", "progress_served", "served_by"]

# Pages of tools/list: Twilio's 1,447 tools in one answer are tens of megabytes, more than a
# client reads as one event (the SDK's client stops at 1 MiB).
TOOLS_PER_PAGE = 50
# A progress tool's error where no receiver runs, with the MCP server's way to start one (the
# library's names Python's).
MCP_NO_RECEIVER = NO_RECEIVER + (
    "this MCP server receives Twilio's StatusCallbacks when it is started with "
    "`ocp-twilio mcp --public-url URL` (over stdio: URL is where Twilio reaches the receiver it "
    "then starts) or `ocp-twilio mcp --http`, with TWILIO_AUTH_TOKEN set to check their "
    "signatures; or set OCP_TWILIO_REDIS_URL to read the progress that receivers elsewhere store."
)


def build_mcp_server(
    agent: ToolCaller, tools: Sequence[Tool] | None = None, name: str = "ocp-twilio"
) -> Server:
    """A low-level MCP server that lists the agent's tools (or ``tools``) and calls them through
    ``agent``, with the Pay sessions of the agent's receiver as resources, and prompts that guide
    a payment. The SDK's ``Client(server)`` talks to it in this process; the transports serve
    it to others."""
    return served_by(agent, agent.model_tools() if tools is None else tools, name)[0]


def served_by(
    agent: ToolCaller, tools: Sequence[Tool], name: str = "ocp-twilio"
) -> tuple[Server, PaySessions]:
    """The server, and its subscriptions, for the transport to end when it stops. The
    progress tools among ``tools`` are served only where :func:`progress_served`."""
    # Imported here: the SDK is an optional extra, and listing tools does not need it.
    with needs_extra("mcp", "The MCP server"):
        import mcp_types as types
        from mcp.server.lowlevel import Server
        from mcp.shared.exceptions import MCPError

    if not progress_served(agent):
        tools = [tool for tool in tools if not is_progress_tool(tool)]
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
        refused = None if tool is not None else _always_refused(agent, params.name)
        if refused is not None:
            tool = refused
        elif tool is None:  # the specification's protocol error, not a tool that failed
            close = difflib.get_close_matches(params.name, served, n=3, cutoff=0.6)
            raise MCPError(types.INVALID_PARAMS, error_text(ToolNotFound(params.name, close)))
        outcome = await call_for_model(
            agent,
            # A tool the policy always refuses is not listed, yet a model that names it learns
            # why from the policy itself (which refuses and audits it), not "no such tool".
            offer if refused is None else Offer([refused]),
            tool.name,
            params.arguments or {},
            prepare=real_keys,
            approver=approver_for(ctx, agent.approver),
        )
        content = (
            _structured(tool, masked_secrets(outcome.data), outcome.view)
            if not outcome.is_error and tool.name in structured and isinstance(outcome.data, dict)
            else None
        )
        text = outcome.text
        if outcome.is_error and text.startswith(NO_RECEIVER):  # callTwilioTool reaches them
            text = error_text(ConfigurationError(MCP_NO_RECEIVER))
        return types.CallToolResult(
            content=[types.TextContent(text=text)],
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


def _always_refused(agent: ToolCaller, name: str) -> Tool | None:
    """The agent's tool called ``name`` where the operator's policy refuses it whatever the
    arguments (which is why it was not listed), else None."""
    if agent.policy is None:
        return None
    offered = {tool.name for tool in agent.model_tools()}
    return next(
        (tool for tool in agent.list_tools() if tool.name == name and name not in offered), None
    )


def progress_served(agent: ToolCaller) -> bool:
    """Whether the progress tools can answer: a receiver runs in this process, or the agent
    reads a store that receivers elsewhere fill."""
    return agent.receiver is not None or agent.progress_store is not None


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
