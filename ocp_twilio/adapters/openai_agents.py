"""OpenAI Agents SDK FunctionTools (the ``openai-agents`` extra) whose calls are validated.

The SDK hands a FunctionTool the model's arguments as JSON text; these tools send them to
``OCPAgent.call_tool`` as :func:`~ocp_twilio.adapters.openai.openai_tool_result` does (strict
mode's nulls removed), and a failed call comes back as the text the SDK gives the model for a
failed tool, ``{"is_error": true, "error": ...}``, so the run goes on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..tools.offer import Offer
from ..tools.tool import Tool
from .openai import function_output, openai_function, run_function_call

if TYPE_CHECKING:
    from agents import FunctionTool
    from agents.tool_context import ToolContext

    from .._caller import ToolCaller

__all__ = ["as_openai_agents_tools"]


def as_openai_agents_tools(
    agent: ToolCaller, tools: Iterable[Tool] | None = None, *, strict: bool = True
) -> list[FunctionTool]:
    """The agent's tools (or ``tools``) as FunctionTools for ``agents.Agent(tools=...)``.

    ``strict``: strict-mode schemas, as the SDK recommends (a tool that strict mode cannot
    express goes out non-strict). They are the model's offer: each runs its own tool.
    """
    offer = Offer(agent.list_tools() if tools is None else tools)
    return [_function_tool(agent, offer, tool, strict) for tool in offer.tools]


def _function_tool(agent: ToolCaller, offer: Offer, tool: Tool, strict: bool) -> FunctionTool:
    from agents import FunctionTool

    async def invoke(context: ToolContext[Any], arguments: str) -> str:
        outcome = await run_function_call(
            agent, offer, tool.name, arguments, call_id=context.tool_call_id
        )
        return function_output(outcome)

    function, strict = openai_function(tool, strict)
    return FunctionTool(
        name=tool.name,
        description=function["description"],
        params_json_schema=function["parameters"],
        on_invoke_tool=invoke,
        strict_json_schema=strict,
    )
