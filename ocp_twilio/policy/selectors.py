"""Which tools a policy rule speaks of: by name, service, tag, API or effect.

``createMessage`` or ``tool:create*`` (a glob over the short and the qualified name),
``service:api_v2010``, ``tag:pay``, ``api:twilio`` and ``effect:spends-money``. An effect is of
the call, not only of the tool: ``effect:spends-money`` matches updatePayments when it
completes a charge, and not when it captures a card number.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ..specs.effects import EFFECTS
from ..tools.tool import Tool

__all__ = ["Selector"]

Kind = Literal["tool", "service", "tag", "api", "effect"]
_KINDS: tuple[Kind, ...] = ("tool", "service", "tag", "api", "effect")
_GLOB = re.compile(r"[A-Za-z0-9_*?\[\]!.-]+")


@dataclass(frozen=True)
class Selector:
    """One rule's choice of tools, parsed from its text (see the module)."""

    kind: Kind
    value: str
    text: str

    @classmethod
    def parse(cls, text: object) -> Selector:
        """The selector ``text`` writes; ValueError saying how to write one."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{text!r} is no selector: write a tool name, or effect:delete.")
        kind, sep, value = text.strip().partition(":")
        if not sep:
            kind, value = "tool", kind
        if kind not in _KINDS:
            close = difflib.get_close_matches(kind, _KINDS, n=1)
            fix = f"did you mean {close[0]}:?" if close else "use " + ", ".join(_KINDS)
            raise ValueError(f"{text!r}: no selector kind {kind!r}: {fix}.")
        value = value.strip()
        if not _GLOB.fullmatch(value):
            raise ValueError(f"{text!r}: the value after {kind}: is empty or has stray characters.")
        if kind == "effect" and value not in EFFECTS:
            close = difflib.get_close_matches(value, EFFECTS, n=1)
            fix = f"did you mean effect:{close[0]}?" if close else "effects: " + ", ".join(EFFECTS)
            raise ValueError(f"{text!r}: no effect {value!r}: {fix}.")
        return cls(kind, value, text.strip())

    @property
    def of_effect(self) -> bool:
        """True where the match depends on the call's arguments (its effects)."""
        return self.kind == "effect"

    def matches(self, tool: Tool, effects: frozenset[str]) -> bool:
        """Whether this selects ``tool``, whose call has ``effects``."""
        return _MATCHERS[self.kind](self, tool, effects)

    def could_match(self, tool: Tool) -> bool:
        """Whether some call of ``tool`` may match (an effect it may have by its arguments)."""
        if self.kind == "effect":
            return self.value in tool.effects or self.value in tool.possible_effects
        return self.matches(tool, tool.effects)


def _tool(selector: Selector, tool: Tool, effects: frozenset[str]) -> bool:
    pattern = selector.value
    names = (tool.name, tool.spec.name, f"{tool.spec.service}__{tool.spec.name}")
    return any(fnmatch.fnmatchcase(name, pattern) for name in names)


def _service(selector: Selector, tool: Tool, effects: frozenset[str]) -> bool:
    return fnmatch.fnmatchcase(tool.spec.service, selector.value)


def _tag(selector: Selector, tool: Tool, effects: frozenset[str]) -> bool:
    wanted = selector.value.lower()
    return any(fnmatch.fnmatchcase(tag.lower(), wanted) for tag in tool.tags)


def _api(selector: Selector, tool: Tool, effects: frozenset[str]) -> bool:
    return fnmatch.fnmatchcase(tool.api, selector.value)


def _effect(selector: Selector, tool: Tool, effects: frozenset[str]) -> bool:
    return selector.value in effects


_MATCHERS: dict[str, Callable[[Selector, Tool, frozenset[str]], bool]] = {
    "tool": _tool,
    "service": _service,
    "tag": _tag,
    "api": _api,
    "effect": _effect,
}
