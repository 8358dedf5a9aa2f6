"""A policy file, YAML or TOML, read with the line of each rule so that errors can name it."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

from .._exceptions import PolicyError, SpecError
from ..specs.documents import parse_document, read_bytes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the tomli backport, for Python 3.10
    import tomli as tomllib

__all__ = ["read_policy_file"]

# A policy is a page of rules; anything larger is a mistake, not a policy.
MAX_POLICY_BYTES = 256 * 1024

Where = tuple[str | int, ...]


def read_policy_file(path: str | Path) -> tuple[Any, dict[Where, str]]:
    """The document in the policy file at ``path``, and the line of each key path in it."""
    path = Path(path)
    try:
        data = read_bytes(path, "policy file")
    except SpecError as exc:
        raise PolicyError(str(exc)) from None
    if len(data) > MAX_POLICY_BYTES:
        raise PolicyError(f"Policy file {path} is over {MAX_POLICY_BYTES // 1024} KB.")
    suffix = path.suffix.lower()
    if suffix == ".toml":
        return _toml(data, path)
    if suffix not in (".yaml", ".yml"):
        raise PolicyError(f"Policy file {path}: name it .yaml, .yml or .toml.")
    try:
        document = parse_document(data, f"policy file {path}", as_json=False)
    except SpecError as exc:
        raise PolicyError(str(exc)) from None
    return document, _yaml_lines(data, path)


def _yaml_lines(data: bytes, path: Path) -> dict[Where, str]:
    """The line of each mapping key and list item, by key path (parse_document bounded it)."""
    lines: dict[Where, str] = {}
    root = yaml.compose(data.decode("utf-8", "replace"), Loader=yaml.SafeLoader)
    pending: list[tuple[Where, yaml.Node]] = [((), root)] if root is not None else []
    while pending:
        where, node = pending.pop()
        lines.setdefault(where, f"{path.name} line {node.start_mark.line + 1}")
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                at = (*where, str(key.value))
                lines[at] = f"{path.name} line {key.start_mark.line + 1}"
                pending.append((at, value))
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(((*where, i), item) for i, item in enumerate(node.value))
    return lines


def _toml(data: bytes, path: Path) -> tuple[Any, dict[Where, str]]:
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"Cannot read policy file {path}: {exc}.") from None
    # tomllib keeps no positions: a key is found on the first line that sets it, each line
    # read once whatever the size of the file.
    first_line = _key_lines(data.decode("utf-8").splitlines())
    lines: dict[Where, str] = {}

    def walk(node: Any, where: Where) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                at = (*where, key)
                if key in first_line:
                    lines[at] = f"{path.name} line {first_line[key]}"
                walk(value, at)

    walk(document, ())
    return document, lines


# A key where TOML sets one: at a line's start, in a table header, after "{" or "," or ".".
_KEY = re.compile(r"""(?:^|[{,.\[])\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_-]+))\s*(?=[=.\]])""")


def _key_lines(text: list[str]) -> dict[str, int]:
    first: dict[str, int] = {}
    for number, line in enumerate(text, 1):
        for found in _KEY.finditer(line):
            first.setdefault(found[1] or found[2] or found[3], number)
    return first
