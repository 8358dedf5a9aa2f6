"""findTwilioTool, browseTwilioTools, describeTwilioTool and callTwilioTool: every tool through
four.

A model reads its tool list on every turn: all of Twilio's operations are some 360,000 tokens,
these four under 1,000. They are Tools like the API's (an input schema, the same validation
and the same adapters), made from a LocalSpec: no HTTP operation of their own. The agent's
catalog answers them in this process: find from its search index, browse from its tools by
service and resource (tools/browse.py), describe from the named tool itself, and call by handing
the named tool and its arguments to ``call_tool`` again, so they meet the same validation,
idempotency keys, retries and error results as a direct call.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..specs.model import LocalSpec, ParameterSpec
from ..specs.names import BROWSE_TOOL, CALL_TOOL, DESCRIBE_TOOL, FIND_TOOL
from .queries import MAX_QUERY
from .tool import Tool

__all__ = [
    "BROWSE_TOOL",
    "CALL_TOOL",
    "COMPACT_NAMES",
    "DEFAULT_FOUND",
    "DESCRIBE_TOOL",
    "FIND_TOOL",
    "compact_tools",
    "described",
    "found",
]

COMPACT_NAMES = frozenset({FIND_TOOL, BROWSE_TOOL, DESCRIBE_TOOL, CALL_TOOL})
DEFAULT_FOUND, MAX_FOUND = 5, 10
_MAX_NAME = 200
_MAX_PATH = 200
_MAX_SUMMARY = 160
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")

_NAME = ParameterSpec(
    name="name",
    location="query",
    required=True,
    description=f"A tool name from {FIND_TOOL}.",
    schema={"type": "string", "minLength": 1, "maxLength": _MAX_NAME},
)
# api "": a compact tool of every API has none (see compact_tools).
_SPECS = (
    LocalSpec(
        name=FIND_TOOL,
        api="",
        description=(
            "Find the Twilio API tools for a task (send a text, buy a number, record a call...): "
            "names and one-line summaries, best first."
        ),
        parameters=(
            ParameterSpec(
                name="query",
                location="query",
                required=True,
                description="The task in a few words.",
                schema={"type": "string", "minLength": 1, "maxLength": MAX_QUERY},
            ),
            ParameterSpec(
                name="limit",
                location="query",
                description=f"How many tools (default {DEFAULT_FOUND}).",
                schema={"type": "integer", "minimum": 1, "maximum": MAX_FOUND},
            ),
        ),
    ),
    LocalSpec(
        name=BROWSE_TOOL,
        api="",
        description=(
            "Walk Twilio's tools when search misses: no path lists the services, "
            '"<service>" its resources, "<service>/<resource>" its tools.'
        ),
        parameters=(
            ParameterSpec(
                name="path",
                location="query",
                schema={"type": "string", "maxLength": _MAX_PATH},
            ),
        ),
    ),
    LocalSpec(
        name=DESCRIBE_TOOL,
        api="",
        description=(
            f"A tool's description and the JSON Schema of its arguments, to call it with "
            f"{CALL_TOOL}."
        ),
        parameters=(_NAME,),
    ),
    LocalSpec(
        name=CALL_TOOL,
        api="",
        description=(
            "Call a Twilio API tool by name. Its arguments are checked against its schema "
            "before anything is sent; an error says what to change."
        ),
        parameters=(
            _NAME,
            ParameterSpec(
                name="arguments",
                location="query",
                description=f"The tool's arguments, as {DESCRIBE_TOOL} gives their schema.",
                schema={"type": "object"},
            ),
        ),
    ),
)


def compact_tools(scope: str | None) -> tuple[Tool, ...]:
    """The four tools, reaching the tools of the registered API ``scope`` (None: of all, and
    their api is "", which adapters pass back to call_tool as no API)."""
    # find and describe only read; callTwilioTool acts on Twilio.
    return tuple(Tool(spec, api=scope, local=spec.name != CALL_TOOL) for spec in _SPECS)


def found(tools: Sequence[Tool], beside: Sequence[str] = ()) -> dict[str, Any]:
    """What findTwilioTool answers: each tool's name and summary, and the next step, which names
    the browse paths ``beside`` (``browse.beside_paths``)."""
    if not tools:
        return {
            "tools": [],
            "next_step": (
                'Nothing matched: say what to do, to what ("send a text message"), or walk '
                f"every tool by service with {BROWSE_TOOL}."
            ),
        }
    paths = " or ".join(f'"{path}"' for path in beside)
    browse = (
        f"{BROWSE_TOOL} with the path {paths} lists the tools beside these; with none, every "
        "service."
        if paths
        else f"{BROWSE_TOOL} walks every tool by service."
    )
    return {
        "tools": [{"name": tool.name, "summary": summary(tool)} for tool in tools],
        "next_step": (
            f"{DESCRIBE_TOOL} gives a tool's arguments; {CALL_TOOL} calls it. None fits? {browse}"
        ),
    }


def described(tool: Tool) -> dict[str, Any]:
    """What describeTwilioTool answers: the tool's own description and input schema."""
    return {
        "name": tool.name,
        "description": tool.description,
        "endpoint": tool.endpoint,
        "input_schema": tool.input_schema,
        "next_step": f'{CALL_TOOL} with {{"name": "{tool.name}", "arguments": {{...}}}}.',
    }


def summary(tool: Tool) -> str:
    """The first sentence of the description, cut short; the endpoint where there is none."""
    text = " ".join(tool.description.split())
    first = _SENTENCE_END.split(text, 1)[0] if text else tool.endpoint
    return first if len(first) <= _MAX_SUMMARY else first[: _MAX_SUMMARY - 3].rstrip() + "..."
