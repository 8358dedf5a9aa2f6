"""The callbacks' resources in Redis, shared by the processes of a fleet: the receivers that
Twilio's callbacks reach and the agents whose tools wait for them.

Each resource (a Pay session, a message, a call, a conversation: see kinds.py) has a stream of
its events (the kept fields of each callback, exactly what :class:`CallbackEvent` holds, and
its kind) in arrival order, and a set of their digests. One Lua script
adds an event only when its digest is new and the session holds fewer than ``max_events``, and
refreshes the TTL of both keys, in one step: duplicates are dropped however many receivers get
them. The state is the stream folded with :func:`~.kinds.fold`, as MemoryProgressStore folds, so
both stores give one state for the same callbacks. A waiting call reads past the last entry it
folded with XREAD BLOCK: an event stored between two reads is still read (pub/sub drops what
nobody listened for).

Two connection pools per event loop: one for commands (the receiver's appends, the reads of
getPaymentStatus and of a wait's start), which answer in milliseconds, and one for blocking
reads, a connection each, whose socket timeout outlasts the longest block. So a wait never
dies of redis-py's default 5 s socket timeout, and waits never hold the connections that
callbacks are stored on. At most ``max_waits`` block at once; one more is refused with
TooManyWaits.

redis-py's exceptions are translated here, and only here, into ProgressStoreUnavailable.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit

import redis.asyncio
import redis.exceptions
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError

from .._config import DEFAULT_MAX_WAITS
from .._exceptions import ConfigurationError, ProgressStoreUnavailable, TooManyWaits
from .kinds import KINDS, PAY, ResourceState, event_of, fold
from .progress import CallbackEvent
from .store_limits import DEFAULT_MAX_EVENTS, DEFAULT_SESSION_TTL

__all__ = ["DEFAULT_KEY_PREFIX", "RedisProgressStore"]

DEFAULT_KEY_PREFIX = "ocp-twilio:pay:"
# A Redis on the same network connects in milliseconds; an outage should fail a call soon.
_CONNECT_TIMEOUT = 2.0
# A command answers in milliseconds: this long without an answer, or without a free connection
# among _COMMAND_CONNECTIONS (a burst of callbacks queues for one), is an outage.
_COMMAND_TIMEOUT = 5.0
_COMMAND_CONNECTIONS = 50
# Reconnect twice on a dropped connection (every command here is safe to repeat), then fail:
# redis-py's default backs off for seconds, which a model's turn should not wait out.
_RETRIES = 2
# A wait blocks in reads of at most _LONGEST_BLOCK (the default wait is one read), on
# connections whose socket timeout is longer by _BLOCK_MARGIN: Redis ends the read, not the
# socket. Those reads are not repeated by redis-py: a repeat would block past the wait's end.
_LONGEST_BLOCK = 20.0
_BLOCK_MARGIN = 5.0
_FIELD = b"e"
_KIND = b"k"
_T = TypeVar("_T")

# KEYS: digests, events. ARGV: digest, max_events, ttl in ms, the event's fields as JSON, its
# kind.
_APPEND = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 0 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[2], '*', 'e', ARGV[4], 'k', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
"""

Entries = list[tuple[bytes, Mapping[bytes, bytes]]]


class RedisProgressStore:
    """The callbacks' resources (payment progress, messages, calls, conversations) in the Redis
    at ``url`` (``redis://[:password@]host:port/db``,
    ``rediss://`` for TLS, ``unix://``), bounded: ``max_events`` callbacks per resource (more
    are ignored), each resource kept ``ttl`` seconds after its last callback. Keys start with
    ``key_prefix`` and hold the session's Sid in braces, so a Redis Cluster keeps a session's
    keys on one node. ``max_waits`` waits may block at once, each on a connection of its own;
    one more raises TooManyWaits.

    The connections open on first use, in the running event loop; :meth:`aclose` closes them.
    """

    def __init__(
        self,
        url: str,
        *,
        max_events: int = DEFAULT_MAX_EVENTS,
        ttl: float = DEFAULT_SESSION_TTL,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        max_waits: int = DEFAULT_MAX_WAITS,
    ) -> None:
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            raise ConfigurationError(
                "The port of the Redis URL (OCP_TWILIO_REDIS_URL) is not a number from 0 to 65535."
            ) from None
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise ConfigurationError(
                "The Redis URL (OCP_TWILIO_REDIS_URL) must start with redis://, rediss:// or "
                f"unix://, not {parts.scheme + '://' if parts.scheme else 'nothing'}."
            )
        if max_events < 1 or max_waits < 1 or not ttl > 0:
            raise ConfigurationError(
                "max_events and max_waits must be at least 1, and ttl a positive number of seconds."
            )
        self._url = url
        # Where the store is, for messages: never the URL itself, which may hold a password.
        self.where = f"{parts.scheme}://{_host_of(parts.hostname, port)}{parts.path}"
        self.max_events = max_events
        self.ttl = ttl
        self.key_prefix = key_prefix
        self.max_waits = max_waits
        self._blocked = 0  # waits in a blocking read, or about to be
        self._clients: _Clients | None = None

    def __repr__(self) -> str:
        return f"<RedisProgressStore {self.where}>"

    async def aclose(self) -> None:
        clients, self._clients = self._clients, None
        if clients is not None:
            await clients.commands.aclose()
            await clients.waits.aclose()

    async def append(self, event: CallbackEvent) -> bool:
        events, digests = self._keys(event.sid)
        payload = json.dumps(dict(event.fields), separators=(",", ":"))
        arguments: list[bytes | int | str] = [
            event.digest,
            self.max_events,
            int(self.ttl * 1000),
            payload,
            event.kind,
        ]

        async def run(client: redis.asyncio.Redis) -> Any:
            # The script object loads the script again after a Redis restart (NOSCRIPT).
            script = client.register_script(_APPEND)
            return await script(keys=[digests, events], args=arguments)

        return bool(await self._call(run))

    async def progress(self, sid: str) -> ResourceState | None:
        return (await self._read(sid))[0]

    async def wait(self, sid: str, after_version: int, timeout: float) -> ResourceState | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        state, last_id = await self._read(sid)
        if (state is not None and state.version > after_version) or timeout <= 0:
            return state  # news already: no connection of the waits is taken
        if self._blocked >= self.max_waits:
            raise TooManyWaits(
                f"{self.max_waits} waits for payment progress are already blocked on the store "
                f"at {self.where} (RedisProgressStore(max_waits=)); this one was refused."
            )
        self._blocked += 1
        try:
            events = self._keys(sid)[0]
            while state is None or state.version <= after_version:
                remaining = min(deadline - loop.time(), _LONGEST_BLOCK)
                if remaining <= 0:
                    break
                read_on = partial(
                    _read_after, {events: last_id}, self.max_events, max(1, int(remaining * 1000))
                )
                for _stream, entries in await self._call(read_on, blocking=True) or ():
                    state = _folded(state, sid, entries)
                    last_id = entries[-1][0]
        finally:
            self._blocked -= 1
        return state

    async def _read(self, sid: str) -> tuple[ResourceState | None, bytes]:
        """The session's state and the id of the last entry folded into it ("0-0": none)."""
        events = self._keys(sid)[0]

        async def read(client: redis.asyncio.Redis) -> Any:
            return await client.xrange(events, count=self.max_events)

        entries: Entries = await self._call(read)
        if not entries:
            return None, b"0-0"
        return _folded(None, sid, entries), entries[-1][0]

    def _keys(self, sid: str) -> tuple[str, str]:
        base = f"{self.key_prefix}{{{sid}}}"
        return f"{base}:events", f"{base}:digests"

    async def _call(
        self, operation: Callable[[redis.asyncio.Redis], Awaitable[_T]], *, blocking: bool = False
    ) -> _T:
        """``operation`` on a client of the running loop (``blocking``: the waits'); redis-py's
        errors become ProgressStoreUnavailable, raised outside the handler so that nothing of
        redis-py's exception (its connection holds the URL) rides along as cause or context."""
        clients = self._clients_of_loop()
        try:
            return await operation(clients.waits if blocking else clients.commands)
        except (RedisError, OSError, asyncio.TimeoutError) as exc:
            failure = ProgressStoreUnavailable(
                f"The payment progress store at {self.where} is unavailable ({_failure_of(exc)})."
            )
        raise failure

    def _clients_of_loop(self) -> _Clients:
        # A connection belongs to the loop that opened it: another loop gets its own clients.
        loop = asyncio.get_running_loop()
        if self._clients is None or self._clients.loop is not loop:
            commands = redis.asyncio.BlockingConnectionPool.from_url(
                self._url,
                max_connections=_COMMAND_CONNECTIONS,
                timeout=_COMMAND_TIMEOUT,
                socket_timeout=_COMMAND_TIMEOUT,
                socket_connect_timeout=_CONNECT_TIMEOUT,
                retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), _RETRIES),
            )
            waits = redis.asyncio.ConnectionPool.from_url(
                self._url,
                max_connections=self.max_waits,
                socket_timeout=_LONGEST_BLOCK + _BLOCK_MARGIN,
                socket_connect_timeout=_CONNECT_TIMEOUT,
            )
            self._clients = _Clients(
                loop, redis.asyncio.Redis.from_pool(commands), redis.asyncio.Redis.from_pool(waits)
            )
        return self._clients


@dataclass(frozen=True)
class _Clients:
    """The clients of one event loop: commands, and the blocking reads of waits."""

    loop: asyncio.AbstractEventLoop
    commands: redis.asyncio.Redis
    waits: redis.asyncio.Redis


async def _read_after(
    streams: dict[str, bytes], count: int, block_ms: int, client: redis.asyncio.Redis
) -> Any:
    return await client.xread(streams, count=count, block=block_ms)  # type: ignore[arg-type]


def _folded(state: ResourceState | None, sid: str, entries: Entries) -> ResourceState | None:
    for _id, data in entries:
        event = _event_of(sid, data.get(_FIELD), data.get(_KIND, PAY.encode()))
        if event is not None:
            state = fold(state, event, (state.version if state is not None else 0) + 1)
    return state


def _event_of(sid: str, payload: bytes | None, kind: bytes) -> CallbackEvent | None:
    """The event an entry holds, its fields checked again as a callback's are: the stream may
    have been written by another program. An entry without a kind is a Pay session's, as
    entries were written before messages and calls joined."""
    try:
        fields = json.loads(payload) if payload is not None else None
        kind_name = kind.decode()
    except ValueError:
        return None
    if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
        return None
    if kind_name not in KINDS:
        return None
    event = event_of(kind_name, fields)
    return event if isinstance(event, CallbackEvent) and event.sid == sid else None


def _failure_of(exc: BaseException) -> str:
    if isinstance(exc, (asyncio.TimeoutError, redis.exceptions.TimeoutError)):
        return "no answer in time"
    if isinstance(exc, (OSError, redis.exceptions.ConnectionError)):
        return "cannot connect"
    # Redis's own error line, e.g. "OOM command not allowed", "NOAUTH": its first word only.
    word = str(exc).split(" ", 1)[0]
    return f"{type(exc).__name__} {word}".strip() if word.isupper() else type(exc).__name__


def _host_of(host: str | None, port: int | None) -> str:
    shown = f"[{host}]" if host and ":" in host else host or ""
    return f"{shown}:{port}" if port else shown
