"""What a model reads of a result: the answer without links and nulls, the Fields it asked
for, and as many records as fit the agent's token budget, with a note of what was left out.

``call_tool`` returns the whole, checked answer; only the adapters' view is cut. Tokens are
counted with OpenAI's o200k_base from the ``tokens`` extra (bpe-openai) where it is installed,
else estimated as a token per four bytes of UTF-8 JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from ..tools.masking import MASK, is_credential
from ..tools.paging import FIELDS, NEXT_CURSOR, cursor_after
from ..tools.tool import Tool

__all__ = ["NOTE", "count_tokens", "sized"]

# The key of the view's note to the model (no Twilio resource has a field of this name).
NOTE = "note"

# Fields that only point at other resources, or repeat the request: noise to a model, which
# reaches those resources through tools, not links.
_LINK_FIELDS = frozenset({"uri", "subresource_uris", "links"})
# A list answer's page fields, which next_cursor replaces for the model.
_PAGE_FIELDS = frozenset(
    {
        "first_page_uri",
        "next_page_uri",
        "previous_page_uri",
        "page",
        "page_size",
        "start",
        "end",
        "meta",
    }
)
# Above this many bytes a text is over any budget it is checked against: no tokenizer need read
# it (o200k_base averages about four bytes a token on Twilio's JSON).
_BYTES_PER_TOKEN_CEILING = 12
# Longer strings are shortened where a single record is over the budget.
_LONGEST_STRING = 256


def sized(tool: Tool, arguments: Mapping[str, Any], data: Any, budget: int) -> Any:
    """The view of ``data`` (the answer of ``tool`` to ``arguments``) that a model reads."""
    paging = tool.paging
    records_key = paging.records if paging is not None else None
    fields = arguments.get(FIELDS) if FIELDS in tool.library_arguments else None
    notes: list[str] = []
    view = _projected(data, records_key, fields, notes) if fields else data
    view = _trimmed(view, top_level_page=paging is not None)
    if notes:
        view = _with_note(view, " ".join(notes))
    if _fits(view, budget):
        return view
    if (
        records_key is not None
        and isinstance(view, dict)
        and isinstance(view.get(records_key), list)
    ):
        cut = _cut_list(tool, arguments, data, view, records_key, budget, notes)
        if cut is None:  # not even one record fits: shorten their long texts, and try again
            cut = _cut_list(tool, arguments, data, _shortened(view), records_key, budget, notes)
        if cut is not None:
            return cut
    shortened = _shortened(view)
    if _fits(shortened, budget):
        return _with_note(
            shortened, " ".join([*notes, "Long texts were shortened to fit the result budget."])
        )
    keys = sorted(view)[:50] if isinstance(view, dict) else []
    return {
        NOTE: f"The answer is larger than the result budget ({budget:,} tokens): call again "
        "with Fields naming the few fields you need." + (" " + " ".join(notes) if notes else ""),
        "fields": keys,
    }


def count_tokens(text: str) -> int:
    """Tokens of ``text`` for a model: o200k_base where bpe-openai is installed, else bytes/4."""
    encode = _encoder()
    if encode is None:
        return -(-len(text.encode("utf-8", "surrogatepass")) // 4)
    return len(encode(text))


@lru_cache(maxsize=1)
def _encoder() -> Callable[[str], list[int]] | None:
    try:
        from bpe_openai import get_encoding  # type: ignore[import-untyped]
    except ImportError:
        return None
    encode: Callable[[str], list[int]] = get_encoding("o200k_base").encode_ordinary
    return encode


def _tokens(value: Any, budget: int) -> int:
    """Tokens of ``value``'s JSON; more than ``budget`` without counting where its size says so."""
    text = _json(value)
    if len(text) > budget * _BYTES_PER_TOKEN_CEILING:
        return budget + 1
    return count_tokens(text)


def _fits(value: Any, budget: int) -> bool:
    return _tokens(value, budget) <= budget


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _projected(data: Any, records_key: str | None, fields: list[str], notes: list[str]) -> Any:
    """``data`` with its records (or itself, for a fetch) keeping only ``fields``; a note names
    the fields the answer lacks."""
    if (
        records_key is not None
        and isinstance(data, dict)
        and isinstance(data.get(records_key), list)
    ):
        records = data[records_key]
        seen = {key for record in records if isinstance(record, dict) for key in record}
        projected = [_kept(record, fields) for record in records]
        view = {**data, records_key: projected}
    elif isinstance(data, dict):
        seen = set(data)
        view = _kept(data, fields)
    else:
        return data
    missing = [name for name in fields if name not in seen]
    if missing and (seen or records_key is None):
        known = ", ".join(sorted(seen - _LINK_FIELDS)[:40])
        notes.append(
            f"Fields not in the answer: {', '.join(m[:64] for m in missing)}. Its fields: {known}."
        )
    return view


def _kept(record: Any, fields: list[str]) -> Any:
    if not isinstance(record, dict):
        return record
    # Requested fields stay even when null: the model asked for them.
    return {key: _Kept(record[key]) for key in fields if key in record}


class _Kept:
    """A value the model asked for by name: kept by _trimmed even when it is null."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _trimmed(value: Any, *, top_level_page: bool = False) -> Any:
    """``value`` without link fields and nulls (and, at the top of a list answer, its page
    fields), but for the fields the model asked for by name; secrets masked."""
    if isinstance(value, list):
        return [_trimmed(item) for item in value]
    if not isinstance(value, dict):
        return value
    dropped = _LINK_FIELDS | _PAGE_FIELDS if top_level_page else _LINK_FIELDS
    kept: dict[str, Any] = {}
    for key, item in value.items():
        if key in dropped:
            continue
        if isinstance(item, _Kept):
            item = item.value
        elif item is None:
            continue
        # A secret (an account's auth_token) never reaches a model, asked for or not.
        kept[key] = MASK if is_credential(key, item) else _trimmed(item)
    return kept


def _with_note(view: Any, note: str) -> Any:
    if not isinstance(view, dict):
        return view
    return {**view, NOTE: note}


def _cut_list(
    tool: Tool,
    arguments: Mapping[str, Any],
    answer: Any,
    view: dict[str, Any],
    key: str,
    budget: int,
    notes: list[str],
) -> dict[str, Any] | None:
    """``view`` (of ``answer``) with as many of its records as fit, a note of how many were
    left out and the cursor that reads on from the first of them; None where not even one
    record fits."""
    records: list[Any] = view[key]
    paging = tool.paging
    assert paging is not None

    def cut_at(shown: int) -> dict[str, Any]:
        cursor = cursor_after(tool.name, arguments, paging, shown, answer)
        left = len(records) - shown
        note = (
            f"Showing {shown:,} of {len(records):,} records: {left:,} left out to fit the result "
            f"budget. Call {tool.name} again with the same arguments and Cursor set to "
            "next_cursor for the rest, or with Fields to show fewer fields."
        )
        cut = {k: v for k, v in view.items() if k != NOTE}
        cut[key] = records[:shown]
        cut[NEXT_CURSOR] = cursor
        cut[NOTE] = " ".join([note, *notes])
        return cut

    # Each record's tokens once, in order, until the budget is spent: the work is bounded by
    # the budget, not by the size of the answer.
    room = budget - _tokens(cut_at(0), budget)
    shown = 0
    for record in records:
        cost = _tokens(record, budget) + 1  # and its comma
        if cost > room:
            break
        room -= cost
        shown += 1
    # Tokens at the joins differ slightly from the sum of the parts: step back until it fits
    # (by a tenth at a time, so that a few counts of the whole settle it).
    while shown > 0:
        cut = cut_at(shown)
        if _fits(cut, budget):
            return cut
        shown -= max(1, shown // 10)
    return None


def _shortened(value: Any) -> Any:
    if isinstance(value, str) and len(value) > _LONGEST_STRING:
        return f"{value[:_LONGEST_STRING]}... ({len(value) - _LONGEST_STRING:,} more characters)"
    if isinstance(value, dict):
        return {key: _shortened(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shortened(item) for item in value]
    return value
