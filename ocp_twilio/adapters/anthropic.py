"""Anthropic Messages API tools, and the tool_result block that answers a tool_use block."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..specs.names import ARGUMENT_KEY
from ..tools.tool import Tool
from ._calls import call_for_model, field_of, offer_of
from ._keys import real_keys
from ._rules import exported_tool

if TYPE_CHECKING:
    from .._caller import ToolCaller

__all__ = ["anthropic_tool_result", "anthropic_tools"]


def anthropic_tools(tools: Iterable[Tool]) -> list[dict[str, Any]]:
    """Tool definitions (``name``, ``description``, ``input_schema``) for ``messages.create``."""
    return [_tool(tool) for tool in tools]


async def anthropic_tool_result(
    agent: ToolCaller,
    block: Any,
    *,
    api: str | None = None,
    offered: Iterable[Tool] | None = None,
) -> dict[str, Any]:
    """Run the call of a ``tool_use`` content block; return the ``tool_result`` block for it.

    ``block`` is an SDK ``ToolUseBlock`` or its dict. Only a tool the model was offered runs:
    one of ``offered``, else of the agent's last ``tools_for("anthropic", ...)``; another name
    is an error result listing the offered tools, and nothing is sent. ``api`` keeps to the
    offered tools of that registered API. A failed call comes back with ``is_error: true`` and a
    text saying what to change; nothing is raised for it.
    """
    call_id = field_of(block, "id")
    outcome = await call_for_model(
        agent,
        offer_of(agent, "anthropic", offered),
        str(field_of(block, "name") or ""),
        field_of(block, "input"),
        api=api,
        prepare=real_keys,
        call_id=call_id,
    )
    return {
        "type": "tool_result",
        "tool_use_id": call_id,
        "content": outcome.text,
        "is_error": outcome.is_error,
    }


def _tool(tool: Tool) -> dict[str, Any]:
    return exported_tool(tool, "Anthropic", "input_schema", key_rule=ARGUMENT_KEY)
