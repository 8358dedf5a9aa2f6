"""The memory Python keeps across rounds of work, read by tracemalloc."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Awaitable, Callable


async def growth_between(*rounds: Callable[[], Awaitable[object]]) -> int:
    """The bytes Python still holds after the last of ``rounds`` beyond those after the first
    (run a round before, so that pools and caches are full)."""
    tracemalloc.start()
    try:
        kept = []
        for one_round in rounds:
            await one_round()
            gc.collect()
            kept.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    return kept[-1] - kept[0]
