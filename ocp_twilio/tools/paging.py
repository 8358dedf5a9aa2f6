"""Twilio's list pages as a tool sees them: which tools page, the cursor a model passes back,
and the loop that reads several pages for one call.

Twilio answers a list with one page and a link to the next: ``next_page_uri`` (a path) in the
2010 API, ``meta.next_page_url`` (a full URL) in the newer v1/v2 services. Of that link only
the page parameters the tool itself declares (``Page``, ``PageSize``, ``PageToken``) are kept;
the next request is made from the tool's own template, so a link's host or path is never
followed.

A cursor is opaque text for the model: base64url of a small JSON object naming the tool that
made it, the page to start from, how many records of that page were already shown, and a digest
of the call's other arguments. It is checked, not signed: nothing in it can reach another host
or another tool (the host never comes from it, the tool is compared, its page values pass the
tool's own input schema), so a forged cursor can only ask the same tool for another page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .._config import MAX_LIST_PAGES, MAX_LIST_RECORDS
from .._exceptions import ArgumentError, InvalidArguments
from ..specs.model import OperationSpec

__all__ = [
    "CURSOR",
    "FIELDS",
    "LIMIT",
    "NEXT_CURSOR",
    "PageCursor",
    "Paging",
    "paging_of",
    "read_pages",
]

# The arguments the library adds: the model's cursor, how many records to read, which fields
# of each record to show (the adapters' sized result reads it; nothing of it is sent).
CURSOR = "Cursor"
LIMIT = "Limit"
FIELDS = "Fields"
# The key of a list tool's answer that holds the next page's cursor (None after the last).
NEXT_CURSOR = "next_cursor"

# Twilio's page parameters: the only values a cursor carries.
_PAGE_PARAMETERS = ("Page", "PageSize", "PageToken")
# A cursor is a few hundred characters; a longer one is no cursor of ours.
_MAX_CURSOR_CHARS = 2048
_MAX_PAGE_VALUE_CHARS = 512


@dataclass(frozen=True, slots=True)
class Paging:
    """How one list tool pages: the answer's array of records, where its next link is, and
    the page parameters it declares."""

    records: str
    # "uri": next_page_uri at the top (the 2010 API); "meta": meta.next_page_url (v1/v2).
    link: str
    parameters: tuple[str, ...]
    # The largest PageSize the tool accepts (its schema's maximum).
    max_page_size: int

    def next_page(self, answer: Mapping[str, Any]) -> dict[str, str] | None:
        """The page parameters of the answer's next link; None on the last page."""
        holder = answer.get("meta") if self.link == "meta" else answer
        link = holder.get(_LINK_KEY[self.link]) if isinstance(holder, Mapping) else None
        if not isinstance(link, str) or not link:
            return None
        page = {
            key: value
            for key, value in parse_qsl(urlsplit(link).query, keep_blank_values=True)
            if key in self.parameters and len(value) <= _MAX_PAGE_VALUE_CHARS
        }
        return page or None


_LINK_KEY = {"uri": "next_page_uri", "meta": "next_page_url"}


def paging_of(spec: OperationSpec) -> Paging | None:
    """How the operation pages, where it is one of Twilio's list operations: a GET with a
    PageSize argument whose answer holds one array and a next link of either shape."""
    response = spec.response
    if spec.method != "GET" or response is None or response.schema is None:
        return None
    query = {p.name: p for p in spec.parameters_in("query")}
    size = query.get("PageSize")
    properties = response.schema.get("properties")
    if size is None or not isinstance(properties, Mapping):
        return None
    arrays = [k for k, v in properties.items() if isinstance(v, Mapping) and _is_array(v)]
    meta = properties.get("meta")
    if "next_page_uri" in properties:
        link = "uri"
    elif isinstance(meta, Mapping) and "next_page_url" in meta.get("properties", {}):
        link = "meta"
    else:
        return None
    if len(arrays) != 1:
        return None
    maximum = size.schema.get("maximum")
    return Paging(
        records=arrays[0],
        link=link,
        parameters=tuple(p for p in _PAGE_PARAMETERS if p in query),
        max_page_size=maximum if isinstance(maximum, int) and maximum > 0 else 50,
    )


def _is_array(schema: Mapping[str, Any]) -> bool:
    """An array, maybe null too (an answer's values may be: specs/tolerances.py)."""
    kind = schema.get("type")
    return kind == "array" or (isinstance(kind, list) and "array" in kind)


@dataclass(frozen=True, slots=True)
class PageCursor:
    """Where a list call starts: the page (its parameters; empty: the first), how many of its
    records to pass over, and a digest of the call's other arguments."""

    tool: str
    page: Mapping[str, str]
    skip: int
    of: str

    def text(self) -> str:
        document = {"t": self.tool, "p": dict(self.page), "s": self.skip, "a": self.of}
        raw = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    @classmethod
    def read(cls, text: Any, tool: str, paging: Paging) -> PageCursor:
        """The cursor ``text`` as ``tool`` gave it; InvalidArguments where it is not one."""
        document = _decoded(text)
        if document is None:
            raise _cursor_error(tool, "is not a cursor this tool gave: pass next_cursor as given")
        maker = document["t"]
        if maker != tool:
            raise _cursor_error(
                tool,
                f"was made by {maker[:64]}, not {tool}: pass it to {maker[:64]} with that "
                "call's arguments",
            )
        page = document["p"]
        if any(key not in paging.parameters for key in page):
            raise _cursor_error(tool, "is not a cursor this tool gave: pass next_cursor as given")
        return cls(tool, page, document["s"], document["a"])


def arguments_digest(arguments: Mapping[str, Any]) -> str:
    """A digest of the arguments that choose the records (not the page, nor the view)."""
    chosen = {
        k: v for k, v in arguments.items() if k not in _NOT_CHOOSING and k not in _PAGE_PARAMETERS
    }
    text = json.dumps(chosen, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


_NOT_CHOOSING = frozenset({CURSOR, LIMIT, FIELDS})


def start_of(tool: str, paging: Paging, arguments: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
    """The arguments of the call's first request, with its cursor (if any) read into page
    arguments, and how many records of that page to pass over."""
    given = arguments.get(CURSOR)
    request = {k: v for k, v in arguments.items() if k not in _NOT_CHOOSING}
    if given is None:
        return request, 0
    cursor = PageCursor.read(given, tool, paging)
    if cursor.of != arguments_digest(arguments):
        raise _cursor_error(
            tool,
            "belongs to a call with other arguments: give the same arguments as the call that "
            "returned it, and this Cursor",
        )
    page = dict(cursor.page)
    if "PageSize" in request:  # the call's own page size wins over the one of the link
        page.pop("PageSize", None)
    request.update(_typed(page))
    return request, cursor.skip


class PagedAnswer(dict[str, Any]):
    """A list call's answer (a dict like any other) that knows which page each of its records
    came from, so that a cut result's cursor starts at the page of its first record left out,
    not at the call's first page with ever more records to pass over."""

    starts: tuple[tuple[int, Mapping[str, str], int], ...] = ()


def cursor_after(
    tool: str, arguments: Mapping[str, Any], paging: Paging, shown: int, answer: Any = None
) -> str:
    """The cursor of the records after the first ``shown`` of ``answer``, the call with
    ``arguments`` (whose own Cursor, if any, was read): for a result cut to fit the model's
    budget."""
    digest = arguments_digest(arguments)
    starts = answer.starts if isinstance(answer, PagedAnswer) else ()
    held = [start for start in starts if start[0] <= shown]
    if held:  # the page that holds record ``shown``: (its first record's index, page, passed)
        index, page, passed = held[-1]
        return PageCursor(tool, page, passed + shown - index, digest).text()
    given = arguments.get(CURSOR)
    if given is None:
        page = {"PageSize": str(arguments["PageSize"])} if "PageSize" in arguments else {}
        skip = 0
    else:
        cursor = PageCursor.read(given, tool, paging)
        page, skip = cursor.page, cursor.skip
    return PageCursor(tool, page, skip + shown, digest).text()


Fetch = Callable[[Mapping[str, Any]], Awaitable[Any]]


async def read_pages(tool: str, paging: Paging, arguments: Mapping[str, Any], fetch: Fetch) -> Any:
    """The answer of a list call: one page, or with ``Limit`` up to that many records read
    page after page (at most MAX_LIST_PAGES requests), each page through ``fetch``.

    The answer is the last page's, its records those read, and ``next_cursor`` added: where
    the next call starts (mid-page where Limit ended inside one), None after the last record.
    """
    request, skip = start_of(tool, paging, arguments)
    limit = arguments.get(LIMIT)
    if limit is not None and "PageSize" not in request:
        request["PageSize"] = min(limit + skip, paging.max_page_size)
    digest = arguments_digest(arguments)
    records: list[Any] = []
    starts: list[tuple[int, Mapping[str, str], int]] = []
    page = {k: str(request[k]) for k in paging.parameters if k in request}
    pages = 0
    while True:
        answer = await fetch(request)
        pages += 1
        if not isinstance(answer, dict) or not isinstance(answer.get(paging.records), list):
            return answer  # no list to page (a server that is not Twilio): as it came
        found: list[Any] = answer[paging.records]
        passed = min(skip, len(found))
        skip -= passed
        wanted = found[passed:]
        if wanted:
            starts.append((len(records), page, passed))
        if limit is not None and len(records) + len(wanted) > limit:
            taken = limit - len(records)
            records.extend(wanted[:taken])
            after = PageCursor(tool, page, passed + taken, digest).text()
            return _finished(answer, paging, records, starts, after)
        records.extend(wanted)
        following = paging.next_page(answer)
        wants_more = skip > 0 or (limit is not None and len(records) < limit)
        if following is None:
            return _finished(answer, paging, records, starts, None)
        if not wants_more or pages == MAX_LIST_PAGES:
            after = PageCursor(tool, following, 0, digest).text()
            return _finished(answer, paging, records, starts, after)
        page = following
        request = {**request, **_typed(following)}


def _finished(
    answer: dict[str, Any],
    paging: Paging,
    records: list[Any],
    starts: list[tuple[int, Mapping[str, str], int]],
    after: str | None,
) -> PagedAnswer:
    finished = PagedAnswer(answer)
    finished[paging.records] = records
    finished[NEXT_CURSOR] = after
    finished.starts = tuple(starts)
    return finished


def _typed(page: Mapping[str, str]) -> dict[str, Any]:
    """Page values as the tool's schema types them (Page and PageSize are integers)."""
    return {k: int(v) if k != "PageToken" and v.isdigit() else v for k, v in page.items()}


def _decoded(text: Any) -> dict[str, Any] | None:
    """The cursor's document, where ``text`` is one of this module's; else None."""
    if not isinstance(text, str) or not 0 < len(text) <= _MAX_CURSOR_CHARS or not text.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        document = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):  # RecursionError: "[[[[...", forged
        return None
    if not isinstance(document, dict) or set(document) != {"t", "p", "s", "a"}:
        return None
    tool, page, skip, digest = document["t"], document["p"], document["s"], document["a"]
    if not (isinstance(tool, str) and isinstance(digest, str) and isinstance(page, dict)):
        return None
    if type(skip) is not int or not 0 <= skip <= MAX_LIST_RECORDS:
        return None
    if not all(isinstance(v, str) and len(v) <= _MAX_PAGE_VALUE_CHARS for v in page.values()):
        return None
    return document


def _cursor_error(tool: str, problem: str) -> InvalidArguments:
    return InvalidArguments(tool, [ArgumentError((CURSOR,), problem)])
