"""The tools of an agent, by name: naming, lookup with suggestions, listing and ranked search.

A tool's name is service-qualified (``api_v2010__updatePayments``): unique across Twilio's files,
where 136 operationIds repeat, and stable, as it depends only on the service and the operation.
The short name (``updatePayments``) finds the tool too while only one service has it.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Iterable

from .errors import AmbiguousToolName, ToolNotFound
from .spec import OperationSpec
from .tool import Tool

__all__ = ["MAX_TOOL_NAME", "ToolIndex", "ToolSearch", "qualified_name"]

MAX_TOOL_NAME = 64
_SEPARATOR = "__"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
# camelCase and acronyms: "IncomingPhoneNumber" -> incoming phone number, "SIPDomain" -> sip domain
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
# Where a query word is found, and how much that says about the tool.
_NAME_WEIGHT, _TAG_WEIGHT, _TEXT_WEIGHT = 3.0, 2.0, 1.0


def qualified_name(spec: OperationSpec) -> str:
    """``{service}__{name}`` within 64 characters of ``[A-Za-z0-9_-]``.

    A longer one keeps its start and ends with a hash of the whole, so it stays unique and stable.
    """
    name = _UNSAFE.sub("_", f"{spec.service}{_SEPARATOR}{spec.name}" if spec.service else spec.name)
    if len(name) <= MAX_TOOL_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_TOOL_NAME - len(digest) - 1]}_{digest}"


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

    def search(self, query: str, limit: int = 10) -> list[Tool]:
        if self._search is None:
            self._search = ToolSearch(self._tools.values())
        return self._search.search(query, limit)


class ToolSearch:
    """Tools ranked for a query: most query words matched first, then by weight.

    A word weighs more in the name than in the tags, more in tags than in the description, and
    more the rarer it is among all tools (so "list" counts less than "payment"). Built once per
    set of tools: word -> {tool position: best weight}; tools of two APIs may share a name.
    """

    def __init__(self, tools: Iterable[Tool]) -> None:
        self._tools = list(tools)
        self._postings: defaultdict[str, dict[int, float]] = defaultdict(dict)
        for position, tool in enumerate(self._tools):
            fields = (
                (tool.spec.name, _NAME_WEIGHT),
                (" ".join(tool.tags), _TAG_WEIGHT),
                (tool.description, _TEXT_WEIGHT),
            )
            for text, weight in fields:
                for word in _words(text):
                    posting = self._postings[word]
                    posting[position] = max(weight, posting.get(position, 0.0))

    def search(self, query: str, limit: int) -> list[Tool]:
        total = len(self._tools)
        matched: defaultdict[int, int] = defaultdict(int)
        weight: defaultdict[int, float] = defaultdict(float)
        for word in _words(query):
            posting = self._postings.get(word, {})
            rarity = math.log(1 + total / len(posting)) if posting else 0.0
            for position, field_weight in posting.items():
                matched[position] += 1
                weight[position] += field_weight * rarity

        def rank(position: int) -> tuple[int, float, int, str, str]:
            tool = self._tools[position]
            return (-matched[position], -weight[position], len(tool.name), tool.name, tool.api)

        return [self._tools[p] for p in sorted(matched, key=rank)[:limit]]


def _words(text: str) -> set[str]:
    """Lower-case words, camelCase and snake_case split, a trailing plural s dropped."""
    return {w.lower().removesuffix("s") or w.lower() for w in _WORD.findall(text)}
