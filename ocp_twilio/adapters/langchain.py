"""LangChain StructuredTools (the ``langchain`` extra) whose calls are validated.

A StructuredTool given a dict schema passes the model's arguments through unchecked; these
tools send them to ``OCPAgent.call_tool``, which validates them before anything is sent. A
failed call raises ToolException, which LangChain turns into a ToolMessage with
``status="error"`` (``handle_tool_error=True``), so the agent loop goes on.

``ainvoke`` is the way in async code. ``invoke`` (synchronous LangChain and LangGraph apps) runs
the call in an event loop of its own, as ``asyncio.run`` does; inside a running loop it would
block that loop, so there it raises ConfigurationError, which says to use ``ainvoke``.

Where the operator's policy asks for approval, the tool calls LangGraph's ``interrupt()`` before
anything is sent, with the ApprovalRequest as a dict and ``"type": "tool_approval"``: a graph with
a checkpointer pauses (``__interrupt__``) and resumes with ``Command(resume=decision)`` on the same
thread, the decision shaped as LangChain's human-in-the-loop ones (``{"type": "approve"}``,
``{"type": "reject", "message": ...}``) or a bare True / False; anything else is no. The policy
asks ``call_tool`` again with that answer. Outside a graph (a plain ``ainvoke``, where
``interrupt()`` cannot pause), or without langgraph installed, the agent's approver answers.

On ``Command(resume=...)`` LangGraph runs the paused task again from its start: a ToolNode that
ran a message and paused on a call beside it would send the message again. So a call made inside
a graph's task is made once: its outcome is kept (``_Once``) under the task's ``checkpoint_ns``
(which ends in the task's id, the same when the task is run again and new for each later step)
with the thread, the tool call's id, the tool and its arguments; the task's rerun gives it back
without calling. Outside a graph nothing is kept.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import Future
from contextvars import ContextVar
from functools import cache
from typing import TYPE_CHECKING, Any

from .._exceptions import ConfigurationError
from .._extras import needs_extra
from ..policy.approval import ApprovalRequest, Approver
from ..tools.offer import Offer
from ..tools.tool import Tool
from ._calls import ToolOutcome, approval_for_model, call_for_model, decided
from ._keys import real_keys
from ._schema import model_facing

if TYPE_CHECKING:
    from langchain_core.tools import StructuredTool

    from .._caller import ToolCaller

__all__ = ["as_langchain_tools"]

# Outcomes kept per tool set: enough for the calls of the tasks a resume can run again.
_KEPT = 1000
# The id of the tool call being run (a dict args_schema gets no InjectedToolCallId).
_CALL_ID: ContextVar[str | None] = ContextVar("ocp_twilio_langchain_call_id", default=None)


def as_langchain_tools(
    agent: ToolCaller, tools: Iterable[Tool] | None = None
) -> list[StructuredTool]:
    """The agent's tools (or ``tools``) as StructuredTools: ``ainvoke`` in async code,
    ``invoke`` where no event loop runs. They are the model's offer: each runs its own tool."""
    with needs_extra("langchain", "as_langchain_tools"):
        import langchain_core.tools  # noqa: F401  # the framework, checked before any tool is made
    offer = Offer(agent.model_tools() if tools is None else tools)
    once = _Once()
    return [_structured_tool(agent, offer, tool, once) for tool in offer.tools]


def _structured_tool(agent: ToolCaller, offer: Offer, tool: Tool, once: _Once) -> StructuredTool:
    from langchain_core.tools import ToolException

    async def call(**arguments: Any) -> str:
        request = approval_for_model(agent, offer, tool.name, arguments, prepare=real_keys)
        # Asked before the kept outcome is read: LangGraph pairs resume values with a task's
        # interrupt() calls by their order, so a rerun call asks as it did (answered at once).
        approver = _graph_approval(request) if request is not None else None
        outcome = await once.run(
            _task_call(tool.name, arguments),
            lambda: call_for_model(
                agent, offer, tool.name, arguments, prepare=real_keys, approver=approver
            ),
        )
        if outcome.error is not None:
            raise ToolException(outcome.error)
        return outcome.text

    def call_blocking(**arguments: Any) -> str:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(call(**arguments))
        raise ConfigurationError(
            f"{tool.name} was invoked synchronously inside a running event loop, which the call "
            "would block: use `await tool.ainvoke(...)` there."
        )

    # Safe keys: a chat model such as ChatAnthropic is given the schema as it is.
    description, schema = model_facing(tool, safe_keys=True)
    return _tool_class()(
        name=tool.name,
        description=description,
        args_schema=schema,
        func=call_blocking,
        coroutine=call,
        handle_tool_error=True,
    )


def _graph_approval(request: ApprovalRequest) -> Approver | None:
    """The person's answer to ``request`` through LangGraph's ``interrupt()``: its first call
    pauses the graph (GraphInterrupt, let through to the graph's runner), and the resumed tool's
    returns the decision. None where no graph runs this call: the agent's approver answers."""
    try:
        from langgraph.types import interrupt
    except ImportError:
        return None
    try:
        decision = interrupt({"type": "tool_approval", **request.as_dict()})
    except (RuntimeError, KeyError):
        # RuntimeError: no runnable context at all; KeyError: a runnable's config (a plain
        # ainvoke) without the graph's scratchpad. langgraph/types.py interrupt().
        return None
    if decision is True or (isinstance(decision, dict) and decision.get("type") == "approve"):
        return decided(True, "langgraph")
    # Anything but an approval is a no; a reject's message is the person's reason.
    message = decision.get("message") if isinstance(decision, dict) else None
    return decided(False, "langgraph", message if isinstance(message, str) else None)


@cache
def _tool_class() -> type[StructuredTool]:
    """StructuredTool, telling its coroutine the id of the tool call it runs (``_CALL_ID``)."""
    from langchain_core.tools import StructuredTool

    class CallTool(StructuredTool):
        def run(self, *args: Any, tool_call_id: str | None = None, **kwargs: Any) -> Any:
            token = _CALL_ID.set(tool_call_id)
            try:
                return super().run(*args, tool_call_id=tool_call_id, **kwargs)
            finally:
                _CALL_ID.reset(token)

        async def arun(self, *args: Any, tool_call_id: str | None = None, **kwargs: Any) -> Any:
            token = _CALL_ID.set(tool_call_id)
            try:
                return await super().arun(*args, tool_call_id=tool_call_id, **kwargs)
            finally:
                _CALL_ID.reset(token)

    return CallTool


_CallKey = tuple[str, str, str, str, str]


def _task_call(name: str, arguments: dict[str, Any]) -> _CallKey | None:
    """The call as LangGraph's rerun of its task makes it again: the thread, the task's
    ``checkpoint_ns`` (its path of nodes and task ids), the tool call's id, the tool and its
    arguments. None outside a graph's task."""
    from langchain_core.runnables import ensure_config

    configurable = ensure_config().get("configurable", {})
    task = configurable.get("checkpoint_ns")
    if not isinstance(task, str) or not task:
        return None
    thread = str(configurable.get("thread_id", ""))
    given = json.dumps(arguments, sort_keys=True, separators=(",", ":"), default=repr)
    return thread, task, _CALL_ID.get() or "", name, given


class _Once:
    """The outcomes of the last ``_KEPT`` calls made in graph tasks, by ``_task_call``: a call
    made again gets the first one's outcome, awaited where it is still under way (a task that
    paused may have left a call running). Futures of ``concurrent.futures``, and a lock: a
    synchronous graph runs its calls on threads, each in an event loop of its own."""

    def __init__(self) -> None:
        self._outcomes: OrderedDict[_CallKey, Future[ToolOutcome]] = OrderedDict()
        self._lock = threading.Lock()

    async def run(
        self, key: _CallKey | None, make: Callable[[], Awaitable[ToolOutcome]]
    ) -> ToolOutcome:
        if key is None:
            return await make()
        with self._lock:
            made = self._outcomes.get(key)
            first = made is None
            if made is None:
                made = self._outcomes[key] = Future()
                while len(self._outcomes) > _KEPT:
                    self._outcomes.popitem(last=False)
        if not first:
            # Shielded: a waiter cancelled must not cancel the call it waits for.
            return await asyncio.shield(asyncio.wrap_future(made))
        call = asyncio.ensure_future(make())
        call.add_done_callback(lambda done: self._settle(key, made, done))
        # Shielded: the call is finished, and kept, even where the graph gives up waiting.
        return await asyncio.shield(call)

    def _settle(
        self, key: _CallKey, made: Future[ToolOutcome], call: asyncio.Future[ToolOutcome]
    ) -> None:
        if call.cancelled():  # its loop ended first: no outcome to keep, a rerun calls again
            with self._lock:
                if self._outcomes.get(key) is made:
                    del self._outcomes[key]
            made.cancel()
        else:  # call_for_model never raises: each failure is an outcome
            made.set_result(call.result())
