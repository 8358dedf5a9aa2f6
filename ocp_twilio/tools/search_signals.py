"""What a request carries besides words: Twilio SIDs, phone numbers, email addresses and dates.

They are arguments, not search words: they are taken out of the words the ranker reads. A SID
names its resource by its two-letter prefix (CA a call, SM a message, PK a payment), and the
tools that take or return that resource are known from the spec's own patterns: a parameter's
``pattern`` (``^CA[0-9a-fA-F]{32}$``) and the ``sid`` of the answer's schema. A phone number
finds the tools that act on a number (a path parameter ``PhoneNumber``: Lookup) and, after them,
those with an argument of format ``phone-number``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .tool import Tool

__all__ = ["SignalIndex", "Signals"]

_SID = re.compile(r"\b([A-Z]{2})[0-9a-fA-F]{32}\b")
_PATTERN_SID = re.compile(r"\^(?:\(\?:)?([A-Z]{2})\[0-9a-fA-F\]\{32\}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w+])\+?\d[\d ().-]{5,18}\d(?!\w)")
_DATE = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+Z?)?\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{1,2}:\d{2}\b"
)
# How much a tool is worth to a SID's request: it takes the SID as the resource it acts on
# (a path parameter), takes it otherwise, or returns it.
_TAKES_IN_PATH, _TAKES, _RETURNS = 1.0, 0.6, 0.4
_PHONE_FORMAT = "phone-number"


@dataclass(frozen=True, slots=True)
class Signals:
    """A request's words without its arguments, and the tools its arguments point to."""

    text: str
    tools: Mapping[int, float]


class SignalIndex:
    """SID prefixes and phone-number arguments, to the positions of the tools that take them."""

    def __init__(self, tools: Iterable[Tool]) -> None:
        by_prefix: defaultdict[str, dict[int, float]] = defaultdict(dict)
        self._phone: dict[int, float] = {}
        for position, tool in enumerate(tools):
            for parameter in tool.spec.parameters:
                found = _PATTERN_SID.match(str(parameter.schema.get("pattern", "")))
                if found:
                    weight = _TAKES_IN_PATH if parameter.location == "path" else _TAKES
                    _keep(by_prefix[found.group(1)], position, weight)
                if parameter.location == "path" and parameter.name.endswith("PhoneNumber"):
                    self._phone[position] = _TAKES_IN_PATH  # the number is what it acts on
                elif parameter.schema.get("format") == _PHONE_FORMAT:
                    _keep(self._phone, position, _TAKES)
            response = tool.spec.response
            for prefix in _returned(response.schema if response else None):
                _keep(by_prefix[prefix], position, _RETURNS)
        self._by_prefix = dict(by_prefix)

    def read(self, query: str) -> Signals:
        """The query's words without SIDs, emails, dates and phone numbers; their tools."""
        tools: dict[int, float] = {}
        for found in _SID.finditer(query):
            for position, weight in self._by_prefix.get(found.group(1), {}).items():
                _keep(tools, position, weight)
        text = _SID.sub(" ", query)
        text = _EMAIL.sub(" ", text)
        text = _DATE.sub(" ", text)
        if _PHONE.search(text):
            for position, weight in self._phone.items():
                _keep(tools, position, weight)
            text = _PHONE.sub(" ", text)
        return Signals(text, tools)


def _keep(weights: dict[int, float], position: int, weight: float) -> None:
    if weights.get(position, 0.0) < weight:
        weights[position] = weight


def _returned(schema: Mapping[str, Any] | None) -> set[str]:
    """The SID prefixes of the resources an answer holds: its own ``sid``, or its list's."""
    if not schema:
        return set()
    definitions = schema.get("$defs", {})

    def resolved(node: Any) -> Any:
        if isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            return definitions.get(node["$ref"].rsplit("/", 1)[-1], {})
        return node

    root = resolved(schema)
    nodes = [root]
    if isinstance(root, Mapping):
        for value in root.get("properties", {}).values():
            if isinstance(value, Mapping) and value.get("type") in ("array", ["array", "null"]):
                nodes.append(resolved(value.get("items")))
    prefixes = set()
    for node in nodes:
        sid = node.get("properties", {}).get("sid") if isinstance(node, Mapping) else None
        found = (
            _PATTERN_SID.match(str(sid.get("pattern", ""))) if isinstance(sid, Mapping) else None
        )
        if found:
            prefixes.add(found.group(1))
    return prefixes
