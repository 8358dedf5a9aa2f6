"""The rules names keep to: tool names, argument keys and API names, and how a name is made safe.

Each rule is written once, as the characters it allows; a name made safe has every other
character turned into "_". The adapters check what they export against these rules, and the
library makes its own names keep to them (qualified tool names, imported argument names, the
aliases of keys a framework refuses).
"""

from __future__ import annotations

import re

__all__ = [
    "API_NAME",
    "ARGUMENT_KEY",
    "BROWSE_TOOL",
    "CALL_TOOL",
    "DESCRIBE_TOOL",
    "FIND_TOOL",
    "MAX_NAME",
    "MCP_NAME",
    "TOOL_NAME",
    "safe_key",
    "safe_tool_name",
]

MAX_NAME = 64
_TOOL_NAME_CHARACTERS = "a-zA-Z0-9_-"
_KEY_CHARACTERS = "a-zA-Z0-9_.-"

# OpenAI's rule for a function's name, and Anthropic's for a tool's: the same.
TOOL_NAME = re.compile(f"^[{_TOOL_NAME_CHARACTERS}]{{1,{MAX_NAME}}}$")
# Anthropic's rule for a property key. MCP hosts such as Claude Code and LangChain's
# ChatAnthropic give tool schemas to Anthropic's API as they are, so every argument name the
# library makes keeps to it.
ARGUMENT_KEY = re.compile(f"^[{_KEY_CHARACTERS}]{{1,{MAX_NAME}}}$")
# MCP 2025-11-25: 1 to 128 characters of ASCII letters, digits, "_", "-" and ".".
MCP_NAME = re.compile(f"^[{_KEY_CHARACTERS}]{{1,128}}$")
# OCP's pattern for the names of the context schema's api_specs: the names register_api takes.
API_NAME = re.compile(f"[{_TOOL_NAME_CHARACTERS}]+")

# The compact tools (tools/compact.py), named here for what must know them without importing
# the tools: callTwilioTool's effects are those of every tool it may call (specs/effects.py).
FIND_TOOL, DESCRIBE_TOOL, CALL_TOOL = "findTwilioTool", "describeTwilioTool", "callTwilioTool"
BROWSE_TOOL = "browseTwilioTools"

_NOT_IN_TOOL_NAME = re.compile(f"[^{_TOOL_NAME_CHARACTERS}]")
_NOT_IN_KEY = re.compile(f"[^{_KEY_CHARACTERS}]")


def safe_tool_name(text: str) -> str:
    """``text`` with every character TOOL_NAME does not allow made "_" (its length unchanged)."""
    return _NOT_IN_TOOL_NAME.sub("_", text)


def safe_key(text: str) -> str:
    """``text`` as a key ARGUMENT_KEY accepts: every other character made "_", cut to 64."""
    return _NOT_IN_KEY.sub("_", text)[:MAX_NAME] or "_"
