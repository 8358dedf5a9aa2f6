"""The tools of an agent, by name: lookup with suggestions, listing and ranked search."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from .errors import ToolNotFound
from .tool import Tool

__all__ = ["ToolIndex"]

_WORD = re.compile(r"[A-Za-z][a-z]*|[0-9]+")


class ToolIndex:
    def __init__(self) -> None:
        self._tools: dict[str, Tool] = {}

    def add(self, tools: Iterable[Tool]) -> None:
        for tool in tools:
            self._tools[tool.name] = tool

    def remove_api(self, api: str) -> None:
        self._tools = {n: t for n, t in self._tools.items() if t.api != api}

    def get(self, name: str) -> Tool:
        try:
            return self._tools[name]
        except KeyError:
            close = difflib.get_close_matches(name, self._tools, n=3, cutoff=0.6)
            raise ToolNotFound(name, close) from None

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def tools(self, api: str | None = None) -> list[Tool]:
        return [t for t in self._tools.values() if api is None or t.api == api]

    def search(self, query: str, limit: int = 10) -> list[Tool]:
        """Tools ranked by how many query words they match: name first, then tags, description."""
        words = _words(query)
        if not words:
            return []
        scored = []
        for tool in self._tools.values():
            name, tags, text = (
                _words(tool.name),
                _words(" ".join(tool.tags)),
                _words(tool.description),
            )
            score = sum(3 * (w in name) + 2 * (w in tags) + (w in text) for w in words)
            if score:
                scored.append((-score, tool.name, tool))
        return [tool for _, _, tool in sorted(scored)[:limit]]


def _words(text: str) -> set[str]:
    """Lower-case words, with camelCase and snake_case split, and a trailing plural s dropped."""
    return {w.lower().removesuffix("s") or w.lower() for w in _WORD.findall(text)}
