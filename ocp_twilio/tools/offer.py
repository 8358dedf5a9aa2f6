"""The tools handed to a model: the only ones its calls may run.

A model is not trusted to stay within its tool list: it may name any tool it has heard of. The
result helpers and adapters resolve the name it gives among the tools it was offered, never among
every registered tool, so a model offered only the read-only progress tools cannot update or
create a payment. The compact tools resolve only where they were offered; callTwilioTool then
reaches every tool of its scope (one API, or every registered one), as compact mode promises.
Application code calling ``OCPAgent.call_tool`` itself is trusted and bound by no offer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from .._exceptions import AmbiguousToolName, ConfigurationError, ToolNotFound, ToolNotOffered
from .index import ToolIndex
from .tool import Tool

__all__ = ["Offer"]


class Offer:
    """A model's tool list, by the names it was given (a short name too, where it is unique)."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self.tools = tuple(tools)
        # A model cannot tell apart two tools of one name, nor could the offer.
        counts = Counter(tool.name for tool in self.tools)
        shared = sorted(name for name, count in counts.items() if count > 1)
        if shared:
            apis = sorted({tool.api for tool in self.tools if tool.name in shared})
            raise ConfigurationError(
                f"APIs {apis} share tool names ({', '.join(shared[:3])}...): offer the tools of "
                "one of them (tools_for's api=)."
            )
        self._index = ToolIndex(self.tools)

    def __iter__(self) -> Iterator[Tool]:  # an Offer may be passed as offered=, not made again
        return iter(self.tools)

    def resolve(self, name: str, api: str | None = None) -> Tool:
        """The offered tool ``name`` names (of ``api``, where given); else ToolNotOffered, which
        lists the offered tools."""
        try:
            tool = self._index.get(name)
        except AmbiguousToolName:
            raise  # among the offered tools: it lists them
        except ToolNotFound as exc:
            raise ToolNotOffered(name, self._names(api), exc.suggestions) from None
        if api is not None and tool.api != api:
            raise ToolNotOffered(name, self._names(api))
        return tool

    def _names(self, api: str | None) -> list[str]:
        return [tool.name for tool in self.tools if api is None or tool.api == api]
