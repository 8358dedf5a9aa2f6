"""LangChain StructuredTools (the ``langchain`` extra) whose calls are validated.

A StructuredTool given a dict schema passes the model's arguments through unchecked; these
tools send them to ``OCPAgent.call_tool``, which validates them before anything is sent. A
failed call raises ToolException, which LangChain turns into a ToolMessage with
``status="error"`` (``handle_tool_error=True``), so the agent loop goes on.

``ainvoke`` is the way in async code. ``invoke`` (synchronous LangChain and LangGraph apps) runs
the call in an event loop of its own, as ``asyncio.run`` does; inside a running loop it would
block that loop, so there it raises ConfigurationError, which says to use ``ainvoke``.

Where the operator's policy asks for approval, the tool calls LangGraph's ``interrupt()`` before
anything is sent, with the ApprovalRequest as a dict and ``"type": "tool_approval"``: a graph with
a checkpointer pauses (``__interrupt__``) and resumes with ``Command(resume=decision)`` on the same
thread, the decision shaped as LangChain's human-in-the-loop ones (``{"type": "approve"}``,
``{"type": "reject", "message": ...}``) or a bare True / False; anything else is no. The policy
asks ``call_tool`` again with that answer. Outside a graph (a plain ``ainvoke``, where
``interrupt()`` cannot pause), or without langgraph installed, the agent's approver answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .._exceptions import ConfigurationError
from .._extras import needs_extra
from ..policy.approval import ApprovalRequest, Approver
from ..tools.offer import Offer
from ..tools.tool import Tool
from ._calls import approval_for_model, call_for_model, decided
from ._keys import real_keys
from ._schema import model_facing

if TYPE_CHECKING:
    from langchain_core.tools import StructuredTool

    from .._caller import ToolCaller

__all__ = ["as_langchain_tools"]


def as_langchain_tools(
    agent: ToolCaller, tools: Iterable[Tool] | None = None
) -> list[StructuredTool]:
    """The agent's tools (or ``tools``) as StructuredTools: ``ainvoke`` in async code,
    ``invoke`` where no event loop runs. They are the model's offer: each runs its own tool."""
    with needs_extra("langchain", "as_langchain_tools"):
        import langchain_core.tools  # noqa: F401  # the framework, checked before any tool is made
    offer = Offer(agent.model_tools() if tools is None else tools)
    return [_structured_tool(agent, offer, tool) for tool in offer.tools]


def _structured_tool(agent: ToolCaller, offer: Offer, tool: Tool) -> StructuredTool:
    from langchain_core.tools import StructuredTool, ToolException

    async def call(**arguments: Any) -> str:
        request = approval_for_model(agent, offer, tool.name, arguments, prepare=real_keys)
        approver = _graph_approval(request) if request is not None else None
        outcome = await call_for_model(
            agent, offer, tool.name, arguments, prepare=real_keys, approver=approver
        )
        if outcome.error is not None:
            raise ToolException(outcome.error)
        return outcome.text

    def call_blocking(**arguments: Any) -> str:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(call(**arguments))
        raise ConfigurationError(
            f"{tool.name} was invoked synchronously inside a running event loop, which the call "
            "would block: use `await tool.ainvoke(...)` there."
        )

    # Safe keys: a chat model such as ChatAnthropic is given the schema as it is.
    description, schema = model_facing(tool, safe_keys=True)
    return StructuredTool(
        name=tool.name,
        description=description,
        args_schema=schema,
        func=call_blocking,
        coroutine=call,
        handle_tool_error=True,
    )


def _graph_approval(request: ApprovalRequest) -> Approver | None:
    """The person's answer to ``request`` through LangGraph's ``interrupt()``: its first call
    pauses the graph (GraphInterrupt, let through to the graph's runner), and the resumed tool's
    returns the decision. None where no graph runs this call: the agent's approver answers."""
    try:
        from langgraph.types import interrupt
    except ImportError:
        return None
    try:
        decision = interrupt({"type": "tool_approval", **request.as_dict()})
    except (RuntimeError, KeyError):
        # RuntimeError: no runnable context at all; KeyError: a runnable's config (a plain
        # ainvoke) without the graph's scratchpad. langgraph/types.py interrupt().
        return None
    if decision is True or (isinstance(decision, dict) and decision.get("type") == "approve"):
        return decided(True, "langgraph")
    # Anything but an approval is a no; a reject's message is the person's reason.
    message = decision.get("message") if isinstance(decision, dict) else None
    return decided(False, "langgraph", message if isinstance(message, str) else None)
