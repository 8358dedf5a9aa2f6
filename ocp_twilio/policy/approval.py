"""One approval request for every way of answering it: the application's approver, a framework's
own human-in-the-loop, or MCP elicitation.

An approver is an async callable given an :class:`ApprovalRequest`; it answers with an
:class:`Approval` (or True / False). Whatever else it does counts as no: raising, returning
something else, or taking longer than the policy's ``approval_timeout``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Approval", "ApprovalRequest", "Approver", "ask"]

logger = logging.getLogger("ocp_twilio")


@dataclass(frozen=True)
class ApprovalRequest:
    """What a person is asked to approve: one call, as it would go out.

    ``arguments`` and ``request`` have card data and secrets masked; ``request`` is the HTTP
    request that would be sent (method, url, headers, body), None for a tool answered in this
    process. ``reasons`` are the policy's rules that ask for the approval.
    """

    tool: str
    api: str
    effects: tuple[str, ...]
    arguments: Mapping[str, Any]
    request: Mapping[str, Any] | None
    reasons: tuple[str, ...]
    call_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The request as JSON data, for an interrupt's payload or a log of one's own."""
        return {
            "tool": self.tool,
            "api": self.api,
            "effects": list(self.effects),
            "arguments": dict(self.arguments),
            "request": dict(self.request) if self.request is not None else None,
            "reasons": list(self.reasons),
            "call_id": self.call_id,
        }

    def summary(self) -> str:
        """One paragraph a person can decide on."""
        shown = json.dumps(dict(self.arguments), ensure_ascii=False, sort_keys=True, default=str)
        target = ""
        if self.request is not None:
            target = f" ({self.request.get('method')} {self.request.get('url')})"
        return (
            f"Approve {self.tool}{target}? Effects: {', '.join(self.effects)}. "
            f"Arguments: {shown}. Asked because: {'; '.join(self.reasons)}."
        )


@dataclass(frozen=True)
class Approval:
    """An answer: ``approved``, and who answered and why, where the approver says."""

    approved: bool
    by: str | None = None
    reason: str | None = None
    # Which mechanism answered: "approver", "openai-agents", "mcp-elicitation", ...
    via: str = field(default="approver", compare=False)


Approver = Callable[[ApprovalRequest], Awaitable["Approval | bool"]]


async def ask(approver: Approver, request: ApprovalRequest, timeout: float) -> Approval:
    """The approver's answer to ``request``, fail-closed: no within ``timeout`` seconds."""
    try:
        answer = await asyncio.wait_for(approver(request), timeout)
    except asyncio.TimeoutError:
        return Approval(False, reason=f"no answer within {timeout:g} s")
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # the approver's failure is a no, never the call's crash
        logger.warning("The approver of %s raised %s: declined.", request.tool, type(exc).__name__)
        return Approval(False, reason=f"the approver failed ({type(exc).__name__})")
    if answer is True or answer is False:
        return Approval(answer)
    if isinstance(answer, Approval) and isinstance(answer.approved, bool):
        return answer
    return Approval(False, reason="the approver gave no yes or no")
