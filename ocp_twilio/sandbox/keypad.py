"""The simulated caller at the keypad: one Capture, key by key, as the callbacks report it.

``keypad`` yields the capture's own callback fields at each moment: one PartialResult=true
callback per key (the value masked as it grows: ``x``, ``xx``, …), then the PartialResult=false
one with the checked, masked value and any ErrorType. The session changes as the generator runs,
so the one who runs it decides the pace (at once, or a pause before each moment). The person at
the console (console_caller.py) keys in through the same moments, one key at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timezone

from .caller import MATCHER
from .session import PaySession
from .test_data import HANG_UP, SILENT

__all__ = ["VALUE_FIELDS", "entered", "hung_up", "keypad", "timed_out", "typing"]

# The callback field that shows each captured value.
VALUE_FIELDS = {
    "payment-card-number": "PaymentCardNumber",
    "expiration-date": "ExpirationDate",
    "security-code": "SecurityCode",
    "postal-code": "PaymentCardPostalCode",
    "bank-routing-number": "BankRoutingNumber",
    "bank-account-number": "BankAccountNumber",
}


def keypad(
    session: PaySession, capture: str, entry: str, hang_up: Callable[[], None]
) -> Iterator[dict[str, str]]:
    """Run ``entry`` (digits, ``silent`` or ``hang-up``) into ``capture`` of ``session``."""
    if entry == SILENT:
        yield timed_out(session, capture)
        return
    if entry == HANG_UP:
        yield hung_up(capture, hang_up)
        return
    for count in range(1, len(entry)):
        yield typing(capture, count)
    yield entered(session, capture, entry)


def typing(capture: str, count: int) -> dict[str, str]:
    """The caller has pressed ``count`` keys of ``capture`` so far."""
    value_field = VALUE_FIELDS[capture.removesuffix(MATCHER)]
    return {"Capture": capture, "PartialResult": "true", value_field: "x" * count}


def entered(session: PaySession, capture: str, digits: str) -> dict[str, str]:
    """The caller finished ``capture`` with ``digits``: checked, and shown masked."""
    value_field = VALUE_FIELDS[capture.removesuffix(MATCHER)]
    keyed = session.finish_capture(capture, digits, datetime.now(timezone.utc).date())
    error = {"ErrorType": keyed.error} if keyed.error else {}
    return {"Capture": capture, "PartialResult": "false", value_field: keyed.shown, **error}


def timed_out(session: PaySession, capture: str) -> dict[str, str]:
    session.time_out()
    return {"Capture": capture, "PartialResult": "false", "ErrorType": "input-timeout"}


def hung_up(capture: str, hang_up: Callable[[], None]) -> dict[str, str]:
    hang_up()
    return {"Capture": capture, "PartialResult": "false"}
