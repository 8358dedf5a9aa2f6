"""LangChain StructuredTools (the ``langchain`` extra) whose calls are validated.

A StructuredTool given a dict schema passes the model's arguments through unchecked; these
tools send them to ``OCPAgent.call_tool``, which validates them before anything is sent. A
failed call raises ToolException, which LangChain turns into a ToolMessage with
``status="error"`` (``handle_tool_error=True``), so the agent loop goes on.

``ainvoke`` is the way in async code. ``invoke`` (synchronous LangChain and LangGraph apps) runs
the call in an event loop of its own, as ``asyncio.run`` does; inside a running loop it would
block that loop, so there it raises ConfigurationError, which says to use ``ainvoke``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .._exceptions import ConfigurationError
from ..tools.offer import Offer
from ..tools.tool import Tool
from ._calls import call_for_model
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
    offer = Offer(agent.list_tools() if tools is None else tools)
    return [_structured_tool(agent, offer, tool) for tool in offer.tools]


def _structured_tool(agent: ToolCaller, offer: Offer, tool: Tool) -> StructuredTool:
    from langchain_core.tools import StructuredTool, ToolException

    async def call(**arguments: Any) -> str:
        outcome = await call_for_model(agent, offer, tool.name, arguments, prepare=real_keys)
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
