"""Pay sessions, messages and calls as MCP resources (``twilio-pay://{Sid}``,
``twilio-message://{Sid}``, ``twilio-call://{Sid}``), and subscriptions to them.

A resource's content is what the status tools show of it: a session's progress, a message's or
a call's status. A subscription
is a task that waits on the progress store (``ProgressStore.wait``, so any store serves) and
sends ``notifications/resources/updated`` for each newer version. The number of such tasks is
bounded, and each ends on unsubscribe, when its MCP session ends (deleted, or reaped when idle),
when its listen stream closes, when the payment has an outcome or the message or call a final
status (a delivered message may still be read), after the store's session
lifetime, or when the server stops, whichever comes first.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

from ..._exceptions import OCPError
from ...payments.kinds import is_over
from ...payments.store_limits import DEFAULT_SESSION_TTL
from ...payments.stores import ProgressStore

if TYPE_CHECKING:
    import mcp_types as types
    from mcp.server.context import ServerRequestContext

__all__ = ["MAX_SUBSCRIPTIONS", "PaySessions"]

logger = logging.getLogger("ocp_twilio.mcp")


class _Resource(NamedTuple):
    template: str  # the name of its resource template
    prefixes: tuple[str, ...]  # of its Sids
    about: str


# Each kind of resource, by its URI scheme, in the order its templates are listed.
_RESOURCES = {
    "twilio-pay": _Resource(
        "pay-session",
        ("PK",),
        "A Pay session's progress from Twilio's status callbacks (masked): what the caller has "
        "entered, what went wrong, the next step and the outcome. Subscribe to hear of each "
        "change.",
    ),
    "twilio-message": _Resource(
        "message",
        ("SM", "MM"),
        "A message's delivery status from Twilio's status callbacks: queued, sent, delivered, "
        "undelivered or failed with the error code and what to do, read. Subscribe to hear of "
        "each change.",
    ),
    "twilio-call": _Resource(
        "call",
        ("CA",),
        "A call's status from Twilio's status callbacks: ringing, answered, and how it ended. "
        "Subscribe to hear of each change.",
    ),
}
# Each resource's scheme, by the prefix of its Sid.
_SCHEMES = {prefix: scheme for scheme, kind in _RESOURCES.items() for prefix in kind.prefixes}
# A resource's URI, its scheme checked against its Sid's prefix by _sid_of.
_URI = re.compile(r"([a-z-]+)://([A-Z]{2}[0-9a-fA-F]{32})")
MAX_SUBSCRIPTIONS = 256
_LISTED = 100
_WAIT_SECONDS = 30.0
# MCP's code for an unknown resource (the specification's "Resource not found").
RESOURCE_NOT_FOUND = -32002
_MIME = "application/json"
_STDIO = "stdio"  # the one connection of a stdio server


@runtime_checkable
class ListingStore(Protocol):
    """A store that can name the sessions it keeps (optional: listing needs it, nothing else)."""

    async def recent_sids(self, limit: int) -> list[str]: ...


StoreOf = Callable[[], ProgressStore | None]


class PaySessions:
    """The resource handlers of a server, over the store ``store_of()`` returns at each call
    (None: no receiver runs)."""

    def __init__(self, store_of: StoreOf, *, max_subscriptions: int = MAX_SUBSCRIPTIONS) -> None:
        self._store_of = store_of
        self.max_subscriptions = max_subscriptions
        # Every live watcher, whoever holds it: the bound counts these tasks, not names that a
        # client chooses and could reuse.
        self._tasks: set[asyncio.Task[None]] = set()
        # (MCP session, uri) -> the watcher of a handshake-era subscription. Listen streams
        # hold their watchers themselves and are in no table.
        self._subscribed: dict[tuple[str, str], asyncio.Task[None]] = {}

    def __len__(self) -> int:
        """The number of live watcher tasks."""
        return len(self._tasks)

    def handlers(self) -> dict[str, Any]:
        """The ``on_*`` arguments of the SDK's low-level Server."""
        return {
            "on_list_resources": self.list_resources,
            "on_list_resource_templates": self.list_templates,
            "on_read_resource": self.read,
            "on_subscribe_resource": self.subscribe,
            "on_unsubscribe_resource": self.unsubscribe,
            "on_subscriptions_listen": self.listen,
        }

    async def list_resources(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        import mcp_types as types

        store = self._store_of()
        sids: list[str] = []
        if isinstance(store, ListingStore):
            sids = await store.recent_sids(_LISTED)
        return types.ListResourcesResult(
            resources=[
                types.Resource(
                    name=sid,
                    uri=f"{_SCHEMES[sid[:2]]}://{sid}",
                    mime_type=_MIME,
                    description=_RESOURCES[_SCHEMES[sid[:2]]].about,
                )
                for sid in sids
                if sid[:2] in _SCHEMES  # a conversation is no resource of its own
            ]
        )

    async def list_templates(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        import mcp_types as types

        templates = [
            types.ResourceTemplate(
                name=kind.template,
                uri_template=f"{scheme}://{{Sid}}",
                mime_type=_MIME,
                description=kind.about,
            )
            for scheme, kind in _RESOURCES.items()
        ]
        return types.ListResourceTemplatesResult(resource_templates=templates)

    async def read(
        self, ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        import mcp_types as types
        from mcp.shared.exceptions import MCPError

        sid = _sid_of(params.uri)
        store = self._store_of()
        state = await store.progress(sid) if store is not None else None
        if state is None:
            raise MCPError(
                RESOURCE_NOT_FOUND,
                f"No status callback has come for {sid}: check the Sid, or subscribe to "
                f"{params.uri} and read it once notified.",
            )
        text = json.dumps(state.for_model(), ensure_ascii=False)
        contents = types.TextResourceContents(uri=params.uri, mime_type=_MIME, text=text)
        return types.ReadResourceResult(contents=[contents])

    async def subscribe(
        self, ctx: ServerRequestContext[Any], params: types.SubscribeRequestParams
    ) -> types.EmptyResult:
        """Handshake-era clients: updates go to the MCP session's standalone stream."""
        import mcp_types as types

        key = (_session_of(ctx), params.uri)
        if key not in self._subscribed:
            [task] = self._start([params.uri], ctx.session.send_resource_updated)
            self._subscribed[key] = task
            task.add_done_callback(partial(self._drop, key))
        return types.EmptyResult()

    async def listen(
        self, ctx: ServerRequestContext[Any], params: types.SubscriptionsListenRequestParams
    ) -> types.SubscriptionsListenResult:
        """2026-07-28 clients: the listen request's own stream carries the updates, for as
        long as it is open (the SDK's ListenHandler writes it, over a bus of its own).

        The stream's watchers belong to this call alone, never to its request id, which the
        client chooses: two streams with the same id are two streams, and each one's watchers
        end with it."""
        from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, ResourceUpdated

        bus = InMemorySubscriptionBus()

        async def publish(uri: str) -> None:
            await bus.publish(ResourceUpdated(uri))

        uris = list(dict.fromkeys(params.notifications.resource_subscriptions or []))
        tasks = self._start(uris, publish)
        try:
            return await ListenHandler(bus)(ctx, params)
        finally:
            for task in tasks:
                task.cancel()

    async def unsubscribe(
        self, ctx: ServerRequestContext[Any], params: types.UnsubscribeRequestParams
    ) -> types.EmptyResult:
        import mcp_types as types

        self._stop(lambda key: key == (_session_of(ctx), params.uri))
        return types.EmptyResult()

    def forget(self, session: str) -> None:
        """End the subscriptions of an MCP session (it was deleted, or reaped when idle)."""
        self._stop(lambda key: key[0] == session)

    async def close(self) -> None:
        """End every watcher, and wait until each one has."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _start(
        self, uris: list[str], notify: Callable[[str], Awaitable[None]]
    ) -> list[asyncio.Task[None]]:
        """One watcher task for each of ``uris``, all or none (within the bound)."""
        from mcp.shared.exceptions import MCPError
        from mcp_types import INVALID_REQUEST

        sids = [_sid_of(uri) for uri in uris]
        if len(self._tasks) + len(uris) > self.max_subscriptions:
            raise MCPError(
                INVALID_REQUEST,
                f"This server already runs {len(self._tasks)} subscription watchers (one for "
                f"each resource each client follows), at most {self.max_subscriptions} at "
                "once: unsubscribe from, or close the listen streams of, payments, messages or "
                "calls that are over first.",
            )
        tasks = [
            asyncio.create_task(self._watch(uri, sid, notify))
            for uri, sid in zip(uris, sids, strict=True)
        ]
        self._tasks.update(tasks)
        for task in tasks:
            task.add_done_callback(self._tasks.discard)
        return tasks

    def _stop(self, chosen: Callable[[tuple[str, str]], bool]) -> None:
        for key in [key for key in self._subscribed if chosen(key)]:
            self._subscribed.pop(key).cancel()

    def _drop(self, key: tuple[str, str], task: asyncio.Task[None]) -> None:
        if self._subscribed.get(key) is task:
            del self._subscribed[key]

    async def _watch(self, uri: str, sid: str, notify: Callable[[str], Awaitable[None]]) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEFAULT_SESSION_TTL
        try:
            store = self._store_of()
            state = await store.progress(sid) if store is not None else None
            if state is not None and is_over(state):
                return  # over before it was subscribed to: nothing more will come
            seen = state.version if state is not None else 0
            while store is not None and loop.time() < deadline:
                state = await store.wait(sid, seen, _WAIT_SECONDS)
                if state is None or state.version <= seen:
                    continue
                seen = state.version
                await notify(uri)
                if is_over(state):
                    return  # the payment is over: nothing more will come
        except OCPError as exc:  # a shared store is out: the client subscribes again
            logger.warning("Subscription to %s ended: %s", uri, exc)


def _sid_of(uri: str) -> str:
    from mcp.shared.exceptions import MCPError
    from mcp_types import INVALID_PARAMS

    match = _URI.fullmatch(uri)
    if match is None or _SCHEMES.get(match[2][:2]) != match[1]:
        raise MCPError(
            INVALID_PARAMS,
            f"Not a Pay session, message or call resource: {uri[:80]!r}. Use twilio-pay://PK..., "
            "twilio-message://SM... or twilio-call://CA... with the 34-character Sid that "
            "createPayments, createMessage or createCall returned.",
        )
    return match[2]


def _session_of(ctx: ServerRequestContext[Any]) -> str:
    """The MCP session a handshake-era request belongs to: its Mcp-Session-Id over HTTP (the
    SDK's, random and bound to the credential that opened it); stdio has one connection."""
    request = ctx.request
    headers = getattr(request, "headers", None)
    session_id = headers.get("mcp-session-id") if headers is not None else None
    return session_id if isinstance(session_id, str) else _STDIO
