"""The one translation of json's errors: :func:`read_json` reads every JSON text the library
is given (answers, spec and registry files, OCP-Session values, a model's arguments, the CLI's
``--json``), and fails only with :class:`NotJSON`, whose reason quotes none of the text (it may
hold card data). Each caller turns that into its own OCPError, naming what it read.

Bytes are decoded as ``json.loads(body)`` decodes them, by orjson where installed, and never
nested deeper than MAX_JSON_DEPTH (validators and encoders recurse once per level).

orjson (the ``fast`` extra) decodes a Twilio resource in a fifth of the time. What it refuses
(NaN, UTF-16, lone surrogates) or reads otherwise (integers beyond 64 bits, which it rounds to
floats) goes to the standard library, so that both give the same answer for every body.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any

import jsonschema_rs

from ._config import MAX_JSON_DEPTH

__all__ = ["NestedTooDeep", "NotJSON", "decode_json", "nested_deeper_than", "read_json"]


class NestedTooDeep(ValueError):
    """A JSON document nested more than MAX_JSON_DEPTH levels deep."""


def decode_json(body: bytes) -> Any:
    """The JSON document in ``body``; NestedTooDeep where it nests more than MAX_JSON_DEPTH
    levels, ValueError (UnicodeDecodeError among them) where it is none or holds an unpaired
    surrogate, which no UTF-8 text can carry on."""
    fast_loads = _orjson_loads()
    if fast_loads is not None:
        try:
            document = fast_loads(body)  # orjson itself refuses unpaired surrogates
        except ValueError:  # orjson.JSONDecodeError: the standard library says why, or decodes
            pass
        else:
            # The common case settled in one pass in Rust: shallow, and no number that orjson
            # may have rounded. Anything else is decoded again, exactly, below.
            if _SHALLOW_AND_EXACT.is_valid(document):
                return document
    text = _json_text(body)
    try:
        document = json.loads(text)
    except RecursionError:  # deeper than the decoder goes, so deeper than the bound too
        raise NestedTooDeep(f"nested more than {MAX_JSON_DEPTH} levels deep") from None
    if nested_deeper_than(document, MAX_JSON_DEPTH):
        raise NestedTooDeep(f"nested more than {MAX_JSON_DEPTH} levels deep")
    if _SURROGATE_ESCAPE.search(text) and _holds_unpaired_surrogate(document):
        raise ValueError("the JSON text holds an unpaired surrogate")
    return document


class NotJSON(ValueError):
    """The text is not one JSON document; ``column`` is where the parser stopped (0: unknown),
    ``too_deep`` whether it nests deeper than the parser recurses."""

    def __init__(self, reason: str, *, column: int = 0, too_deep: bool = False) -> None:
        super().__init__(reason)
        self.column = column
        self.too_deep = too_deep


def read_json(text: bytes | str) -> Any:
    """The JSON document in ``text``; NotJSON, and nothing else, if there is none."""
    try:
        return decode_json(text) if isinstance(text, bytes) else json.loads(text)
    except json.JSONDecodeError as exc:  # the parser's words and position only, not the text
        failure = NotJSON(f"{exc.msg} at line {exc.lineno} column {exc.colno}", column=exc.colno)
    except UnicodeDecodeError:
        failure = NotJSON("the bytes are not text in UTF-8 (or UTF-16/32)")
    except RecursionError:
        failure = NotJSON("it nests deeper than the parser recurses", too_deep=True)
    except NestedTooDeep as exc:
        failure = NotJSON(str(exc), too_deep=True)
    except ValueError as exc:  # decode_json's own: an unpaired surrogate
        failure = NotJSON(str(exc))
    # Raised outside the except block: json's exception holds the whole text (``doc``), which
    # may be card data, so it must be neither the cause nor the context of what reaches logs.
    raise failure


@functools.cache
def _orjson_loads() -> Callable[[bytes], Any] | None:
    """orjson's decoder, imported on the first answer: ``import ocp_twilio`` imports no extra."""
    try:
        from orjson import loads
    except ImportError:  # pragma: no cover - the fast extra is not installed
        return None
    return loads


def _shallow_schema(depth: int) -> dict[str, Any]:
    """Containers nested at most ``depth`` levels; numbers well inside 64 bits, where orjson and
    json.loads agree (orjson rounds larger integers to floats; a float so large is rare)."""
    scalars = ["string", "number", "boolean", "null"]
    bounds = {"minimum": -(2**62), "maximum": 2**62}
    levels: dict[str, Any] = {"0": {"type": scalars, **bounds}}
    for level in range(1, depth + 1):  # any type (no "type": a check fewer on every value)
        below = {"$ref": f"#/$defs/{level - 1}"}
        levels[str(level)] = {**bounds, "additionalProperties": below, "items": below}
    return {"$ref": f"#/$defs/{depth}", "$defs": levels}


_SHALLOW_AND_EXACT = jsonschema_rs.Draft202012Validator(_shallow_schema(MAX_JSON_DEPTH))


# \uD800 to \uDFFF: only such escapes (or raw surrogates, which UTF-8 cannot hold) make one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")
_UNPAIRED = re.compile("[\ud800-\udfff]")


def _holds_unpaired_surrogate(document: Any) -> bool:
    """True where a string or key of ``document`` holds one; no recursion (bounded by a queue)."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if _UNPAIRED.search(value):
                return True
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


# First bytes of the byte order marks and of UTF-16/32 text, which json.detect_encoding sniffs.
_SNIFFED_FIRST_BYTES = frozenset({0x00, 0xEF, 0xFE, 0xFF})


def _json_text(body: bytes) -> str:
    """The body decoded as ``json.loads(body)`` decodes it.

    Only bodies that could be UTF-16/32 or carry a byte order mark go through the sniffing of
    json.detect_encoding; any other, non-empty body is what it returns "utf-8" for.
    """
    if not body or (body[0] not in _SNIFFED_FIRST_BYTES and (len(body) < 2 or body[1] != 0)):
        return body.decode("utf-8", "surrogatepass")
    return body.decode(json.detect_encoding(body), "surrogatepass")


def nested_deeper_than(value: Any, limit: int) -> bool:
    """True where lists and dicts nest in ``value`` more than ``limit`` levels; no recursion."""
    level: list[Any] = [value] if isinstance(value, (dict, list)) else []
    for _ in range(limit):
        if not level:
            return False
        level = [
            child
            for node in level
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, (dict, list))
        ]
    return bool(level)
