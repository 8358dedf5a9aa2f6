"""Tools as agent frameworks and catalogs declare them, and helpers that answer their calls.

Adapters only translate a Tool and its results: every call goes through
``OCPAgent.call_tool``, which validates and sends it. The ``mcp`` package needs the ``mcp``
extra (all but ``mcp.tools``), ``langchain`` the ``langchain`` extra, ``openai_agents``,
``pydantic_ai`` and ``google_adk`` the extras of those names; they are imported only from their
own modules.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from .._exceptions import ConfigurationError
from ..ocp.tool_format import ocp_tool
from ..tools.tool import Tool
from .anthropic import anthropic_tool_result, anthropic_tools
from .catalog import ocp_catalog, ocp_catalog_entry
from .mcp.tools import mcp_tools
from .openai import OpenAIShape, openai_tool_result, openai_tools, strict_schema

__all__ = [
    "FRAMEWORKS",
    "Framework",
    "OpenAIShape",
    "anthropic_tool_result",
    "anthropic_tools",
    "mcp_tools",
    "ocp_catalog",
    "ocp_catalog_entry",
    "ocp_tool",
    "openai_tool_result",
    "openai_tools",
    "strict_schema",
    "tool_definitions",
]

Framework = Literal["openai", "anthropic", "mcp"]
FRAMEWORKS: tuple[Framework, ...] = ("openai", "anthropic", "mcp")


def tool_definitions(
    tools: Iterable[Tool],
    framework: Framework,
    *,
    strict: bool = False,
    shape: OpenAIShape = "chat",
) -> list[dict[str, Any]]:
    """``tools`` as ``framework`` declares them; ``strict`` and ``shape`` are OpenAI's options."""
    if framework == "openai":
        return openai_tools(tools, strict=strict, shape=shape)
    if framework == "anthropic":
        return anthropic_tools(tools)
    if framework == "mcp":
        return mcp_tools(tools)
    raise ConfigurationError(
        f"Unknown framework {framework!r}; choose one of: {', '.join(FRAMEWORKS)}."
    )
