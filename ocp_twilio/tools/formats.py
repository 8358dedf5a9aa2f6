"""The formats Twilio's descriptions use, as jsonschema format checkers: one registry for
arguments (what Twilio accepts), one for answers (lenient where Twilio's own answers break its
descriptions). Pure functions and module-level registries: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from jsonschema import FormatChecker

from .currencies import CURRENCY_CODES

__all__ = ["CHECKS_BEYOND_STRINGS", "INPUT_FORMATS", "OUTPUT_FORMATS", "SOUND_PATTERNS"]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*$")
# Spaces, controls and the characters RFC 3986 never allows, spelled out: Python's \s and the
# ECMA-262 \s of jsonschema-rs's patterns differ (U+0085 is only Python's, U+FEFF only ECMA's),
# and the pattern must accept exactly what the check does.
_NOT_IN_URI = (
    r"\x00-\x20\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
    r"<>\"{}|\\^`"
)
_FORBIDDEN_IN_URI = re.compile(f"[{_NOT_IN_URI}]")


def _is_absolute_uri(value: object) -> bool:
    """RFC 3986 absolute URI: a scheme, no spaces or control characters; http(s) needs a host."""
    if not isinstance(value, str):
        return True
    if _FORBIDDEN_IN_URI.search(value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number to 65535
    except ValueError:  # "https://[::1/": an IPv6 host without its closing bracket
        return False
    if not parts.scheme or not _SCHEME.match(parts.scheme):
        return False
    if parts.scheme.lower() in ("http", "https"):
        return bool(parts.hostname)
    return bool(parts.netloc or parts.path)


def _is_http_url(value: object) -> bool:
    """An absolute http or https URL with a host: where Twilio can post."""
    if not isinstance(value, str):
        return True
    # An absolute URI first: it refuses what urlsplit cannot split.
    return _is_absolute_uri(value) and urlsplit(value).scheme.lower() in ("http", "https")


def _is_uri_reference(value: object) -> bool:
    """Absolute or relative reference; Twilio's own responses carry relative ``uri`` values."""
    return not isinstance(value, str) or not _FORBIDDEN_IN_URI.search(value)


def _is_rfc2822_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return False
    return True


def _is_iso_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return "T" in value.upper() and parsed.tzinfo is not None


def _is_currency_code(value: object) -> bool:
    return not isinstance(value, str) or value.upper() in CURRENCY_CODES


def _is_amount(value: object) -> bool:
    """At most two decimals, as money is charged; checked on the decimal text the number is
    sent as, so that 19.99 passes although no binary float is exactly 19.99."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return True
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        return True  # NaN and Infinity are refused on their own
    try:
        return number == number.quantize(_CENT)
    except ArithmeticError:  # too many digits to quantize: far beyond any bound
        return False


_CENT = Decimal("0.01")


def _format_checker(uri_check: Any) -> FormatChecker:
    checker = FormatChecker(formats=("date", "email", "ipv4", "ipv6", "uuid"))
    checker.checks("date-time")(_is_iso_date_time)
    checker.checks("uri")(uri_check)
    checker.checks("http-url")(_is_http_url if uri_check is _is_absolute_uri else uri_check)
    checker.checks("uri-reference")(_is_uri_reference)
    checker.checks("date-time-rfc-2822")(_is_rfc2822_date)
    checker.checks("iso-4217")(_is_currency_code)
    checker.checks("amount")(_is_amount)
    return checker


# A regular expression for a format check that matches only values the check accepts, written
# in the syntax that Python's re and Rust's regex read alike. jsonschema-rs tests it in place of
# calling back into Python for every formatted value (most of the cost of a page of records);
# a value it does not match goes to the check itself. Dates: days 29 to 31 only in months that
# have them, no 29 February (the check decides it), times and offsets within their ranges.
_YEAR = r"[12][0-9]{3}"
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
_MONTH_DAY = (
    r"(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)"
    r"|(?:0[13578]|1[02])-31)"
)
_DAY_MON = (
    r"(?:(?:0[1-9]|1[0-9]|2[0-8]) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r"|(?:29|30) (?:Jan|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r"|31 (?:Jan|Mar|May|Jul|Aug|Oct|Dec))"
)
_OFFSET = r"[+-](?:[01][0-9]|2[0-3])"
_WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_PORT = r"(?::(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?"
_HTTP_URL = (
    rf"^[hH][tT][tT][pP][sS]?://[A-Za-z0-9._~-]+{_PORT}"
    rf"(?:[/?#][^{_NOT_IN_URI}]*)?$"
)
SOUND_PATTERNS: dict[Callable[[object], bool], str] = {
    _is_absolute_uri: _HTTP_URL,
    _is_http_url: _HTTP_URL,
    _is_rfc2822_date: rf"^{_WEEKDAY}, {_DAY_MON} {_YEAR} {_TIME} {_OFFSET}[0-5][0-9]$",
    _is_iso_date_time: (
        rf"^{_YEAR}-{_MONTH_DAY}T{_TIME}(?:\.[0-9]{{3}}|\.[0-9]{{6}})?(?:Z|{_OFFSET}:[0-5][0-9])$"
    ),
    _is_uri_reference: f"^[^{_NOT_IN_URI}]*$",
}
"""Format check -> a regular expression that matches only what the check accepts."""

CHECKS_BEYOND_STRINGS: frozenset[Callable[[object], bool]] = frozenset({_is_amount})
"""Format checks that judge numbers too (the others let every non-string pass)."""

INPUT_FORMATS = _format_checker(_is_absolute_uri)
"""Formats for arguments: what Twilio will accept."""

OUTPUT_FORMATS = _format_checker(_is_uri_reference)
"""Formats for responses: lenient where Twilio's own answers break its descriptions."""
