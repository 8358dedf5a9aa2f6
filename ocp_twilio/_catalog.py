"""The tools of the registered APIs, by name: lookup (qualified and short names, one API's or
every API's), listing, search, the compact tools, and what each framework was last offered.

Each tool is held with the runner that answers it (see ``_running``); the compact tools are
answered here, by :class:`CompactRunner`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ._exceptions import (
    AmbiguousToolName,
    APINotFound,
    ArgumentError,
    InvalidArguments,
    ToolNotFound,
)
from ._running import Call, Runner
from .tools.browse import beside_paths, browsed
from .tools.compact import (
    BROWSE_TOOL,
    CALL_TOOL,
    COMPACT_NAMES,
    DEFAULT_FOUND,
    DESCRIBE_TOOL,
    FIND_TOOL,
    compact_tools,
    described,
    found,
)
from .tools.index import ToolIndex, ToolSearch
from .tools.offer import Offer
from .tools.queries import check_query
from .tools.selection import select_tools
from .tools.tool import Tool

if TYPE_CHECKING:
    from ._caller import ToolCaller

__all__ = ["CompactRunner", "ToolCatalog"]

_NOTHING_OFFERED = Offer()
_NOTHING_FOUND: Mapping[str, tuple[Tool, Runner]] = MappingProxyType({})


class ToolCatalog:
    """The registered tools by name, each with its runner."""

    def __init__(self, caller: ToolCaller) -> None:
        self._indexes: dict[str, ToolIndex] = {}
        self._runners: dict[str, Mapping[str, Runner]] = {}
        self._search: ToolSearch | None = None
        # What each name found, by the api= it was asked with (None: every API's): asked again
        # on every call. Emptied by install, the only change to the tools.
        self._found: dict[str | None, dict[str, tuple[Tool, Runner]]] = {}
        # findTwilioTool, describeTwilioTool and callTwilioTool, by the API they reach (None: all).
        self._compact: dict[str | None, dict[str, tuple[Tool, Runner]]] = {}
        # callTwilioTool's way back into call_tool.
        self._caller = caller
        # The last list tools_for gave each framework: what a model's calls may run.
        self._offers: dict[str, Offer] = {}

    def install(
        self, api: str, tools: Sequence[Tool], runners: Mapping[str, Runner] | None = None
    ) -> None:
        """Make ``tools`` the tools of ``api``, run by ``runners`` (by tool name; None: those of
        the API's last install, for the same tools made again)."""
        self._found.clear()
        self._indexes[api] = ToolIndex(tools)
        if runners is not None:
            self._runners[api] = runners
        self._search = None

    def lookup(self, name: str, api: str | None = None) -> tuple[Tool, Runner]:
        """The tool called ``name`` (of ``api``, where given) and its runner."""
        pair = self._found.get(api, _NOTHING_FOUND).get(name)
        if pair is None:
            pair = self._find(name, api)
            self._found.setdefault(api, {})[name] = pair  # only names that name a tool
        return pair

    def tools(self, api: str | None = None) -> list[Tool]:
        if api is not None:
            return self._index(api).tools()
        return [tool for index in self._indexes.values() for tool in index.tools()]

    def compact(self, api: str | None = None) -> list[Tool]:
        return [tool for tool, _ in self._compact_of(api).values()]

    def search(
        self,
        query: str,
        limit: int = 10,
        *,
        api: str | None = None,
        asked_by: str = "search_tools",
        keep: Callable[[Tool], bool] | None = None,
    ) -> list[Tool]:
        """Tools ranked for ``query`` (those ``keep`` keeps); a query that cannot be searched is
        refused, for ``asked_by``, before anything is ranked."""
        query = check_query(query, asked_by)
        if api is not None:
            return self._index(api).search(query, limit, keep)
        if self._search is None:
            self._search = ToolSearch(self.tools())
        return self._search.search(query, limit, keep)

    def offer(
        self,
        api: str | None,
        services: Iterable[str] = (),
        tags: Iterable[str] = (),
        names: Iterable[str] = (),
        *,
        compact: bool = False,
    ) -> Offer:
        """The tools of ``api`` (or all) that ``services``, ``tags`` and ``names`` choose; with
        ``compact``, the compact tools and only the tools they choose beside them."""
        services, tags, names = tuple(services), tuple(tags), tuple(names)
        beside = not compact or bool(services or tags or names)
        chosen = (
            select_tools(self.tools(api), services=services, tags=tags, names=names)
            if beside
            else []
        )
        return Offer([*self.compact(api), *chosen] if compact else chosen)

    def remember_offer(self, framework: str, offer: Offer) -> None:
        self._offers[framework] = offer

    def offer_for(self, framework: str) -> Offer:
        return self._offers.get(framework, _NOTHING_OFFERED)

    def _find(self, name: str, api: str | None) -> tuple[Tool, Runner]:
        if name in COMPACT_NAMES:
            return self._compact_of(api or None)[name]  # a compact tool of every API has api ""
        if api is not None:
            tool = self._index(api).get(name)
            return tool, self._runners[api][tool.name]
        owners = [a for a, index in self._indexes.items() if name in index]
        if len(owners) > 1:
            raise AmbiguousToolName(name, [f"{name} with api={a!r}" for a in owners])
        if not owners:
            known = [n for index in self._indexes.values() for n in index.names()]
            raise ToolNotFound(name, difflib.get_close_matches(name, known, n=3, cutoff=0.6))
        tool = self._indexes[owners[0]].get(name)
        return tool, self._runners[owners[0]][tool.name]

    def _compact_of(self, api: str | None) -> dict[str, tuple[Tool, Runner]]:
        if api is not None:
            self._index(api)  # an unknown API fails here, with close names
        pairs = self._compact.get(api)
        if pairs is None:
            runner = CompactRunner(self, api, self._caller)
            pairs = self._compact[api] = {t.name: (t, runner) for t in compact_tools(api)}
        return pairs

    def _index(self, api: str) -> ToolIndex:
        index = self._indexes.get(api)  # one lookup: this runs on every call_tool
        if index is None:
            raise APINotFound(api, difflib.get_close_matches(api, self._indexes))
        return index


class CompactRunner:
    """findTwilioTool, describeTwilioTool and callTwilioTool of ``scope`` (one registered API, or
    None: all). Their own calls are not the context's history; the call callTwilioTool makes is."""

    def __init__(self, catalog: ToolCatalog, scope: str | None, caller: ToolCaller) -> None:
        self.recorded = False
        self._catalog = catalog
        self._scope = scope
        self._caller = caller

    def render(self, tool: Tool, arguments: Mapping[str, Any]) -> Mapping[str, Any] | None:
        return None

    def delegate(
        self, tool: Tool, arguments: Mapping[str, Any]
    ) -> tuple[Tool, Runner, Mapping[str, Any]] | None:
        """callTwilioTool's call: the tool it names, that tool's runner and its arguments."""
        if tool.name != CALL_TOOL or not isinstance(arguments, Mapping):
            return None
        name, inner = arguments.get("name"), arguments.get("arguments", {})
        if not isinstance(name, str) or name in COMPACT_NAMES or not isinstance(inner, Mapping):
            return None
        try:
            target, runner = self._catalog.lookup(name, self._scope)
        except ToolNotFound:
            return None
        return target, runner, inner

    async def run(self, tool: Tool, arguments: Mapping[str, Any], call: Call) -> Any:
        tool.validate(arguments)
        if tool.name == FIND_TOOL:
            limit = arguments.get("limit", DEFAULT_FOUND)
            query = arguments["query"]
            # A model is not shown what the operator's policy never lets it call.
            hits = self._catalog.search(
                query, limit, api=self._scope, asked_by=FIND_TOOL, keep=self._caller.offers
            )
            return found(hits, beside_paths(hits))
        if tool.name == BROWSE_TOOL:
            return browsed(self._caller.model_tools(self._scope), arguments.get("path", ""))
        name = arguments["name"]
        if name in COMPACT_NAMES:
            problem = f"names {name} itself; give a tool name that {FIND_TOOL} found"
            raise InvalidArguments(tool.name, [ArgumentError(("name",), problem)])
        try:
            target, _ = self._catalog.lookup(name, self._scope)
        except AmbiguousToolName:
            raise
        except ToolNotFound as exc:
            raise ToolNotFound(
                name,
                exc.suggestions,
                f"{exc} Find the tool's name with {FIND_TOOL} (the task in a few words), then "
                f"{DESCRIBE_TOOL} it.",
            ) from None
        if tool.name == DESCRIBE_TOOL:
            return described(target)
        # call_tool again, so that the named tool meets the same checks as any call.
        return await self._caller.call_tool(
            target.name,
            arguments.get("arguments", {}),
            api=target.api,
            timeout=call.timeout,
            tool_call_id=call.tool_call_id,
            approver=call.approver,
        )
