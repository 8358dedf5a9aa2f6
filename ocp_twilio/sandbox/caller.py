"""The simulated caller on one call, and what a test scripts them to key in (sandbox only).

Twilio has no such thing: on a real call a person types. Here each Capture of a field takes that
field's next scripted entry; once a field's script is used up, the caller keys in the default
card's (or bank account's) value. An entry is the digits typed, ``silent`` (nothing: the capture
ends with input-timeout) or ``hang-up`` (the payment ends with caller-hung-up). An entry is
dropped once typed, and the caller's repr shows no digits.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping

from .errors import invalid_parameter
from .test_data import HANG_UP, SILENT, CallerBankAccount, CallerCard, redact_card_like

__all__ = [
    "BANK_FIELDS",
    "CAPTURES",
    "CARD_FIELDS",
    "MATCHER",
    "MAX_DIGITS",
    "MAX_ENTRIES_PER_FIELD",
    "ScriptedCaller",
]

CARD_FIELDS = ("payment-card-number", "expiration-date", "security-code", "postal-code")
BANK_FIELDS = ("bank-routing-number", "bank-account-number")
MATCHER = "-matcher"
CAPTURES = (*CARD_FIELDS, *BANK_FIELDS, *(f + MATCHER for f in CARD_FIELDS))
MAX_ENTRIES_PER_FIELD = 20
MAX_DIGITS = 32


class ScriptedCaller:
    __slots__ = ("_bank", "_card", "_entries")

    def __init__(
        self,
        card: CallerCard,
        bank: CallerBankAccount,
        entries: Iterable[tuple[str, str]] | Mapping[str, Iterable[str]] = (),
    ) -> None:
        """``entries``: (capture, entry) pairs in order, or each capture's entries in order."""
        pairs = (
            [(name, e) for name, values in entries.items() for e in values]
            if isinstance(entries, Mapping)
            else list(entries)
        )
        self._card, self._bank = card, bank
        self._entries: dict[str, deque[str]] = {}
        for name, entry in pairs:
            if name not in CAPTURES:
                raise invalid_parameter(
                    f"The caller's script names an unknown field {redact_card_like(name)!r}; "
                    f"use one of: {', '.join(CAPTURES)}."
                )
            if entry not in (SILENT, HANG_UP) and not (
                entry.isascii() and entry.isdigit() and len(entry) <= MAX_DIGITS
            ):
                raise invalid_parameter(
                    f"An entry for {name} must be 1 to {MAX_DIGITS} digits, "
                    f"{SILENT!r} or {HANG_UP!r}."
                )
            queue = self._entries.setdefault(name, deque())
            if len(queue) == MAX_ENTRIES_PER_FIELD:
                raise invalid_parameter(
                    f"The caller's script has more than {MAX_ENTRIES_PER_FIELD} entries for {name}."
                )
            queue.append(entry)

    def __repr__(self) -> str:
        left = sum(len(q) for q in self._entries.values())
        return f"<ScriptedCaller, {left} scripted entries left>"

    def next_entry(self, capture: str) -> str:
        """What the caller keys in for this Capture (the entry is dropped from the script)."""
        queue = self._entries.get(capture)
        if queue:
            return queue.popleft()
        return self._default(capture.removesuffix(MATCHER))

    def _default(self, field: str) -> str:
        card, bank = self._card, self._bank
        return {
            "payment-card-number": card.number,
            "expiration-date": card.expiry_mmyy,
            "security-code": card.security_code,
            "postal-code": card.postal_code,
            "bank-routing-number": bank.routing_number,
            "bank-account-number": bank.account_number,
        }[field]
