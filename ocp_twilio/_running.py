"""What runs a tool's calls: each kind of tool has its runner, chosen when the tool is registered.

``OCPAgent.call_tool`` looks the tool up, checks it, hands it to its runner and records the
outcome; it never asks what kind of tool it holds. An operation tool is run by its API's
dispatcher (an HTTP request), a payment progress tool from the progress store, a compact tool
by the catalog (``_catalog.CompactRunner``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .http.dispatch import Attempts, Dispatcher
from .http.transport import Transport
from .ocp.context import OCPContext
from .payments.resource_tools import answer_event_tool
from .payments.stores import ProgressStore
from .payments.tools import ProgressViews
from .policy.approval import Approver
from .tools.paging import Paging, read_pages
from .tools.tool import Tool

__all__ = ["Call", "OperationRunner", "ProgressRunner", "Runner"]


@dataclass(frozen=True, slots=True)
class Call:
    """One call's settings, as ``call_tool`` was given them and the agent's loop has them.

    Immutable, so that the calls with no settings of their own (no timeout, id or span) share
    one per loop instead of making one each; slotted, as it is read on every call."""

    timeout: float | None
    tool_call_id: str | None
    # Filled by the dispatcher for the call's span; None without tracing.
    attempts: Attempts | None
    # The agent's cap of requests on the wire, for the running loop.
    in_flight: asyncio.Semaphore
    # Who approves the call where the policy asks: a framework's own approval step (the
    # adapters'), else None: the agent's approver.
    approver: Approver | None = None


class Runner(Protocol):
    """Runs the calls of the tools it was paired with."""

    # False where the call is not itself the context's history and a span, only the calls it
    # makes (callTwilioTool's). An attribute of each runner, not of its class: read on every
    # call, and Python looks up an instance's own attributes fastest.
    recorded: bool

    def run(self, tool: Tool, arguments: Mapping[str, Any], call: Call) -> Awaitable[Any]:
        """Validate ``arguments`` and answer the call; the awaitable raises OCPErrors."""
        ...

    def render(self, tool: Tool, arguments: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The request the call would send, masked (see Dispatcher.render); None for a tool
        answered in this process. Validates as ``run`` does."""
        ...

    def delegate(
        self, tool: Tool, arguments: Mapping[str, Any]
    ) -> tuple[Tool, Runner, Mapping[str, Any]] | None:
        """The call this one makes in its turn (callTwilioTool's), else None."""
        ...


class OperationRunner:
    """An API's operations: an HTTP request each, through the API's dispatcher."""

    def __init__(
        self, dispatcher: Dispatcher, transport: Transport, context: OCPContext | None
    ) -> None:
        self.recorded = True
        self._dispatcher = dispatcher
        self._transport = transport
        # The context whose headers the calls carry; None: the API takes none.
        self._context = context

    def run(self, tool: Tool, arguments: Mapping[str, Any], call: Call) -> Awaitable[Any]:
        paging = tool.paging
        if paging is not None:
            return self._pages(tool, paging, arguments, call)
        # The dispatcher's own coroutine, not one around it: this is every call's path.
        return self._request(tool, arguments, call)

    def _request(self, tool: Tool, arguments: Mapping[str, Any], call: Call) -> Awaitable[Any]:
        return self._dispatcher.call(
            self._transport,
            tool,
            arguments,
            timeout=call.timeout,
            headers=self._context.headers() if self._context is not None else None,
            in_flight=call.in_flight,
            attempts=call.attempts,
        )

    async def _pages(
        self, tool: Tool, paging: Paging, arguments: Mapping[str, Any], call: Call
    ) -> Any:
        """A list call: its pages, each a GET through the dispatcher (the in-flight cap, its
        retries), all of them one call to the policy, which checked it before."""
        tool.validate(arguments)  # Limit, Cursor and Fields too, before anything is sent
        return await read_pages(
            tool.name, paging, arguments, lambda request: self._request(tool, request, call)
        )

    def render(self, tool: Tool, arguments: Mapping[str, Any]) -> Mapping[str, Any] | None:
        headers = self._context.headers() if self._context is not None else None
        return self._dispatcher.render(tool, arguments, headers)

    def delegate(
        self, tool: Tool, arguments: Mapping[str, Any]
    ) -> tuple[Tool, Runner, Mapping[str, Any]] | None:
        return None


class ProgressRunner:
    """The event tools (getPaymentStatus, waitForPaymentUpdate, the message and call status
    tools, waitForReply), answered from the store that
    ``store_of`` gives at the time of the call (None: no receiver runs)."""

    def __init__(self, store_of: Callable[[], ProgressStore | None]) -> None:
        self.recorded = True
        self._store_of = store_of
        self._views = ProgressViews()

    def run(self, tool: Tool, arguments: Mapping[str, Any], call: Call) -> Awaitable[Any]:
        return answer_event_tool(tool, arguments, self._store_of(), self._views)

    def render(self, tool: Tool, arguments: Mapping[str, Any]) -> Mapping[str, Any] | None:
        return None

    def delegate(
        self, tool: Tool, arguments: Mapping[str, Any]
    ) -> tuple[Tool, Runner, Mapping[str, Any]] | None:
        return None
