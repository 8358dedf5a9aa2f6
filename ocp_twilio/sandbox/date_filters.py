"""Twilio's date filters of a list: ``Name`` (that day), ``Name<`` (on or before) and
``Name>`` (on or after), each a day (``2026-12-07``) or an ISO 8601 date-time."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timezone

from .errors import bad_request

__all__ = ["date_filter"]

Bound = date | datetime


def date_filter(query: Mapping[str, str], name: str) -> Callable[[datetime | None], bool]:
    """Whether a moment passes the ``name`` filters of ``query`` (none given: every moment,
    None too; some given: a moment, not None, within them all). 400 (20001) for a bad date."""
    on, before, after = (_bound(query, name + tail) for tail in ("", "<", ">"))
    if on is None and before is None and after is None:
        return lambda moment: True

    def passes(moment: datetime | None) -> bool:
        return (
            moment is not None
            and (on is None or _compare(moment, on, by_day=True) == 0)
            and (before is None or _compare(moment, before) <= 0)
            and (after is None or _compare(moment, after) >= 0)
        )

    return passes


def _bound(query: Mapping[str, str], name: str) -> Bound | None:
    text = query.get(name)
    if text is None:
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"{name} takes a date, YYYY-MM-DD, or an ISO 8601 date-time.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _compare(moment: datetime, bound: Bound, *, by_day: bool = False) -> int:
    """-1, 0 or 1: ``moment`` before, at or after ``bound`` (a day, or ``by_day``, compares
    the days, in UTC)."""
    left: Bound = moment
    if by_day or not isinstance(bound, datetime):
        left = moment.date()
        if isinstance(bound, datetime):
            bound = bound.astimezone(timezone.utc).date()
    return (left > bound) - (left < bound)
