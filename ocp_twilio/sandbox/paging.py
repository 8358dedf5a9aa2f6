"""Twilio's list pages: ``PageSize`` (default 50, at most 1000), ``Page`` and ``PageToken``, and
the page's own addresses (``uri``, ``first_page_uri``, ``next_page_uri``, ``previous_page_uri``)
with the request's filters kept in them.

A page token is ``PA`` and the sid of the previous page's last item, as Twilio's look; the next
page starts after that item. A token whose item is gone (deleted, or evicted) falls back to
``Page`` times ``PageSize``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import urlencode

from .errors import bad_request

__all__ = ["page_of"]

_DEFAULT_SIZE = 50
_MAX_SIZE = 1_000
_MAX_DIGITS = 100  # Twilio's description bounds no Page; int() of a longer one takes its time


class _HasSid(Protocol):
    @property
    def sid(self) -> str: ...


def page_of(
    items: Sequence[_HasSid],
    query: Mapping[str, str],
    path: str,
    key: str,
    filters: Mapping[str, str],
) -> tuple[list[Any], dict[str, Any]]:
    """The page ``query`` asks for of ``items`` (in list order), and the page's fields
    (``key`` names the list in the answer; the caller puts the resources there)."""
    size = _number(query, "PageSize", _DEFAULT_SIZE, 1, _MAX_SIZE)
    page = _number(query, "Page", 0, 0, None)
    start = page * size
    token = query.get("PageToken")
    if token is not None:
        after = token.removeprefix("PA")
        found = next((n for n, item in enumerate(items) if item.sid == after), None)
        if found is not None:
            start = found + 1
    chosen = list(items[start : start + size])

    def uri(number: int, page_token: str | None = None) -> str:
        fields = {**filters, "PageSize": str(size), "Page": str(number)}
        if page_token is not None:
            fields["PageToken"] = page_token
        return f"{path}?{urlencode(fields)}"

    more = start + size < len(items)
    fields: dict[str, Any] = {
        key: [],
        "start": start,
        "end": start + max(len(chosen) - 1, 0),
        "page": page,
        "page_size": size,
        "uri": uri(page, token),
        "first_page_uri": uri(0),
        "next_page_uri": uri(page + 1, "PA" + chosen[-1].sid) if more and chosen else None,
        "previous_page_uri": uri(page - 1) if page > 0 else None,
    }
    return chosen, fields


def _number(query: Mapping[str, str], name: str, default: int, low: int, high: int | None) -> int:
    text = query.get(name)
    if text is None:
        return default
    bound = f"from {low} to {high}" if high is not None else f"of {low} or more"
    whole = text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS
    if not whole or int(text) < low or (high is not None and int(text) > high):
        raise bad_request(f"{name} must be a whole number {bound}.")
    return int(text)
