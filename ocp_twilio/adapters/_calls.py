"""One tool call on behalf of a model: every failure becomes text the model can act on.

The framework helpers (OpenAI, Anthropic, MCP, LangChain...) differ only in how a call arrives
and how its result is wrapped; what is called (only a tool the model was offered: see
``tools/offer.py``), and what an error says, is decided here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._exceptions import ArgumentError, ExitCode, InvalidArguments, OCPError
from ..policy.approval import Approval, ApprovalRequest, Approver
from ..tools.offer import Offer
from ..tools.tool import Tool
from ._sizing import sized

if TYPE_CHECKING:
    from .._caller import ToolCaller

# Turns a model's arguments for a tool back into the tool's own.
Prepare = Callable[[Tool, Mapping[str, Any]], Any]

__all__ = [
    "Prepare",
    "ToolOutcome",
    "approval_for_model",
    "call_for_model",
    "decided",
    "error_text",
    "field_of",
    "offer_of",
    "unreadable",
]

logger = logging.getLogger("ocp_twilio")


_UNSIZED = object()


@dataclass(frozen=True)
class ToolOutcome:
    """The result of one call: ``data``, the whole answer, on success, else an error text;
    ``bad_input``: the arguments were refused and nothing was sent. ``shown`` is what the model
    reads of ``data``: sized to the agent's token budget (see ``_sizing``)."""

    data: Any = None
    error: str | None = None
    bad_input: bool = False
    shown: Any = _UNSIZED

    @property
    def is_error(self) -> bool:
        return self.error is not None

    @property
    def view(self) -> Any:
        """What the model reads of the result: ``shown``, else the whole ``data``."""
        return self.data if self.shown is _UNSIZED else self.shown

    @property
    def text(self) -> str:
        if self.error is not None:
            return self.error
        return json.dumps(self.view, ensure_ascii=False, separators=(",", ":"))


async def call_for_model(
    agent: ToolCaller,
    offer: Offer,
    name: str,
    arguments: Any,
    *,
    api: str | None = None,
    prepare: Prepare | None = None,
    call_id: str | None = None,
    approver: Approver | None = None,
) -> ToolOutcome:
    """Call the tool ``name`` names among the model's ``offer`` (of ``api``, where given)
    through ``agent.call_tool``; never raises for a failed call. The outcome's text is the
    answer sized to ``agent.result_tokens`` (its ``data`` stays whole).

    The offer is checked first: a name outside it is an error result listing the offered tools,
    and nothing is sent. ``prepare`` turns the model's arguments back into the tool's (the
    aliases of ``model_facing(tool, safe_keys=True)``: ``real_keys``), raising InvalidArguments
    for what it cannot read. ``call_id`` is the model's id of the call, for its trace.
    """
    try:
        tool, arguments = _read_call(offer, name, arguments, api, prepare)
        # By name and API, so that the registered tool (its StatusCallback filled) is called.
        data = await agent.call_tool(
            tool.name, arguments, api=tool.api or None, tool_call_id=call_id, approver=approver
        )
    except OCPError as exc:
        return ToolOutcome(error=error_text(exc), bad_input=exc.exit_code == ExitCode.BAD_INPUT)
    except Exception as exc:
        # A bug of ours must not end the agent's loop; it is logged for the developer instead.
        logger.exception("Tool %s failed unexpectedly", name)
        return ToolOutcome(error=f"{name} failed with an internal error ({type(exc).__name__}).")
    return ToolOutcome(data=data, shown=sized(tool, arguments, data, agent.result_tokens))


def approval_for_model(
    agent: ToolCaller,
    offer: Offer,
    name: str,
    arguments: Any,
    *,
    api: str | None = None,
    prepare: Prepare | None = None,
) -> ApprovalRequest | None:
    """The approval the operator's policy asks for a model's call, for a framework's own
    approval step, which pauses the run before the tool runs; None where the call runs, or
    fails, without one. Read as :func:`call_for_model` reads the call; never raises."""
    try:
        tool, arguments = _read_call(offer, name, arguments, api, prepare)
        return agent.approval_request(tool.name, arguments, api=tool.api or None)
    except OCPError:
        return None  # the call fails as it is, and call_for_model says why


def _read_call(
    offer: Offer, name: str, arguments: Any, api: str | None, prepare: Prepare | None
) -> tuple[Tool, Mapping[str, Any]]:
    """The offered tool a model's call names, and the arguments as that tool's own; an OCPError
    where either cannot be read (nothing is sent)."""
    tool = offer.resolve(name, api)
    if prepare is not None:
        arguments = prepare(tool, arguments)
    if not isinstance(arguments, Mapping):
        raise unreadable(tool.name, "must be one JSON object")
    return tool, arguments


def decided(approved: bool, via: str, reason: str | None = None) -> Approver:
    """The approver of a call a framework's approval step has decided: its person's answer
    (and ``reason``, which a refusal shows the model), given again when ``call_tool``'s policy
    asks. A call the step never paused for is ``approved=False``: the policy refuses it if it
    needs approval after all."""

    async def answer(request: ApprovalRequest) -> Approval:
        return Approval(approved, reason=reason, via=via)

    return answer


def offer_of(agent: ToolCaller, framework: str, offered: Iterable[Tool] | None) -> Offer:
    """The tools the model was given: ``offered``, else the agent's last list for ``framework``."""
    if offered is None:
        return agent.offer_for(framework)
    return offered if isinstance(offered, Offer) else Offer(offered)  # an Offer: made once


def unreadable(name: str, problem: str) -> InvalidArguments:
    """Arguments refused before the tool could look at them."""
    return InvalidArguments(name, [ArgumentError((), problem)])


def error_text(exc: OCPError) -> str:
    """What went wrong and what the model should do next."""
    return f"{exc} {exc.hint}".strip()


def field_of(item: Any, key: str) -> Any:
    """A field of a framework's message, whether the SDK gave an object or a plain dict."""
    return item.get(key) if isinstance(item, Mapping) else getattr(item, key, None)
