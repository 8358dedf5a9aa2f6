"""What the simulated caller keys in by default, the sandbox's test values, and masking.

The numbers are the payment industry's well-known test values; they can never be charged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "DECLINED_CARD",
    "EXPIRED_DATE",
    "HANG_UP",
    "INVALID_CARD",
    "SILENT",
    "TEST_BANK_ACCOUNT",
    "TEST_CARD",
    "CallerBankAccount",
    "CallerCard",
    "mask",
    "redact_card_like",
]

# Entries a scripted caller can give instead of digits (see caller.py).
SILENT = "silent"  # types nothing: the capture ends with ErrorType input-timeout
HANG_UP = "hang-up"  # hangs up: the payment ends with Result caller-hung-up
# Test values that produce Twilio's errors.
INVALID_CARD = "4111111111111112"  # fails the Luhn check: invalid-card-number
DECLINED_CARD = "4000000000000002"  # valid, declined by the connector on complete
EXPIRED_DATE = "0120"  # January 2020: invalid-date

# A run of 12 or more digits, maybe split by spaces or dashes: it may be a card or bank number.
_CARD_LIKE = re.compile(r"\d(?:[ -]?\d){11,}")


def mask(digits: str, visible: int = 4) -> str:
    """``xxxxxxxxxxxx1111``: every digit but the last ``visible`` replaced, as Twilio shows them."""
    hidden = max(len(digits) - visible, 0)
    return "x" * hidden + digits[hidden:]


def redact_card_like(text: str) -> str:
    """``text`` with every card-like digit run masked, for text that echoes what a client sent."""
    return _CARD_LIKE.sub(lambda found: mask(re.sub(r"\D", "", found.group())), text)


@dataclass(frozen=True, repr=False)
class CallerCard:
    number: str
    expiry_mmyy: str
    security_code: str
    postal_code: str

    def __repr__(self) -> str:
        return f"CallerCard({mask(self.number)})"


@dataclass(frozen=True, repr=False)
class CallerBankAccount:
    routing_number: str
    account_number: str

    def __repr__(self) -> str:
        return f"CallerBankAccount({mask(self.routing_number)} {mask(self.account_number)})"


TEST_CARD = CallerCard(
    number="4111111111111111",
    expiry_mmyy="1230",
    security_code="737",
    postal_code="94105",
)
TEST_BANK_ACCOUNT = CallerBankAccount(routing_number="110000000", account_number="000123456789")
