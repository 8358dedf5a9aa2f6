"""LangChain async StructuredTools (the ``langchain`` extra) whose calls are validated.

A StructuredTool given a dict schema passes the model's arguments through unchecked; these
tools send them to ``OCPAgent.call_tool``, which validates them before anything is sent. A
failed call raises ToolException, which LangChain turns into a ToolMessage with
``status="error"`` (``handle_tool_error=True``), so the agent loop goes on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..tools.tool import Tool
from ._calls import call_for_model
from ._schema import model_facing

if TYPE_CHECKING:
    from langchain_core.tools import StructuredTool

    from .._agent import OCPAgent

__all__ = ["as_langchain_tools"]


def as_langchain_tools(
    agent: OCPAgent, tools: Iterable[Tool] | None = None
) -> list[StructuredTool]:
    """The agent's tools (or ``tools``) as async StructuredTools; call them with ``ainvoke``."""
    return [
        _structured_tool(agent, tool) for tool in (agent.list_tools() if tools is None else tools)
    ]


def _structured_tool(agent: OCPAgent, tool: Tool) -> StructuredTool:
    from langchain_core.tools import StructuredTool, ToolException

    async def call(**arguments: Any) -> str:
        outcome = await call_for_model(agent, tool.name, arguments, tool.api, safe_keys=True)
        if outcome.error is not None:
            raise ToolException(outcome.error)
        return outcome.text

    # Safe keys: a chat model such as ChatAnthropic is given the schema as it is.
    description, schema = model_facing(tool, safe_keys=True)
    return StructuredTool(
        name=tool.name,
        description=description,
        args_schema=schema,
        coroutine=call,
        handle_tool_error=True,
    )
