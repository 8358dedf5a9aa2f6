"""The console's viewers: a bounded number of event streams, each bounded in backlog and time.

A viewer that does not read cannot be told from one that reads until the socket's buffers
fill, so two bounds free its slot: more than ``max_backlog`` messages waiting for it (it stopped
reading while the console was busy), or ``lifetime`` seconds since it joined (a quiet console).
Either drops the viewer and aborts its connection at once (closing would wait for the unread
bytes); its page reconnects by itself and starts again from a fresh snapshot.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

from .errors import SandboxError

__all__ = ["Viewer", "Viewers"]


class Viewer:
    __slots__ = ("_abort", "_expiry", "backlog", "dropped", "ready")

    def __init__(self, abort: Callable[[], None], lifetime: float) -> None:
        self.backlog: deque[dict[str, Any]] = deque()
        self.dropped = False
        self.ready = asyncio.Event()
        self._abort = abort
        self._expiry = asyncio.get_running_loop().call_later(lifetime, self.drop)

    def take(self) -> list[dict[str, Any]]:
        """The messages waiting, oldest first."""
        self.ready.clear()
        messages = list(self.backlog)
        self.backlog.clear()
        return messages

    def drop(self) -> None:
        if self.dropped:
            return
        self.dropped = True
        self._expiry.cancel()
        self.backlog.clear()
        self.ready.set()
        self._abort()

    def forget(self) -> None:
        self._expiry.cancel()


class Viewers:
    def __init__(self, max_viewers: int, max_backlog: int, lifetime: float) -> None:
        self.max_viewers, self.max_backlog, self.lifetime = max_viewers, max_backlog, lifetime
        self._viewers: set[Viewer] = set()

    def __len__(self) -> int:
        return len(self._viewers)

    def join(self, abort: Callable[[], None]) -> Viewer:
        """A new viewer; ``abort`` ends its connection at once when it is dropped."""
        if len(self._viewers) >= self.max_viewers:
            raise SandboxError(
                503,
                20503,
                f"The console already has its maximum of {self.max_viewers} viewers: close "
                f"one of its pages, wait (a page that stopped reading loses its place within "
                f"{self.lifetime:g} s), or start the sandbox with a larger max_viewers.",
            )
        viewer = Viewer(abort, self.lifetime)
        self._viewers.add(viewer)
        return viewer

    def leave(self, viewer: Viewer) -> None:
        viewer.forget()
        self._viewers.discard(viewer)

    def publish(self, message: dict[str, Any]) -> None:
        # A copy: an abort may end the stream, and with it call leave(), within the loop.
        for viewer in list(self._viewers):
            if viewer.dropped:
                continue
            if len(viewer.backlog) >= self.max_backlog:
                viewer.drop()
                continue
            viewer.backlog.append(message)
            viewer.ready.set()

    def drop_all(self) -> None:
        for viewer in list(self._viewers):
            viewer.drop()
