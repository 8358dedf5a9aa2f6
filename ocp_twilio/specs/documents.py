"""The one reader of JSON and YAML documents (spec files, registry files), with bounded work.

PyYAML keeps an alias as a shared object, so an 800-byte file of nested aliases is small in
memory but a billion nodes to whatever walks it; a YAML or JSON file can also nest deeper than
the converters' recursion. Every document is therefore measured once, without recursion, as if
its aliases were expanded: too many nodes, too deep a nesting or an alias inside itself is a
SpecError naming the file, before anything else walks it.

Parsing itself must stay linear too: a YAML scanner checks every open flow collection at each
token, so its work grows with the size times the nesting. libyaml (PyYAML's C extension) refuses
nesting past 1000 levels as it scans, which bounds that; ryaml's scanner has no such bound, and
it refuses its 128 levels only after scanning the whole document, so libyaml scans first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .._exceptions import SpecError
from .._json import NotJSON, read_json

__all__ = ["MAX_DOCUMENT_DEPTH", "parse_document", "read_bytes", "read_document"]

# Twilio's OpenAPI files nest about 20 levels; the converters recurse once or twice per level.
MAX_DOCUMENT_DEPTH = 128
# Nodes that aliases may add beyond a node per byte of the file (a node takes at least two).
_ALIAS_ALLOWANCE = 100_000


def read_bytes(path: Path, kind: str) -> bytes:
    """The content of the ``kind`` file ("spec file") at ``path``; SpecError naming it."""
    try:
        return path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SpecError(f"Cannot read {kind} {path}: {reason}.") from None


def read_document(path: Path, kind: str) -> Any:
    """The document in the ``kind`` file at ``path``; SpecError naming it when it is unusable."""
    return parse_document(read_bytes(path, kind), f"{kind} {path}", as_json=path.suffix == ".json")


def parse_document(data: bytes, what: str, *, as_json: bool) -> Any:
    """``data`` as JSON or YAML, bounded; SpecError naming ``what`` ("spec file x.yaml")."""
    try:
        if as_json:
            # Bounded already: read_json refuses nesting past MAX_JSON_DEPTH, a JSON decoder
            # shares no container, and every value takes a byte, so _check_size cannot refuse it
            # (and its walk was most of the time of reading a large registry file).
            document, bounded = read_json(data), True
        else:
            document, bounded = _load_yaml(data)
    except NotJSON as exc:
        if exc.too_deep:
            raise SpecError(_too_deep(what)) from None
        raise SpecError(f"Cannot read {what}: it is not JSON ({exc}).") from None
    except _YAML_FAILURES as exc:
        raise SpecError(_not_yaml(what, exc)) from None
    except RecursionError:
        raise SpecError(_too_deep(what)) from None
    if not bounded:
        _check_size(document, what, len(data) + _ALIAS_ALLOWANCE)
    return document


# The one translation of yaml's errors (ryaml's become yaml's in _load_yaml): every YAMLError,
# text that is not UTF-8 (a UnicodeDecodeError, a ValueError), and what PyYAML's safe
# constructors let through for a bad explicit tag: ValueError ("!!int abc", "!!timestamp
# 2001-13-01") and KeyError ("!!bool x").
_YAML_FAILURES = (yaml.YAMLError, ValueError, KeyError)


def _load_yaml(data: bytes) -> tuple[Any, bool]:
    """The document, and whether its parser bounded it already.

    ryaml (the ``fast`` extra) parses Twilio's 8.5 MB of YAML six times faster than PyYAML, and
    itself refuses alias bombs and nesting past 128 levels; measuring its result again would
    double the time. libyaml's scan before it, which bounds its work (see the module's
    docstring), adds a quarter to its time.
    """
    text = data.decode("utf-8")
    try:
        import ryaml
        from yaml._yaml import CParser
    except ImportError:  # PyYAML stops early: libyaml at 1000 levels, or its composer's recursion
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return yaml.load(text, Loader=loader), False  # a safe loader
    CParser(data).raw_scan()  # tokens only, in C: no Python object per token
    try:
        return ryaml.loads(text), True  # type: ignore[attr-defined]  # not in its __all__
    except ryaml.InvalidYamlError as exc:  # type: ignore[attr-defined]
        raise yaml.YAMLError(str(exc)) from None


def _check_size(document: Any, what: str, max_nodes: int) -> None:
    """Count the nodes of ``document`` with every shared object counted each time it is used,
    and its nesting depth, by an explicit stack: each distinct container is visited once."""
    sizes: dict[int, tuple[int, int]] = {}  # id -> (nodes, depth) of a finished container
    open_ids: set[int] = set()
    stack: list[tuple[Any, bool]] = [(document, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            children = _children(node)
            nodes = 1 + sum(sizes[id(c)][0] if _is_container(c) else 1 for c in children)
            depth = 1 + max((sizes[id(c)][1] for c in children if _is_container(c)), default=0)
            open_ids.discard(key)
            if nodes > max_nodes:
                raise SpecError(
                    f"{what} expands to more than {max_nodes:,} values (YAML aliases used "
                    "over and over?); write the repeated parts out, or fewer of them."
                )
            if depth > MAX_DOCUMENT_DEPTH:
                raise SpecError(_too_deep(what))
            sizes[key] = (nodes, depth)
        elif key in open_ids:
            raise SpecError(f"{what} holds a YAML alias inside its own anchor; remove the loop.")
        elif key not in sizes:
            open_ids.add(key)
            stack.append((node, True))
            stack.extend((c, False) for c in _children(node) if _is_container(c))


def _is_container(node: Any) -> bool:
    return isinstance(node, (dict, list))


def _children(node: Any) -> list[Any]:
    return list(node.values()) if isinstance(node, dict) else list(node)


def _too_deep(what: str) -> str:
    return f"{what} nests more than {MAX_DOCUMENT_DEPTH} levels deep; flatten it."


def _not_yaml(what: str, exc: Exception) -> str:
    """Why the parser refused the document; its nesting, where that was the reason (the
    parsers' words are the only sign of it)."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem == "exceeded maximum nesting depth":
        return _too_deep(what)  # libyaml, past 1000 levels
    if str(exc).startswith("recursion limit exceeded"):  # ryaml, aliases expanded
        return (
            f"{what} nests more than {MAX_DOCUMENT_DEPTH} levels deep, counting what its YAML "
            "aliases stand for (an alias inside its own anchor never ends); flatten it."
        )
    return f"Cannot read {what}: it is not YAML ({_first_line(exc)})."


def _first_line(exc: Exception) -> str:
    """The parser's reason, without the long context YAML errors quote from the file."""
    text = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    return text[:300] or type(exc).__name__
