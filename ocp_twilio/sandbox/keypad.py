"""The simulated caller at the keypad: one Capture, key by key, as the callbacks report it.

``keypad`` yields the capture's own callback fields at each moment: one PartialResult=true
callback per key (the value masked as it grows: ``x``, ``xx``, …), then the PartialResult=false
one with the checked, masked value and any ErrorType. The session changes as the generator runs,
so the one who runs it decides the pace (at once, or a pause before each moment).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timezone

from .caller import MATCHER
from .session import PaySession
from .test_data import HANG_UP, SILENT

__all__ = ["VALUE_FIELDS", "keypad"]

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
    done = {"Capture": capture, "PartialResult": "false"}
    if entry == SILENT:
        session.time_out()
        yield {**done, "ErrorType": "input-timeout"}
        return
    if entry == HANG_UP:
        hang_up()
        yield done
        return
    value_field = VALUE_FIELDS[capture.removesuffix(MATCHER)]
    for typed in range(1, len(entry)):
        yield {"Capture": capture, "PartialResult": "true", value_field: "x" * typed}
    keyed = session.finish_capture(capture, entry, datetime.now(timezone.utc).date())
    yield {**done, value_field: keyed.shown, **({"ErrorType": keyed.error} if keyed.error else {})}
