"""Choosing tools by service, tag and name: one rule for register_api, tools_for and the CLI."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from .._exceptions import ConfigurationError
from .tool import Tool

__all__ = ["select_tools"]


def select_tools(
    tools: Iterable[Tool],
    *,
    services: Iterable[str] | None = None,
    tags: Iterable[str] | None = None,
    names: Iterable[str] | None = None,
) -> list[Tool]:
    """The tools that pass every filter given; a filter passes when it names any of its values.

    Tags compare case-insensitively; a name is the qualified ``api_v2010__updatePayments`` or the
    short ``updatePayments``; each value may be a comma-separated list, as command-line options
    give them. A value that names nothing among ``tools`` is a ConfigurationError with close
    matches, so that a typo does not silently leave a model without tools.
    """
    candidates = list(tools)
    wanted_services = _wanted(services)
    wanted_tags = {t.lower() for t in _wanted(tags)}
    wanted_names = _wanted(names)
    _check_known("service", wanted_services, {t.spec.service for t in candidates})
    _check_known("tag", wanted_tags, {tag.lower() for t in candidates for tag in t.tags})
    _check_known("tool", wanted_names, {n for t in candidates for n in (t.name, t.spec.name)})
    return [
        tool
        for tool in candidates
        if (not wanted_services or tool.spec.service in wanted_services)
        and (not wanted_tags or not wanted_tags.isdisjoint(t.lower() for t in tool.tags))
        and (not wanted_names or not wanted_names.isdisjoint((tool.name, tool.spec.name)))
    ]


def _wanted(values: Iterable[str] | None) -> set[str]:
    return {part.strip() for value in values or () for part in value.split(",") if part.strip()}


def _check_known(kind: str, asked: set[str], known: set[str]) -> None:
    for value in sorted(asked - known):
        close = difflib.get_close_matches(value, known, n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ConfigurationError(f"No {kind} named {value!r} among the tools.{hint}")
