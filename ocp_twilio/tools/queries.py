"""What a search query may be: refused before anything is ranked when it holds nothing to search
(empty, or no letter or digit), is huge (over :data:`MAX_QUERY` characters) or is binary
(control characters, unpaired surrogates, or the replacement character undecodable bytes
become)."""

from __future__ import annotations

import re

from .._exceptions import ArgumentError, InvalidArguments

__all__ = ["MAX_QUERY", "check_query"]

MAX_QUERY = 2000
# C0 and C1 controls but tab, newline and carriage return; surrogates; U+FFFD.
_BINARY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd]")
_SOMETHING = re.compile(r"[^\W_]")  # a letter or a digit, of any script


def check_query(query: object, asked_by: str) -> str:
    """``query`` if it can be searched; otherwise InvalidArguments for ``asked_by``'s query."""
    problem = _problem(query) if isinstance(query, str) else "must be a string: a task in words"
    if isinstance(query, str) and not problem:
        return query
    raise InvalidArguments(asked_by, [ArgumentError(("query",), problem)])


def _problem(query: str) -> str:
    if len(query) > MAX_QUERY:
        return (
            f"is {len(query)} characters long, over {MAX_QUERY}: "
            'give the task in a few words ("send a text message")'
        )
    if _BINARY.search(query):
        return "holds binary data (control characters or undecodable bytes): send text"
    if not _SOMETHING.search(query):
        return 'is empty: say what to do, to what ("send a text message")'
    return ""
