"""The simulated card check: one entry the caller keyed in, judged as Twilio's Pay judges it.

This is the only place where the caller's digits are seen whole. What leaves it is a ``Keyed``:
the value as callbacks may show it (masked), Twilio's ErrorType when the entry is not valid, and
for a card number its brand and whether the connector will decline it. A value shown in clear
(expiry, postal code) is shown only when it has that field's shape, so that a card number keyed
into the wrong field is never echoed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from .test_data import DECLINED_CARD, mask

__all__ = ["DEFAULT_CARD_TYPES", "Keyed", "card_brand", "check_entry", "entry_digest"]

DEFAULT_CARD_TYPES = frozenset({"visa", "mastercard", "amex"})  # Twilio's documented default


@dataclass(frozen=True)
class Keyed:
    shown: str
    error: str | None = None
    brand: str | None = None
    declined: bool = False


def check_entry(
    field: str, digits: str, *, card_types: frozenset[str], brand: str | None, today: date
) -> Keyed:
    """Judge ``digits`` keyed in for ``field`` (a capture name without ``-matcher``)."""
    return _CHECKS[field](digits, card_types, brand, today)


def entry_digest(salt: bytes, digits: str) -> str:
    """A salted hash of an entry, kept so that a ``-matcher`` capture can be compared to it."""
    return hashlib.sha256(salt + digits.encode()).hexdigest()


def card_brand(number: str) -> str:
    """Twilio's card type name for a card number, by its issuer prefix."""
    for prefixes, brand in _BRANDS:
        if any(number.startswith(p) for p in prefixes):
            return brand
    if 2221 <= int(number[:4] or 0) <= 2720:
        return "mastercard"
    return "unknown"


def _card_number(digits: str, card_types: frozenset[str], _: str | None, __: date) -> Keyed:
    brand = card_brand(digits)
    if not (12 <= len(digits) <= 19 and _luhn_valid(digits)):
        return Keyed(mask(digits), "invalid-card-number", brand)
    if brand not in card_types:
        return Keyed(mask(digits), "invalid-card-type", brand)
    return Keyed(mask(digits), None, brand, declined=digits == DECLINED_CARD)


def _expiry(digits: str, _: frozenset[str], __: str | None, today: date) -> Keyed:
    if len(digits) != 4:
        return Keyed("x" * len(digits), "invalid-date")
    month, year = int(digits[:2]), 2000 + int(digits[2:])
    if not 1 <= month <= 12 or (year, month) < (today.year, today.month):
        return Keyed(digits, "invalid-date")
    return Keyed(digits)


def _security_code(digits: str, _: frozenset[str], brand: str | None, __: date) -> Keyed:
    length = 4 if brand == "amex" else 3
    return Keyed("x" * len(digits), None if len(digits) == length else "invalid-security-code")


def _postal_code(digits: str, _: frozenset[str], __: str | None, ___: date) -> Keyed:
    if len(digits) > 10:
        return Keyed("x" * len(digits), "invalid-postal-code")
    return Keyed(digits)


def _routing_number(digits: str, _: frozenset[str], __: str | None, ___: date) -> Keyed:
    weights = (3, 7, 1) * 3
    valid = (
        len(digits) == 9 and sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 10 == 0
    )
    # As Twilio shows them: a routing number names a bank, and is sent in clear once valid.
    if valid:
        return Keyed(digits)
    return Keyed(mask(digits), "invalid-bank-routing-number")


def _account_number(digits: str, _: frozenset[str], __: str | None, ___: date) -> Keyed:
    valid = 4 <= len(digits) <= 17
    return Keyed(mask(digits, visible=2), None if valid else "invalid-bank-account-number")


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


Check = Callable[[str, frozenset[str], str | None, date], Keyed]
_CHECKS: dict[str, Check] = {
    "payment-card-number": _card_number,
    "expiration-date": _expiry,
    "security-code": _security_code,
    "postal-code": _postal_code,
    "bank-routing-number": _routing_number,
    "bank-account-number": _account_number,
}
_BRANDS = (
    (("34", "37"), "amex"),
    (("4",), "visa"),
    (("51", "52", "53", "54", "55"), "mastercard"),
    (("6011", "65", "644", "645", "646", "647", "648", "649"), "discover"),
    (("35",), "jcb"),
    (("36", "38", "300", "301", "302", "303", "304", "305"), "diners-club"),
)
