"""getMessageStatus, waitForMessageStatus, getCallStatus, waitForCallStatus and waitForReply:
what Twilio's callbacks said of a message, a call or a conversation, as tools for the model.

Like the Pay progress tools (tools.py) they are local Tools made from LocalSpecs, listed with
the operations they follow: an API with api_v2010's createMessage gets the message tools and
waitForReply, one with createCall the call tools. :func:`answer_event_tool` answers every
event tool, Pay's included, from the store.

waitForReply reads one conversation: inbound messages from ``From`` (the person) to ``To``
(the account's number), each returned once, in the order they arrived. The operator's policy
checks its ``From`` as the recipient of a send (specs/effects.py: recipient_arguments).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .._exceptions import ConfigurationError
from ..specs.model import OperationSpec, ParameterSpec, ResponseSpec
from ..tools.tool import Tool
from .conversations import Conversation, conversation_id, message_view
from .kinds import is_over
from .lifecycle import CALL_STATUSES, MESSAGE_STATUSES
from .stores import ProgressStore
from .tools import (
    DEFAULT_WAIT_SECONDS,
    NO_RECEIVER_ERROR,
    PROGRESS_TOOLS,
    TIMEOUT_ARGUMENT,
    LocalTool,
    ProgressViews,
    answer_progress,
    local_tools,
    sid_argument,
)

__all__ = [
    "CALL_TOOLS",
    "EVENT_TOOLS",
    "MESSAGE_TOOLS",
    "answer_event_tool",
    "call_status_tools",
    "is_progress_tool",
    "message_status_tools",
]

MESSAGE_TOOLS = ("getMessageStatus", "waitForMessageStatus", "waitForReply")
CALL_TOOLS = ("getCallStatus", "waitForCallStatus")
# Every tool answered from the store, as named before an API's prefix.
EVENT_TOOLS = (*PROGRESS_TOOLS, *MESSAGE_TOOLS, *CALL_TOOLS)

_MESSAGE_TAGS = ("messaging", "messages", "sms")
_CALL_TAGS = ("voice", "calls")
_ADDRESS_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"^\S+$"}


_MESSAGE_SID = sid_argument("(SM|MM)", "message createMessage returned")
_CALL_SID = sid_argument("CA", "call createCall returned")
_FROM = ParameterSpec(
    name="From",
    location="query",
    required=True,
    description="The person's number the reply comes from: the To of your message.",
    schema=_ADDRESS_SCHEMA,
)
_TO = ParameterSpec(
    name="To",
    location="query",
    required=True,
    description="Your Twilio number the reply is sent to: the From of your message.",
    schema=_ADDRESS_SCHEMA,
)


def _status_view(statuses: Sequence[str]) -> ResponseSpec:
    return ResponseSpec(
        status=200,
        schema={
            "type": "object",
            "properties": {
                "sid": {"type": "string"},
                "version": {"type": "integer", "minimum": 0},
                "status": {"type": ["string", "null"], "enum": [*statuses, None]},
                "final": {"type": "boolean"},
                "error": {
                    "type": "object",
                    "properties": {"code": {"type": "string"}, "what_to_do": {"type": "string"}},
                },
                "price": {"type": "string"},
                "next_step": {"type": "string"},
                "new": {"type": "boolean"},
                "note": {"type": "string"},
            },
            "required": ["sid", "version", "next_step"],
        },
    )


_REPLY_VIEW = ResponseSpec(
    status=200,
    schema={
        "type": "object",
        "properties": {
            "from": {"type": "string"},
            "to": {"type": "string"},
            "reply": {
                "type": ["object", "null"],
                "properties": {
                    "index": {"type": "integer"},
                    "body": {"type": "string"},
                    "sid": {"type": "string"},
                },
            },
            "waiting": {"type": "integer", "minimum": 0},
            "next_step": {"type": "string"},
        },
        "required": ["from", "to", "reply", "next_step"],
    },
)


def message_status_tools(
    api: str, service: str, name_of: Callable[[OperationSpec], str]
) -> Sequence[Tool]:
    """getMessageStatus, waitForMessageStatus and waitForReply for an API."""
    view = _status_view(MESSAGE_STATUSES)
    status: LocalTool = (
        "getMessageStatus",
        "Whether a message you sent was delivered: its status (queued, sent, delivered, "
        "undelivered, failed, read), the error code with what to do, and the price when known. "
        "Answered from Twilio's status callbacks; sends nothing to Twilio.",
        (_MESSAGE_SID,),
    )
    wait: LocalTool = (
        "waitForMessageStatus",
        "Wait until Twilio reports a newer status of a message you sent, then return it as "
        "getMessageStatus does; at once when the status is final. After a timeout it returns "
        "the current status with new=false.",
        (_MESSAGE_SID, TIMEOUT_ARGUMENT),
    )
    reply: LocalTool = (
        "waitForReply",
        "Wait for the next text a person sends to your Twilio number, and return its body. "
        "Each reply is returned once, oldest first; only that person's messages to that "
        "number, never another conversation's. After a timeout reply is null.",
        (_FROM, _TO, TIMEOUT_ARGUMENT),
    )
    return (
        *local_tools(api, service, name_of, _MESSAGE_TAGS, view, (status, wait)),
        *local_tools(api, service, name_of, _MESSAGE_TAGS, _REPLY_VIEW, (reply,)),
    )


def call_status_tools(
    api: str, service: str, name_of: Callable[[OperationSpec], str]
) -> Sequence[Tool]:
    """getCallStatus and waitForCallStatus for an API."""
    status: LocalTool = (
        "getCallStatus",
        "Where a call you placed is: queued, ringing, in-progress (answered), or how it ended "
        "(completed, busy, no-answer, failed, canceled) and what to do next. Answered from "
        "Twilio's status callbacks; sends nothing to Twilio.",
        (_CALL_SID,),
    )
    wait: LocalTool = (
        "waitForCallStatus",
        "Wait until Twilio reports a newer status of a call you placed (ringing, answered, "
        "ended), then return it as getCallStatus does; at once when the call has ended. After "
        "a timeout it returns the current status with new=false.",
        (_CALL_SID, TIMEOUT_ARGUMENT),
    )
    view = _status_view(CALL_STATUSES)
    return local_tools(api, service, name_of, _CALL_TAGS, view, (status, wait))


async def answer_event_tool(
    tool: Tool, arguments: Mapping[str, Any], store: ProgressStore | None, views: ProgressViews
) -> dict[str, Any]:
    """Validate ``arguments`` for the event tool ``tool`` and answer from ``store`` (None: no
    receiver is running)."""
    tool.validate(arguments)
    if store is None:
        raise ConfigurationError(NO_RECEIVER_ERROR)
    name = tool.spec.name
    if name in PROGRESS_TOOLS:
        return await answer_progress(tool, arguments, store, views)
    timeout = arguments.get("TimeoutSeconds", DEFAULT_WAIT_SECONDS)
    if name == "waitForReply":
        return await _reply(store, views, arguments["From"], arguments["To"], timeout)
    sid = arguments["Sid"]
    empty = {"status": None, "next_step": _NOTHING_YET[name]}
    if name.startswith("get"):
        return views.shown(sid, await store.progress(sid), waited=False, empty=empty)
    after = views.last_seen(sid)
    state = await store.progress(sid)
    if state is None or (state.version <= after and not is_over(state)):
        state = await store.wait(sid, after, timeout)
    news = state is not None and state.version > after
    view = views.shown(sid, state, waited=True, news=news, timeout=timeout, empty=empty)
    if not news and state is not None and is_over(state):
        view["note"] = "The status is final: nothing more will come. Act on next_step."
    return view


_NOTHING_YET = {
    "getMessageStatus": (
        "No status callback has come for this message yet: wait with waitForMessageStatus. "
        "If it stays empty, the message was sent with a StatusCallback of its own."
    ),
    "waitForMessageStatus": "No status callback has come for this message yet: wait again.",
    "getCallStatus": "No status callback has come for this call yet: wait with waitForCallStatus.",
    "waitForCallStatus": "No status callback has come for this call yet: wait again.",
}


async def _reply(
    store: ProgressStore, views: ProgressViews, person: str, number: str, timeout: float
) -> dict[str, Any]:
    """The oldest reply of the conversation not returned yet, waiting up to ``timeout``."""
    key = conversation_id(person, number)
    after = views.last_seen(key)
    state = await store.progress(key)
    if not isinstance(state, Conversation) or state.version < after:
        after = 0  # the store forgot the conversation (its TTL, its cap): it began again at 1
    if not (isinstance(state, Conversation) and state.after(after)):
        state = await store.wait(key, after, timeout)
    waiting = state.after(after) if isinstance(state, Conversation) else []
    view: dict[str, Any] = {"from": person, "to": number}
    if not waiting:
        view["reply"] = None
        view["next_step"] = (
            f"No reply came within {timeout} s. Wait again, or go on without one. Replies reach "
            "this tool only when the number's incoming-message webhook is the receiver's."
        )
        return view
    index, fields = waiting[0]
    views.remember(key, index)
    view["reply"] = message_view(index, fields)
    view["waiting"] = len(waiting) - 1
    view["next_step"] = (
        "Act on the reply; call waitForReply again for the next one."
        if len(waiting) == 1
        else f"{len(waiting) - 1} more replies came after this one: call waitForReply again."
    )
    return view


def is_progress_tool(tool: Tool) -> bool:
    """Whether ``tool`` is one of the event tools (Pay's progress tools, the message and call
    status tools, waitForReply, of any API), which only a store that a receiver fills can
    answer."""
    return tool.local and tool.spec.name in EVENT_TOOLS
