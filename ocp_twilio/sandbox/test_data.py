"""What the simulated caller keys in, and how each value may be shown (masked only).

The numbers are the payment industry's well-known test values; they can never be charged.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TEST_BANK_ACCOUNT", "TEST_CARD", "CallerBankAccount", "CallerCard", "mask"]


def mask(digits: str, visible: int = 4) -> str:
    """``xxxxxxxxxxxx1111``: every digit but the last ``visible`` replaced, as Twilio shows them."""
    hidden = max(len(digits) - visible, 0)
    return "x" * hidden + digits[hidden:]


@dataclass(frozen=True, repr=False)
class CallerCard:
    number: str
    expiry_mmyy: str
    security_code: str
    postal_code: str
    brand: str

    def __repr__(self) -> str:
        return f"CallerCard({self.brand} {mask(self.number)})"


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
    brand="visa",
)
TEST_BANK_ACCOUNT = CallerBankAccount(routing_number="110000000", account_number="000123456789")
