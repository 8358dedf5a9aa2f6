"""Making room in a bounded store of texts or calls: the oldest that is over goes."""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol, TypeVar

from .errors import SandboxError

__all__ = ["make_room"]


class _Ending(Protocol):
    @property
    def final(self) -> bool: ...


T = TypeVar("T", bound=_Ending)


def make_room(items: OrderedDict[str, T], limit: int, refusal: str) -> str | None:
    """The sid of the oldest final item, dropped when ``items`` is at ``limit`` (None: there
    was room); none final: 429 with ``refusal``, which says what to do."""
    if len(items) < limit:
        return None
    sid = next((sid for sid, item in items.items() if item.final), None)
    if sid is None:
        raise SandboxError(429, 20429, refusal)
    del items[sid]
    return sid
