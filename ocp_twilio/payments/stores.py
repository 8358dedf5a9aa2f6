"""Where the callbacks' resources live: a small protocol, and the in-memory store of one process.

A resource is a Pay session, a message, a call or a conversation of inbound messages (see
kinds.py); its state is its events folded (:func:`~.kinds.fold`). The protocol has three
operations, so that a shared store fits it (RedisProgressStore, in redis_store.py, for a fleet
of workers): ``append`` an event (dropping a duplicate), ``progress`` (read the folded state),
and ``wait`` for a version newer than one already seen.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from .._exceptions import ConfigurationError
from .._extras import needs_extra
from .conversations import REPLY
from .kinds import ResourceState, fold
from .progress import CallbackEvent
from .store_limits import (
    DEFAULT_MAX_CONVERSATIONS,
    DEFAULT_MAX_EVENTS,
    DEFAULT_MAX_SESSIONS,
    DEFAULT_SESSION_TTL,
)

__all__ = ["MemoryProgressStore", "ProgressStore", "redis_progress_store"]


@runtime_checkable
class ProgressStore(Protocol):
    async def append(self, event: CallbackEvent) -> bool:
        """Fold ``event`` into its resource; False for a duplicate or an event over the cap."""

    async def progress(self, sid: str) -> ResourceState | None:
        """The resource's state, or None when no callback for it is kept."""

    async def wait(self, sid: str, after_version: int, timeout: float) -> ResourceState | None:
        """The state once its version passes ``after_version``, or as it is after ``timeout``."""


@dataclass
class _Session:
    state: ResourceState
    touched: float
    digests: set[bytes] = field(default_factory=set)


class MemoryProgressStore:
    """The resources of this process's callbacks, bounded: ``max_events`` callbacks per
    resource (more are ignored), ``max_sessions`` resources of every kind together, of which
    at most ``max_conversations`` are reply conversations (the least recently updated goes
    first), each kept ``ttl`` seconds after its last callback."""

    def __init__(
        self,
        *,
        max_events: int = DEFAULT_MAX_EVENTS,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        max_conversations: int = DEFAULT_MAX_CONVERSATIONS,
        ttl: float = DEFAULT_SESSION_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if min(max_events, max_sessions, max_conversations) < 1 or not ttl > 0:
            raise ConfigurationError(
                "max_events, max_sessions and max_conversations must be at least 1, and ttl a "
                "positive number of seconds."
            )
        self.max_events = max_events
        self.max_sessions = max_sessions
        self.max_conversations = max_conversations
        # The reply conversations among the sessions, the least recently updated first.
        self._conversations: OrderedDict[str, None] = OrderedDict()
        self.ttl = ttl
        self._clock = clock
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        # The waits of each session, resolved by its next stored event: a callback wakes only
        # the waits for its own session, not every wait of the process.
        self._waiters: dict[str, set[asyncio.Future[None]]] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    async def append(self, event: CallbackEvent) -> bool:
        self._expire()
        session = self._sessions.get(event.sid)
        if session is None:
            session = _Session(fold(None, event, 1), self._clock(), {event.digest})
            self._sessions[event.sid] = session
            if event.kind == REPLY:
                self._conversations[event.sid] = None
                while len(self._conversations) > self.max_conversations:
                    del self._sessions[self._conversations.popitem(last=False)[0]]
            while len(self._sessions) > self.max_sessions:
                self._conversations.pop(self._sessions.popitem(last=False)[0], None)
        elif event.digest in session.digests or len(session.digests) >= self.max_events:
            return False
        else:
            session.digests.add(event.digest)
            session.state = fold(session.state, event, len(session.digests))
        session.touched = self._clock()
        self._sessions.move_to_end(event.sid)
        if event.sid in self._conversations:
            self._conversations.move_to_end(event.sid)
        for waiter in self._waiters.pop(event.sid, ()):
            if not waiter.done():
                waiter.set_result(None)
        return True

    async def progress(self, sid: str) -> ResourceState | None:
        self._expire()
        session = self._sessions.get(sid)
        return session.state if session is not None else None

    async def wait(self, sid: str, after_version: int, timeout: float) -> ResourceState | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            state = await self.progress(sid)
            remaining = deadline - loop.time()
            if (state is not None and state.version > after_version) or remaining <= 0:
                return state
            woken = loop.create_future()
            self._waiters.setdefault(sid, set()).add(woken)
            try:
                await asyncio.wait_for(woken, remaining)
            except asyncio.TimeoutError:
                return await self.progress(sid)
            finally:
                waiters = self._waiters.get(sid)
                if waiters is not None:
                    waiters.discard(woken)
                    if not waiters:
                        del self._waiters[sid]

    async def recent_sids(self, limit: int) -> list[str]:
        """The Sids of the sessions kept, the most recently updated first, at most ``limit``."""
        self._expire()
        return list(itertools.islice(reversed(self._sessions), limit))

    def _expire(self) -> None:
        oldest = self._clock() - self.ttl
        while self._sessions:
            sid, session = next(iter(self._sessions.items()))
            if session.touched > oldest:
                break
            del self._sessions[sid]
            self._conversations.pop(sid, None)


def redis_progress_store(url: str) -> ProgressStore:
    """The RedisProgressStore at ``url``; redis-py is imported only here, where it is asked for."""
    with needs_extra("redis", "A Redis URL (OCP_TWILIO_REDIS_URL or redis_url=)"):
        from .redis_store import RedisProgressStore
    return RedisProgressStore(url)
