"""The one translation of json's errors: :func:`read_json` reads every JSON text the library
is given (answers, spec and registry files, OCP-Session values, a model's arguments, the CLI's
``--json``), and fails only with :class:`NotJSON`, whose reason quotes none of the text (it may
hold card data). Each caller turns that into its own OCPError, naming what it read.

Bytes are decoded as ``json.loads(body)`` decodes them, by orjson where installed.

orjson (the ``fast`` extra) decodes a Twilio resource in a fifth of the time. What it refuses
(NaN, UTF-16, lone surrogates) or reads otherwise (integers beyond 64 bits) goes to the standard
library, so that both give the same answer for every body.
"""

from __future__ import annotations

import functools
import json
import re
import string
from collections.abc import Callable
from typing import Any

__all__ = ["NotJSON", "body_nested_deeper_than", "decode_json", "nested_deeper_than", "read_json"]


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


# orjson reads integers beyond 64 bits as floats: a body with 19 digits in a row that do not follow
# a letter, digit, "." or "+" goes to the standard library. Such a run inside a string costs only
# the faster parser; SIDs (letters, then hex digits) never have one. The body is mapped to
# character classes (" " other, "a" letter, "d" digit) and searched: a fraction of a regex's cost.
_DIGITS = frozenset(string.digits.encode())
_LETTERS = frozenset((string.ascii_letters + ".+").encode())
_CHARACTER_CLASSES = bytes(
    ord("d") if c in _DIGITS else ord("a") if c in _LETTERS else ord(" ") for c in range(256)
)
_LONG_INTEGER = b" " + b"d" * 19


def _may_hold_long_integer(body: bytes) -> bool:
    classes = body.translate(_CHARACTER_CLASSES)
    return _LONG_INTEGER in classes or classes.startswith(_LONG_INTEGER[1:])


def decode_json(body: bytes) -> Any:
    """The JSON document in ``body``; ValueError (UnicodeDecodeError among them) if it is none,
    or if it holds an unpaired surrogate, which no UTF-8 text can carry on."""
    fast_loads = _orjson_loads()
    if fast_loads is not None and not _may_hold_long_integer(body):
        try:
            return fast_loads(body)  # orjson itself refuses unpaired surrogates
        except ValueError:  # orjson.JSONDecodeError: the standard library says why, or decodes
            pass
    text = _json_text(body)
    document = json.loads(text)
    if _SURROGATE_ESCAPE.search(text) and _holds_unpaired_surrogate(document):
        raise ValueError("the JSON text holds an unpaired surrogate")
    return document


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


def body_nested_deeper_than(body: bytes, value: Any, limit: int) -> bool:
    """As nested_deeper_than for ``value`` decoded from ``body``: a body with no more brackets
    than ``limit`` cannot nest deeper, and most answers are settled by that count alone."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    return nested_deeper_than(value, limit)
