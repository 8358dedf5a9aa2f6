"""One tool call on behalf of a model: every failure becomes text the model can act on.

The framework helpers (OpenAI, Anthropic, MCP, LangChain) differ only in how a call arrives
and how its result is wrapped; what is called, and what an error says, is decided here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._exceptions import ArgumentError, ExitCode, InvalidArguments, OCPError
from ._keys import real_keys

if TYPE_CHECKING:
    from .._agent import OCPAgent

__all__ = [
    "ToolOutcome",
    "call_for_model",
    "error_text",
    "field_of",
    "invalid_arguments_text",
    "refused",
]

logger = logging.getLogger("ocp_twilio")


@dataclass(frozen=True)
class ToolOutcome:
    """The result of one call as a model sees it: data on success, else an error text;
    ``bad_input``: the arguments were refused and nothing was sent."""

    data: Any = None
    error: str | None = None
    bad_input: bool = False

    @property
    def is_error(self) -> bool:
        return self.error is not None

    @property
    def text(self) -> str:
        if self.error is not None:
            return self.error
        return json.dumps(self.data, ensure_ascii=False, separators=(",", ":"))


async def call_for_model(
    agent: OCPAgent,
    name: str,
    arguments: Any,
    api: str | None = None,
    *,
    safe_keys: bool = False,
    call_id: str | None = None,
) -> ToolOutcome:
    """Call ``name`` (of ``api``, where given) through ``agent.call_tool``; never raises for a
    failed call.

    ``safe_keys``: the model was given ``model_facing(tool, safe_keys=True)``, so the aliases in
    ``arguments`` are turned back into the API's keys first. ``call_id`` is the model's id of the
    call, for its trace.
    """
    if not isinstance(arguments, Mapping):
        return refused(name, "must be one JSON object")
    if safe_keys:
        # An unknown name (or API) is left for call_tool to report, with the close names.
        with suppress(OCPError):
            arguments = real_keys(agent.get_tool(name, api=api), arguments)
    try:
        return ToolOutcome(
            data=await agent.call_tool(name, arguments, api=api, tool_call_id=call_id)
        )
    except OCPError as exc:
        return ToolOutcome(error=error_text(exc), bad_input=exc.exit_code == ExitCode.BAD_INPUT)
    except Exception as exc:
        # A bug of ours must not end the agent's loop; it is logged for the developer instead.
        logger.exception("Tool %s failed unexpectedly", name)
        return ToolOutcome(error=f"{name} failed with an internal error ({type(exc).__name__}).")


def refused(name: str, problem: str) -> ToolOutcome:
    """The outcome of arguments refused before the tool could look at them."""
    return ToolOutcome(error=invalid_arguments_text(name, problem), bad_input=True)


def invalid_arguments_text(name: str, problem: str) -> str:
    """The message of InvalidArguments, for a problem found before the tool could look."""
    return str(InvalidArguments(name, [ArgumentError((), problem)]))


def error_text(exc: OCPError) -> str:
    """What went wrong and what the model should do next."""
    return f"{exc} {exc.hint}".strip()


def field_of(item: Any, key: str) -> Any:
    """A field of a framework's message, whether the SDK gave an object or a plain dict."""
    return item.get(key) if isinstance(item, Mapping) else getattr(item, key, None)
