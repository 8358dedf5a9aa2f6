"""Google ADK tools (the ``google-adk`` extra) whose calls are validated.

ADK lets a tool declare its parameters as JSON Schema (``FunctionDeclaration``'s
``parameters_json_schema``), so each tool carries the operation's schema as it is and sends the
call to ``OCPAgent.call_tool``, which validates it. A failed call answers ``{"error": ...}``, the
form ADK's own tools use for a failure the model should read, so the run goes on.

Where the operator's policy asks for approval, the tool asks for ADK's tool confirmation before
anything is sent (``tool_context.request_confirmation``, the hint the request's summary and the
payload the ApprovalRequest as a dict): the run yields an ``adk_request_confirmation`` function
call, and the application answers it with a FunctionResponse ``{"confirmed": bool}`` in the same
session. ``call_tool`` is told that answer (no unless confirmed), and the policy asks for it.
Asked from the tool rather than through ``check_require_confirmation``, whose confirmation ADK
requests itself, without a payload.
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

# At import: OCPTool subclasses ADK's BaseTool.
with needs_extra("google-adk", "ocp_twilio.adapters.google_adk"):
    from google.adk.tools.base_tool import BaseTool
    from google.adk.tools.tool_context import ToolContext
    from google.genai import types

if TYPE_CHECKING:
    from .._caller import ToolCaller

__all__ = ["OCPTool", "as_adk_tools"]


def as_adk_tools(agent: ToolCaller, tools: Iterable[Tool] | None = None) -> list[OCPTool]:
    """The agent's tools (or ``tools``) as ADK tools for ``LlmAgent(tools=...)``. They are the
    model's offer: each runs its own tool."""
    offer = Offer(agent.model_tools() if tools is None else tools)
    return [OCPTool(agent, tool, offer) for tool in offer.tools]


class OCPTool(BaseTool):
    """One tool of an OCPAgent, as ADK calls it; ``offer``: the tools its model was given
    (this one alone by default)."""

    def __init__(self, agent: ToolCaller, tool: Tool, offer: Offer | None = None) -> None:
        # Safe keys: ADK runs other providers' models too (Anthropic's, through LiteLLM).
        description, self._schema = model_facing(tool, safe_keys=True)
        super().__init__(name=tool.name, description=description)
        self._agent = agent
        self._tool = tool
        self._offer = Offer([tool]) if offer is None else offer

    def _get_declaration(self) -> types.FunctionDeclaration:
        return types.FunctionDeclaration(
            name=self.name, description=self.description, parameters_json_schema=self._schema
        )

    async def run_async(self, *, args: dict[str, Any], tool_context: ToolContext) -> Any:
        confirmation = tool_context.tool_confirmation
        if confirmation is None:
            request = approval_for_model(
                self._agent, self._offer, self._tool.name, args, prepare=real_keys
            )
            if request is not None:
                tool_context.request_confirmation(hint=request.summary(), payload=request.as_dict())
                # The pause is no result for the model to read, as with ADK's FunctionTool.
                tool_context.actions.skip_summarization = True
                return {"error": "This tool call requires confirmation, please approve or reject."}
        outcome = await call_for_model(
            self._agent,
            self._offer,
            self._tool.name,
            args,
            prepare=real_keys,
            call_id=tool_context.function_call_id,
            approver=decided(confirmation is not None and confirmation.confirmed, "google-adk"),
        )
        if outcome.error is not None:
            return {"error": outcome.error}
        # ADK wraps any other result as {"result": ...} itself; the model reads the sized view.
        return outcome.view
