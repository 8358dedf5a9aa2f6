"""The approval a tools/call needs, asked of the client's person through form elicitation.

Where the policy asks for approval, and the client declared form elicitation on a connection
that can carry a request from the server (stdio, stateful Streamable HTTP), the client is sent
the ApprovalRequest's summary (secrets and card data masked) with a form of one boolean,
``approve``, and an optional ``reason``. Anything but accept with ``approve: true`` is a no.
Where the client cannot be asked (no such capability, stateless HTTP, the 2026-07-28 protocol,
which has no requests from the server), the operator's own approver answers; without one the
call is refused, saying so and how the operator allows it.

A client may answer by itself: its yes is not proof that a person agreed (docs/mcp.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...policy.approval import Approval, ApprovalRequest, Approver

if TYPE_CHECKING:
    from mcp.server.context import ServerRequestContext
    from mcp.server.session import ServerSession
    from mcp_types import ElicitResult

__all__ = ["VIA", "approver_for"]

VIA = "mcp-elicitation"
# A flat form of primitives, as elicitation allows; the answer is read from ``approve`` alone.
APPROVAL_FORM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "approve": {
            "type": "boolean",
            "title": "Approve",
            "description": "Run this call as shown. Leave unset, or decline, to refuse it.",
        },
        "reason": {"type": "string", "title": "Reason", "description": "Optional: why."},
    },
    "required": ["approve"],
}
CANNOT_ASK = (
    "this MCP client cannot ask a person: it declared no form elicitation, or its connection "
    "carries no request from the server. The operator allows such calls with an approver in "
    "code (OCPAgent(approver=...)), or by removing the rule"
)
# The client's name is its own claim, kept for the audit record and no longer than this.
_MAX_NAME = 100


def approver_for(ctx: ServerRequestContext[Any], operators: Approver | None) -> Approver:
    """The approver of one tools/call: the client's person where the client can be asked, else
    the operator's approver, else one that declines and says why."""
    fallback = operators or _cannot_ask
    if not can_elicit(ctx.session):
        return fallback

    async def elicited(request: ApprovalRequest) -> Approval | bool:
        from mcp.shared.exceptions import NoBackChannelError

        try:
            # Related to the call, so that Streamable HTTP sends it on the call's own stream.
            answer = await ctx.session.elicit_form(
                request.summary(), APPROVAL_FORM, related_request_id=ctx.request_id
            )
        except NoBackChannelError:  # the channel closed since the capability was read
            return await fallback(request)
        return _approval(answer, _client_name(ctx.session))

    return elicited


def can_elicit(session: ServerSession) -> bool:
    """Whether the client declared form elicitation and this request's channel can carry it."""
    capabilities = session.client_capabilities
    declared = capabilities.elicitation if capabilities is not None else None
    # An empty capability is form mode (its only mode until 2025-11-25); url alone is not.
    form = declared is not None and (declared.form is not None or declared.url is None)
    return form and session.can_send_request


async def _cannot_ask(request: ApprovalRequest) -> Approval:
    return Approval(False, reason=CANNOT_ASK, via="none")


def _approval(answer: ElicitResult, by: str | None) -> Approval:
    """Yes only for accept with ``approve`` true: a missing or non-boolean answer is a no."""
    content = answer.content or {}
    reason = content.get("reason")
    if not (isinstance(reason, str) and reason):
        reason = None if answer.action == "accept" else f"the client answered {answer.action}"
    approved = answer.action == "accept" and content.get("approve") is True
    return Approval(approved, by=by, reason=reason, via=VIA)


def _client_name(session: ServerSession) -> str | None:
    params = session.client_params
    name = params.client_info.name if params is not None else None
    return f"MCP client {name[:_MAX_NAME]}" if name else None
