"""OpenAI Agents SDK FunctionTools (the ``openai-agents`` extra) whose calls are validated.

The SDK hands a FunctionTool the model's arguments as JSON text; these tools send them to
``OCPAgent.call_tool`` as :func:`~ocp_twilio.adapters.openai.openai_tool_result` does (strict
mode's nulls removed), and a failed call comes back as the text the SDK gives the model for a
failed tool, ``{"is_error": true, "error": ...}``, so the run goes on.

Where the operator's policy asks for approval, the tool's ``needs_approval`` says so for that
call: the run pauses with a ToolApprovalItem in ``result.interruptions``, and resumes with
``state.approve(item)`` or ``state.reject(item)``. A rejected call never reaches the tool; an
approved one tells ``call_tool`` the SDK's answer, which the policy asks for again. A call the SDK
holds no approval for is answered no, so the policy refuses it if it needs one after all: put
the policy in force (``use_policy``) before building the tools.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .._extras import needs_extra
from ..tools.offer import Offer
from ..tools.tool import Tool
from ._calls import decided
from .openai import function_call_approval, function_output, openai_function, run_function_call

if TYPE_CHECKING:
    from agents import FunctionTool, RunContextWrapper
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
    with needs_extra("openai-agents", "as_openai_agents_tools"):
        import agents  # noqa: F401  # the SDK, checked before any tool is made
    offer = Offer(agent.model_tools() if tools is None else tools)
    return [_function_tool(agent, offer, tool, strict) for tool in offer.tools]


def _function_tool(agent: ToolCaller, offer: Offer, tool: Tool, strict: bool) -> FunctionTool:
    from agents import FunctionTool

    async def needs_approval(
        context: RunContextWrapper[Any], parameters: dict[str, Any], call_id: str
    ) -> bool:
        return function_call_approval(agent, offer, tool.name, parameters) is not None

    async def invoke(context: ToolContext[Any], arguments: str) -> str:
        call_id = context.tool_call_id
        # True only where a person approved this call (or all of this tool's) in the SDK's run.
        approved = context.is_tool_approved(tool.name, call_id) is True
        outcome = await run_function_call(
            agent,
            offer,
            tool.name,
            arguments,
            call_id=call_id,
            approver=decided(approved, "openai-agents"),
        )
        return function_output(outcome)

    # A callable needs_approval pauses every call whose arguments the SDK cannot parse into an
    # object (util/_approvals.py), so it is set only where the policy may ask for approval.
    policy = agent.policy
    asks = policy is not None and bool(policy.require_approval)
    function, strict = openai_function(tool, strict)
    return FunctionTool(
        name=tool.name,
        description=function["description"],
        params_json_schema=function["parameters"],
        on_invoke_tool=invoke,
        strict_json_schema=strict,
        needs_approval=needs_approval if asks else False,
    )
