"""The console's viewers: a bounded number of event streams, each with a bounded backlog.

A viewer that falls behind by more than ``max_backlog`` messages is dropped rather than
buffered without end; its page reconnects and starts again from a fresh snapshot.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from .errors import SandboxError

__all__ = ["Viewer", "Viewers"]


class Viewer:
    __slots__ = ("backlog", "dropped", "ready")

    def __init__(self) -> None:
        self.backlog: deque[dict[str, Any]] = deque()
        self.dropped = False
        self.ready = asyncio.Event()

    def take(self) -> list[dict[str, Any]]:
        """The messages waiting, oldest first."""
        self.ready.clear()
        messages = list(self.backlog)
        self.backlog.clear()
        return messages

    def drop(self) -> None:
        self.dropped = True
        self.backlog.clear()
        self.ready.set()


class Viewers:
    def __init__(self, max_viewers: int, max_backlog: int) -> None:
        self.max_viewers, self.max_backlog = max_viewers, max_backlog
        self._viewers: set[Viewer] = set()

    def __len__(self) -> int:
        return len(self._viewers)

    def join(self) -> Viewer:
        if len(self._viewers) >= self.max_viewers:
            raise SandboxError(
                503,
                20503,
                f"The console already has its maximum of {self.max_viewers} viewers: close "
                "one of its pages, or start the sandbox with a larger max_viewers.",
            )
        viewer = Viewer()
        self._viewers.add(viewer)
        return viewer

    def leave(self, viewer: Viewer) -> None:
        self._viewers.discard(viewer)

    def publish(self, message: dict[str, Any]) -> None:
        for viewer in self._viewers:
            if viewer.dropped:
                continue
            if len(viewer.backlog) >= self.max_backlog:
                viewer.drop()
                continue
            viewer.backlog.append(message)
            viewer.ready.set()

    def drop_all(self) -> None:
        for viewer in self._viewers:
            viewer.drop()
