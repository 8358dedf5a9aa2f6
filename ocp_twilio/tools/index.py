"""The tools of an agent, by name: naming, lookup with suggestions, listing and ranked search.

A tool's name is service-qualified (``api_v2010__updatePayments``): unique across Twilio's files,
where 136 operationIds repeat, and stable, as it depends only on the service and the operation.
The short name (``updatePayments``) finds the tool too while only one service has it.
"""

from __future__ import annotations

import difflib
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable

from .._exceptions import AmbiguousToolName, ToolNotFound
from ..specs.model import OperationSpec
from ..specs.names import MAX_NAME, safe_tool_name
from .search import ToolSearch
from .tool import Tool

__all__ = ["ToolIndex", "ToolSearch", "qualified_name"]

_SEPARATOR = "__"


def qualified_name(spec: OperationSpec) -> str:
    """``{service}__{name}`` as a name :data:`~ocp_twilio.specs.names.TOOL_NAME` accepts.

    A longer one keeps its start and ends with a hash of the whole, so it stays unique and stable.
    """
    name = safe_tool_name(f"{spec.service}{_SEPARATOR}{spec.name}" if spec.service else spec.name)
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_NAME - len(digest) - 1]}_{digest}"


class ToolIndex:
    """The tools of one API: lookup by qualified or short name, and ranked search."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools = {tool.name: tool for tool in tools}
        short: defaultdict[str, list[str]] = defaultdict(list)
        for name, tool in self._tools.items():
            if tool.spec.name != name:
                short[tool.spec.name].append(name)
        self._by_short_name = dict(short)
        self._search: ToolSearch | None = None

    def get(self, name: str) -> Tool:
        """By qualified name, or by short name where exactly one tool has it."""
        tool = self._tools.get(name)
        if tool is not None:
            return tool
        owners = self._by_short_name.get(name, [])
        if len(owners) == 1:
            return self._tools[owners[0]]
        if owners:
            raise AmbiguousToolName(name, sorted(owners))
        known = [*self._tools, *self._by_short_name]
        raise ToolNotFound(name, difflib.get_close_matches(name, known, n=3, cutoff=0.6))

    def __contains__(self, name: object) -> bool:
        """True for a qualified name, and for a short name one or more tools have."""
        return name in self._tools or name in self._by_short_name

    def names(self) -> list[str]:
        """Every name the index answers to: qualified and short."""
        return [*self._tools, *self._by_short_name]

    def tools(self) -> list[Tool]:
        return list(self._tools.values())

    def search(
        self, query: str, limit: int = 10, keep: Callable[[Tool], bool] | None = None
    ) -> list[Tool]:
        if self._search is None:
            self._search = ToolSearch(self._tools.values())
        return self._search.search(query, limit, keep)
