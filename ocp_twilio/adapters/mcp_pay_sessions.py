"""Pay sessions as MCP resources, ``twilio-pay://{Sid}``, and subscriptions to them.

A resource's content is the session's progress as the progress tools show it. A subscription
is a task that waits on the progress store (``ProgressStore.wait``, so any store serves) and
sends ``notifications/resources/updated`` for each newer version. Subscriptions are bounded in
number, and each ends on unsubscribe, when its MCP session is deleted, when the payment has an
outcome, or after the store's session lifetime, whichever comes first.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .._exceptions import OCPError
from ..payments.stores import DEFAULT_SESSION_TTL, ProgressStore

if TYPE_CHECKING:
    import mcp_types as types
    from mcp.server.context import ServerRequestContext

__all__ = ["MAX_SUBSCRIPTIONS", "URI_TEMPLATE", "PaySessions"]

logger = logging.getLogger("ocp_twilio.mcp")

URI_TEMPLATE = "twilio-pay://{Sid}"
_URI = re.compile(r"twilio-pay://(PK[0-9a-fA-F]{32})")
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
        # (connection, uri) -> the task that notifies it.
        self._watchers: dict[tuple[str, str], asyncio.Task[None]] = {}

    def __len__(self) -> int:
        return len(self._watchers)

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
                    name=sid, uri=f"twilio-pay://{sid}", mime_type=_MIME, description=_ABOUT
                )
                for sid in sids
            ]
        )

    async def list_templates(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        import mcp_types as types

        template = types.ResourceTemplate(
            name="pay-session", uri_template=URI_TEMPLATE, mime_type=_MIME, description=_ABOUT
        )
        return types.ListResourceTemplatesResult(resource_templates=[template])

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
        """Handshake-era clients: updates go to the connection's standalone stream."""
        import mcp_types as types

        key = (_connection_of(ctx), params.uri)
        if key not in self._watchers:
            self._start([(key, _sid_of(params.uri))], ctx.session.send_resource_updated)
        return types.EmptyResult()

    async def listen(
        self, ctx: ServerRequestContext[Any], params: types.SubscriptionsListenRequestParams
    ) -> types.SubscriptionsListenResult:
        """2026-07-28 clients: the listen request's own stream carries the updates, for as
        long as it is open (the SDK's ListenHandler writes it, over a bus of its own)."""
        from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, ResourceUpdated

        bus = InMemorySubscriptionBus()
        stream = f"listen {_connection_of(ctx)} {ctx.request_id}"
        uris = params.notifications.resource_subscriptions or []
        keys = [((stream, uri), _sid_of(uri)) for uri in dict.fromkeys(uris)]

        async def publish(uri: str) -> None:
            await bus.publish(ResourceUpdated(uri))

        self._start(keys, publish)
        try:
            return await ListenHandler(bus)(ctx, params)
        finally:
            self._stop(lambda key: key[0] == stream)

    async def unsubscribe(
        self, ctx: ServerRequestContext[Any], params: types.UnsubscribeRequestParams
    ) -> types.EmptyResult:
        import mcp_types as types

        self._stop(lambda key: key == (_connection_of(ctx), params.uri))
        return types.EmptyResult()

    def forget(self, connection: str) -> None:
        """End the subscriptions of an MCP session (it was deleted)."""
        self._stop(lambda key: key[0] == connection)

    def close(self) -> None:
        self._stop(lambda key: True)

    def _start(
        self, keys: list[tuple[tuple[str, str], str]], notify: Callable[[str], Awaitable[None]]
    ) -> None:
        from mcp.shared.exceptions import MCPError
        from mcp_types import INVALID_REQUEST

        if len(self._watchers) + len(keys) > self.max_subscriptions:
            raise MCPError(
                INVALID_REQUEST,
                f"This server already keeps {self.max_subscriptions} subscriptions: "
                "unsubscribe from payments that are over first.",
            )
        for key, sid in keys:
            self._watchers[key] = asyncio.create_task(self._watch(key, sid, notify))

    def _stop(self, chosen: Callable[[tuple[str, str]], bool]) -> None:
        for key in [key for key in self._watchers if chosen(key)]:
            self._watchers.pop(key).cancel()

    async def _watch(
        self, key: tuple[str, str], sid: str, notify: Callable[[str], Awaitable[None]]
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEFAULT_SESSION_TTL
        try:
            store = self._store_of()
            state = await store.progress(sid) if store is not None else None
            if state is not None and "Result" in state.outcome:
                return  # over before it was subscribed to: nothing more will come
            seen = state.version if state is not None else 0
            while store is not None and loop.time() < deadline:
                state = await store.wait(sid, seen, _WAIT_SECONDS)
                if state is None or state.version <= seen:
                    continue
                seen = state.version
                await notify(key[1])
                if "Result" in state.outcome:
                    return  # the payment is over: nothing more will come
        except OCPError as exc:  # a shared store is out: the client subscribes again
            logger.warning("Subscription to %s ended: %s", key[1], exc)
        finally:
            if self._watchers.get(key) is asyncio.current_task():
                del self._watchers[key]


_ABOUT = (
    "A Pay session's progress from Twilio's status callbacks (masked): what the caller has "
    "entered, what went wrong, the next step and the outcome. Subscribe to hear of each change."
)


def _sid_of(uri: str) -> str:
    from mcp.shared.exceptions import MCPError
    from mcp_types import INVALID_PARAMS

    match = _URI.fullmatch(uri)
    if match is None:
        raise MCPError(
            INVALID_PARAMS,
            f"Not a Pay session resource: {uri[:80]!r}. Use twilio-pay://PK followed by 32 hex "
            "digits, the Sid createPayments returned.",
        )
    return match.group(1)


def _connection_of(ctx: ServerRequestContext[Any]) -> str:
    """The MCP session a request belongs to: its Mcp-Session-Id over HTTP; stdio has one."""
    request = ctx.request
    headers = getattr(request, "headers", None)
    session_id = headers.get("mcp-session-id") if headers is not None else None
    return session_id if isinstance(session_id, str) else _STDIO
