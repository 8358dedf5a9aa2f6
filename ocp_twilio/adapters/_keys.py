"""Property keys a model's framework refuses, offered under safe aliases and turned back on call.

Twilio's Content API takes JSON keys such as ``twilio/text``, which Anthropic's rule for property
keys refuses, and Anthropic refuses the whole tool list for one such key. The schema a model sees
names each such key by an alias (``twilio_text``); ``real_keys`` turns the model's arguments
back into the API's keys before the tool validates and sends them.

An alias is the key made safe (``specs/names.py``: every other character than ``A-Za-z0-9_.-``
made ``_``, cut to 64 characters), and numbered (``_2``, ``_3``...) where it would be the name
of another key of the same object. A place in a schema is an object with its
``anyOf``/``oneOf``/``allOf`` branches, which share their aliases; properties, ``items`` and
``additionalProperties`` are followed to any depth.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from ..specs.names import ARGUMENT_KEY, MAX_NAME, safe_key
from ..tools.tool import Tool

__all__ = ["real_keys", "safe_input_schema"]

_BRANCHES = ("anyOf", "oneOf", "allOf")


def safe_input_schema(tool: Tool) -> dict[str, Any]:
    """The tool's input schema with every key that breaks ARGUMENT_KEY named by its alias."""
    return _safe(tool)[0]


def real_keys(tool: Tool, arguments: Any) -> Any:
    """``arguments`` given by the safe schema, with the API's keys in place of the aliases.

    Other keys are kept as they are, unknown ones too: validation is left to report them.
    """
    keys = _safe(tool)[1]
    return arguments if keys is None else keys.restore(arguments)


@dataclass(frozen=True)
class _Keys:
    """The aliases at one place of a schema, and those of the places below it."""

    alias: Mapping[str, str]  # real key -> alias
    real: Mapping[str, str]  # alias -> real key
    properties: frozenset[str]  # every real property key here
    below: Mapping[str, _Keys]  # real key -> its value's, where something below is aliased
    items: _Keys | None
    rest: _Keys | None  # additionalProperties

    def restore(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            out = {}
            for key, sub in value.items():
                real = self.real.get(key, key)
                if real in value and real != key:
                    real = key  # both given: the alias stays, for validation to refuse
                keys = self.below.get(real) if real in self.properties else self.rest
                out[real] = sub if keys is None else keys.restore(sub)
            return out
        if isinstance(value, list) and self.items is not None:
            return [self.items.restore(item) for item in value]
        return value


_CACHE: WeakKeyDictionary[Tool, tuple[dict[str, Any], _Keys | None]] = WeakKeyDictionary()


def _safe(tool: Tool) -> tuple[dict[str, Any], _Keys | None]:
    found = _CACHE.get(tool)
    if found is None:
        keys = _keys_at([tool.input_schema])
        found = (_aliased(tool.input_schema, keys), keys)
        _CACHE[tool] = found
    return found


def _keys_at(schemas: Iterable[Mapping[str, Any]]) -> _Keys | None:
    """The aliases of the place where ``schemas`` stand; None where nothing is aliased."""
    properties: dict[str, list[Mapping[str, Any]]] = {}
    items: list[Mapping[str, Any]] = []
    rest: list[Mapping[str, Any]] = []
    for part in (p for schema in schemas for p in _branches(schema)):
        for key, sub in _mapping(part.get("properties")).items():
            if isinstance(sub, Mapping):
                properties.setdefault(key, []).append(sub)
        items += [part["items"]] if isinstance(part.get("items"), Mapping) else []
        extra = part.get("additionalProperties")
        rest += [extra] if isinstance(extra, Mapping) else []
    alias = _aliases(list(properties))
    below = {k: keys for k, subs in properties.items() if (keys := _keys_at(subs)) is not None}
    found = _Keys(
        alias=alias,
        real={a: k for k, a in alias.items()},
        properties=frozenset(properties),
        below=below,
        items=_keys_at(items) if items else None,
        rest=_keys_at(rest) if rest else None,
    )
    return found if alias or below or found.items or found.rest else None


def _aliases(keys: list[str]) -> dict[str, str]:
    taken = {k for k in keys if ARGUMENT_KEY.match(k)}
    aliases = {}
    for key in keys:
        if key in taken:
            continue
        base = safe_key(key)
        alias, number = base, 1
        while alias in taken:
            number += 1
            suffix = f"_{number}"
            alias = base[: MAX_NAME - len(suffix)] + suffix
        taken.add(alias)
        aliases[key] = alias
    return aliases


def _aliased(schema: Mapping[str, Any], keys: _Keys | None) -> dict[str, Any]:
    """``schema`` with the keys that ``keys`` aliases renamed, at its place and below."""
    if keys is None:
        return dict(schema)
    out = dict(schema)
    properties = _mapping(schema.get("properties"))
    if properties:
        out["properties"] = {
            keys.alias.get(k, k): _noted(_aliased(sub, keys.below.get(k)), k, keys.alias)
            if isinstance(sub, Mapping)
            else sub
            for k, sub in properties.items()
        }
    if isinstance(schema.get("required"), list):
        out["required"] = [keys.alias.get(k, k) for k in schema["required"]]
    if isinstance(schema.get("items"), Mapping):
        out["items"] = _aliased(schema["items"], keys.items)
    if isinstance(schema.get("additionalProperties"), Mapping):
        out["additionalProperties"] = _aliased(schema["additionalProperties"], keys.rest)
    for word in _BRANCHES:
        if isinstance(schema.get(word), list):
            out[word] = [_aliased(b, keys) if isinstance(b, Mapping) else b for b in schema[word]]
    return out


def _noted(schema: dict[str, Any], key: str, aliases: Mapping[str, str]) -> dict[str, Any]:
    """An aliased property's schema says which key it stands for."""
    if key in aliases:
        said = str(schema.get("description", ""))
        schema["description"] = f'Stands for "{key}". {said}'.strip()
    return schema


def _branches(schema: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield schema
    for word in _BRANCHES:
        branches = schema.get(word)
        for branch in branches if isinstance(branches, list) else ():
            if isinstance(branch, Mapping):
                yield from _branches(branch)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
