"""A Pydantic AI toolset (the ``pydantic-ai`` extra) whose calls are validated.

Each tool carries the operation's JSON schema (Pydantic AI then passes the arguments through
unchecked) and sends the call to ``OCPAgent.call_tool``, which validates it. Refused arguments
raise ModelRetry, so the model is asked to correct them within the tool's retry budget; a call
that failed after it was sent (Twilio's error, a timeout) raises ToolFailed, which the model
sees as a failed result without being told to try the same call again.

Where the operator's policy asks for approval, the tool raises ApprovalRequired for that call
before anything is sent (its metadata: the ApprovalRequest as a dict), so the run ends with
DeferredToolRequests (which the agent's ``output_type`` must allow) or goes to a
HandleDeferredToolCalls handler; the next run's ``deferred_tool_results`` answers it. A denied
call never reaches the tool; an approved one (``override_args`` included: the person's edit) tells
``call_tool`` the answer, which the policy asks for again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .._extras import needs_extra
from ..tools.offer import Offer
from ..tools.tool import Tool
from ._calls import approval_for_model, call_for_model, decided
from ._keys import real_keys
from ._schema import model_facing

if TYPE_CHECKING:
    from pydantic_ai import FunctionToolset, RunContext
    from pydantic_ai import Tool as PydanticTool

    from .._caller import ToolCaller

__all__ = ["as_pydantic_ai_toolset"]


def as_pydantic_ai_toolset(
    agent: ToolCaller, tools: Iterable[Tool] | None = None, *, max_retries: int | None = None
) -> FunctionToolset[Any]:
    """The agent's tools (or ``tools``) as a toolset for ``Agent(toolsets=[...])``;
    ``max_retries`` bounds the corrections asked of the model per tool (default: the agent's).
    The toolset is the model's offer: each tool runs its own.
    """
    with needs_extra("pydantic-ai", "as_pydantic_ai_toolset"):
        from pydantic_ai import FunctionToolset

    offer = Offer(agent.model_tools() if tools is None else tools)
    return FunctionToolset(
        [_tool(agent, offer, tool) for tool in offer.tools], max_retries=max_retries
    )


def _tool(agent: ToolCaller, offer: Offer, tool: Tool) -> PydanticTool[Any]:
    from pydantic_ai import ApprovalRequired, ModelRetry, ToolFailed
    from pydantic_ai import Tool as PydanticTool

    async def call(context: RunContext[Any], **arguments: Any) -> Any:
        approved = context.tool_call_approved
        if not approved:
            # Raised here, not in call_for_model, which turns every exception into a result.
            request = approval_for_model(agent, offer, tool.name, arguments, prepare=real_keys)
            if request is not None:
                raise ApprovalRequired(metadata=request.as_dict())
        outcome = await call_for_model(
            agent,
            offer,
            tool.name,
            arguments,
            prepare=real_keys,
            call_id=context.tool_call_id,
            approver=decided(approved, "pydantic-ai"),
        )
        if outcome.error is None:
            return outcome.view  # sized for the model (see _sizing)
        raise (ModelRetry if outcome.bad_input else ToolFailed)(outcome.error)

    # Safe keys: the toolset may be given to any provider's model, Anthropic's included.
    description, schema = model_facing(tool, safe_keys=True)
    return PydanticTool.from_schema(
        call, name=tool.name, description=description, json_schema=schema, takes_ctx=True
    )
