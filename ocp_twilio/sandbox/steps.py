"""How fast texts and calls move, and the background tasks that move them.

Each text or call lives through its statuses in one task of its own, so a test or a demo sees
Twilio's sequence within tens of milliseconds. A task ends with its resource: deleted, evicted,
updated to an end, or the sandbox closing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

__all__ = ["Steps", "Timing"]


@dataclass(frozen=True)
class Timing:
    """Seconds: ``step`` between two statuses of a text or a call; ``reply`` from a delivered
    text to a scripted person's reply; ``call_length`` an answered call lasts before the
    person hangs up (``updateCall`` with ``Status=completed`` ends it sooner)."""

    step: float = 0.02
    reply: float = 0.02
    call_length: float = 60.0

    def __post_init__(self) -> None:
        for name in ("step", "reply", "call_length"):
            if not 0 <= getattr(self, name) <= 3_600:
                raise ValueError(f"Timing.{name} must be between 0 and 3600 seconds.")


class Steps:
    """At most one lifecycle task per resource sid."""

    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def __len__(self) -> int:
        return len(self._tasks)

    def start(self, sid: str, lifecycle: Coroutine[Any, Any, None]) -> None:
        self.cancel(sid)
        task = asyncio.get_running_loop().create_task(lifecycle)
        self._tasks[sid] = task
        task.add_done_callback(lambda done: self._done(sid, done))

    def cancel(self, sid: str) -> None:
        task = self._tasks.pop(sid, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def aclose(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _done(self, sid: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(sid) is task:
            del self._tasks[sid]
