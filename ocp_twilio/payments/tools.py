"""getPaymentStatus and waitForPaymentUpdate: the payment progress, as tools for the model.

They are Tools like the API's (an input schema, the same validation and the same adapters),
made from a LocalSpec and marked ``local``: no HTTP operation, no request; :func:`answer_progress`
answers them from the progress store. Every registered API that has Twilio's Pay operations
gets them, under that API's name and service, so that they are listed, filtered and exported
with createPayments and updatePayments.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..specs.model import LocalSpec, OperationSpec, ParameterSpec, ResponseSpec
from ..tools.tool import Tool
from .kinds import ResourceState
from .stores import ProgressStore

__all__ = [
    "DEFAULT_WAIT_SECONDS",
    "MAX_WAIT_SECONDS",
    "NO_RECEIVER",
    "NO_RECEIVER_ERROR",
    "PROGRESS_TOOLS",
    "TIMEOUT_ARGUMENT",
    "LocalTool",
    "ProgressViews",
    "answer_progress",
    "local_tools",
    "payment_progress_tools",
    "sid_argument",
]

_STATUS = "getPaymentStatus"
_WAIT = "waitForPaymentUpdate"
# The operations of the progress tools, as named before an API's prefix.
PROGRESS_TOOLS = (_STATUS, _WAIT)
# A model's turn should not hang longer than this on one tool call.
MAX_WAIT_SECONDS = 60
DEFAULT_WAIT_SECONDS = 20
_TAGS = ("payments", "voice", "pay")


def sid_argument(prefix: str, what: str) -> ParameterSpec:
    """The required ``Sid`` argument of a tool about a ``what`` whose SIDs begin ``prefix``."""
    return ParameterSpec(
        name="Sid",
        location="query",
        required=True,
        description=f"SID of the {what} ({prefix} + 32 hex).",
        schema={
            "type": "string",
            "minLength": 34,
            "maxLength": 34,
            "pattern": f"^{prefix}[0-9a-fA-F]{{32}}$",
        },
    )


_SID = sid_argument("PK", "payment session returned by createPayments")
TIMEOUT_ARGUMENT = ParameterSpec(
    name="TimeoutSeconds",
    location="query",
    description=f"How long to wait for news, in seconds (default {DEFAULT_WAIT_SECONDS}).",
    schema={"type": "integer", "minimum": 1, "maximum": MAX_WAIT_SECONDS},
)
_AFTER = ParameterSpec(
    name="AfterVersion",
    location="query",
    description=(
        "Wait for a version newer than this one. Leave it out: the last version you were shown "
        "for this session."
    ),
    schema={"type": "integer", "minimum": 0},
)
# What PaymentProgress.for_model and ProgressViews.shown return, for the adapters that publish
# output schemas (MCP's outputSchema and structuredContent).
_TEXTS = {"type": "object", "additionalProperties": {"type": "string"}}
_PROGRESS_VIEW = ResponseSpec(
    status=200,
    schema={
        "type": "object",
        "properties": {
            "sid": {"type": "string"},
            "version": {"type": "integer", "minimum": 0},
            "capturing": {"type": ["string", "null"]},
            "typing": {"type": "boolean"},
            "required": {"type": ["array", "null"], "items": {"type": "string"}},
            "entered": _TEXTS,
            "error": {
                "type": "object",
                "properties": {"type": {"type": "string"}, "what_to_do": {"type": "string"}},
            },
            "result": _TEXTS,
            "next_step": {"type": "string"},
            "new": {"type": "boolean"},
            "note": {"type": "string"},
        },
        "required": ["sid", "version", "next_step"],
    },
)
# How the error of a progress tool without a store begins: hosts that start receivers their own
# way (the MCP server's --public-url) say so after it, instead of the Python below.
NO_RECEIVER = "No status callback receiver is running, so no payment progress can arrive: "
NO_RECEIVER_ERROR = NO_RECEIVER + (
    "start one with `async with agent.serve_status_callbacks(public_url=...)`, or mount "
    "`agent.status_callback_receiver(public_url=...)` in your own aiohttp application, or share "
    "the progress that receivers elsewhere store (OCP_TWILIO_REDIS_URL, OCPAgent(redis_url=))."
)


async def answer_progress(
    tool: Tool, arguments: Mapping[str, Any], store: ProgressStore, views: ProgressViews
) -> dict[str, Any]:
    """Answer the progress tool ``tool`` from ``store``, ``arguments`` validated already."""
    sid = arguments["Sid"]
    if tool.spec.name == _STATUS:
        state = await store.progress(sid)
        return views.shown(sid, state, waited=False)
    after = arguments.get("AfterVersion", views.last_seen(sid))
    timeout = arguments.get("TimeoutSeconds", DEFAULT_WAIT_SECONDS)
    state = await store.wait(sid, after, timeout)
    news = state is not None and state.version > after
    return views.shown(sid, state, waited=True, news=news, timeout=timeout)


_NO_SESSION = {
    "next_step": (
        "No callback has come for this session yet. Check the Sid, or wait with "
        "waitForPaymentUpdate."
    )
}


class ProgressViews:
    """The versions each session was last shown at, so that a wait starts after them; bounded."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._seen: OrderedDict[str, int] = OrderedDict()

    def last_seen(self, sid: str) -> int:
        return self._seen.get(sid, 0)

    def shown(
        self,
        sid: str,
        state: ResourceState | None,
        *,
        waited: bool,
        news: bool = False,
        timeout: float = 0,
        empty: Mapping[str, Any] = _NO_SESSION,
    ) -> dict[str, Any]:
        """``state`` as a tool returns it (``empty`` and the Sid where none is kept), the
        version remembered as shown."""
        view: dict[str, Any] = (
            state.for_model() if state is not None else {"sid": sid, "version": 0, **empty}
        )
        self.remember(sid, view["version"])
        if waited:
            view["new"] = news
            if not news:
                view["note"] = (
                    f"Nothing new came within {timeout} s; this is the current state. Wait "
                    "again, or act on next_step."
                )
        return view

    def remember(self, sid: str, version: int) -> None:
        self._seen[sid] = version
        self._seen.move_to_end(sid)
        while len(self._seen) > self.limit:
            self._seen.popitem(last=False)


def payment_progress_tools(
    api: str, service: str, name_of: Callable[[OperationSpec], str]
) -> Sequence[Tool]:
    """The two tools for an API (named by ``name_of(spec)``, as its other tools are)."""
    status = (
        _STATUS,
        "What the caller has entered so far in a payment session (masked), what went wrong and "
        "what to do next, and the outcome once complete. Answered from Twilio's status "
        "callbacks; sends nothing to Twilio.",
        (_SID,),
    )
    wait = (
        _WAIT,
        "Wait until Twilio reports progress on a payment session (the caller typed, a field was "
        "entered or refused, the payment ended), then return the progress as getPaymentStatus "
        "does. After a timeout it returns the current state with new=false. Call it after each "
        "updatePayments.",
        (_SID, TIMEOUT_ARGUMENT, _AFTER),
    )
    return local_tools(api, service, name_of, _TAGS, _PROGRESS_VIEW, (status, wait))


# A local tool's name, description and arguments.
LocalTool = tuple[str, str, tuple[ParameterSpec, ...]]


def local_tools(
    api: str,
    service: str,
    name_of: Callable[[OperationSpec], str],
    tags: tuple[str, ...],
    response: ResponseSpec,
    made: Sequence[LocalTool],
) -> tuple[Tool, ...]:
    """The local tools ``made`` of an API's service, each answering ``response``."""
    specs = (
        LocalSpec(
            name=name,
            description=description,
            api=api,
            service=service,
            parameters=parameters,
            tags=tags,
            response=response,
        )
        for name, description, parameters in made
    )
    return tuple(Tool(spec, api=api, name=name_of(spec), local=True) for spec in specs)
