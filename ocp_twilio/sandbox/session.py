"""A Pay session as a state machine: what is still required, what the caller has keyed in.

The simulated caller answers every Capture at once. Only masked values are kept: like Twilio,
the sandbox hands the real digits to the payment connector and never stores or returns them.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from enum import Enum
from typing import Any

from .errors import SandboxError, invalid_parameter
from .test_data import TEST_BANK_ACCOUNT, TEST_CARD, CallerBankAccount, CallerCard, mask

__all__ = ["PaySession", "SessionState", "new_sid", "rfc2822"]

CARD_FIELDS = ("payment-card-number", "expiration-date", "security-code", "postal-code")
BANK_FIELDS = ("bank-routing-number", "bank-account-number")
_MATCHER = "-matcher"


class SessionState(str, Enum):
    ACTIVE = "active"
    COMPLETE = "complete"
    CANCELLED = "cancelled"


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def rfc2822(moment: datetime) -> str:
    """``Wed, 18 Dec 2019 20:02:01 +0000``, the date format of Twilio's 2010 API."""
    return format_datetime(moment.astimezone(timezone.utc).replace(microsecond=0))


@dataclass
class PaySession:
    """One payment on one call. ``shown`` maps each captured field to its masked value."""

    sid: str
    account_sid: str
    call_sid: str
    payment_method: str
    required: tuple[str, ...]
    charge_amount: float
    token_type: str | None
    card: CallerCard = TEST_CARD
    bank: CallerBankAccount = TEST_BANK_ACCOUNT
    state: SessionState = SessionState.ACTIVE
    shown: dict[str, str] = field(default_factory=dict)
    outcome: dict[str, str] = field(default_factory=dict)
    created: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    updated: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @classmethod
    def start(
        cls,
        account_sid: str,
        call_sid: str,
        form: Mapping[str, str],
        card: CallerCard = TEST_CARD,
        bank: CallerBankAccount = TEST_BANK_ACCOUNT,
    ) -> PaySession:
        """A session as createPayments' form fields describe it; bad values raise 64020."""
        method = form.get("PaymentMethod", "credit-card")
        if method == "credit-card":
            skipped = {f for f, flag in _OPTIONAL_CARD_FIELDS.items() if _false(form, flag)}
            fields = tuple(f for f in CARD_FIELDS if f not in skipped)
        elif method == "ach-debit":
            fields = BANK_FIELDS
        else:
            raise invalid_parameter("PaymentMethod must be credit-card or ach-debit.")
        matching = {m.strip() for m in form.get("RequireMatchingInputs", "").split(",") if m}
        unknown = sorted(matching - set(CARD_FIELDS))
        if unknown:
            raise invalid_parameter(f"RequireMatchingInputs names unknown fields: {unknown}.")
        required = fields + tuple(f + _MATCHER for f in fields if f in matching)
        return cls(
            sid=new_sid("PK"),
            account_sid=account_sid,
            call_sid=call_sid,
            payment_method=method,
            required=required,
            charge_amount=_amount(form.get("ChargeAmount", "0")),
            token_type=form.get("TokenType"),
            card=card,
            bank=bank,
        )

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(f for f in self.required if f not in self.shown)

    def update(self, capture: str | None, status: str | None) -> None:
        """Apply one updatePayments step, or raise the Pay error Twilio would give."""
        if (capture is None) == (status is None):
            raise SandboxError(400, 64018, "Exactly one of Capture or Status must be set.")
        if self.state is not SessionState.ACTIVE:
            raise SandboxError(
                400, 64021, f"Payment {self.sid} is already {self.state.value}; start a new one."
            )
        if capture is not None:
            self._capture(capture)
        elif status == "complete":
            self._complete()
        elif status == "cancel":
            self.state = SessionState.CANCELLED
            self.outcome = {"Result": "cancelled"}
        else:
            raise invalid_parameter("Status must be complete or cancel.")
        self.updated = datetime.now(timezone.utc)

    def resource(self) -> dict[str, Any]:
        """The Payments resource body: sids, dates and uri, never any payment data."""
        return {
            "account_sid": self.account_sid,
            "call_sid": self.call_sid,
            "sid": self.sid,
            "date_created": rfc2822(self.created),
            "date_updated": rfc2822(self.updated),
            "uri": (
                f"/2010-04-01/Accounts/{self.account_sid}/Calls/{self.call_sid}"
                f"/Payments/{self.sid}.json"
            ),
        }

    def _capture(self, name: str) -> None:
        if name not in self.required:
            raise invalid_parameter(
                f"Capture {name} is not collected in this session; it collects: "
                f"{', '.join(self.required)}."
            )
        base = name.removesuffix(_MATCHER)
        if name != base and base not in self.shown:
            raise SandboxError(400, 64021, f"Capture {base} before {name}.")
        self.shown[name] = self._keyed_in(base)

    def _keyed_in(self, name: str) -> str:
        """What the simulated caller types for ``name``, as it may be shown."""
        shown = {
            "payment-card-number": mask(self.card.number),
            "expiration-date": self.card.expiry_mmyy,
            "security-code": "x" * len(self.card.security_code),
            "postal-code": self.card.postal_code,
            "bank-routing-number": mask(self.bank.routing_number),
            "bank-account-number": mask(self.bank.account_number),
        }
        return shown[name]

    def _complete(self) -> None:
        if self.missing:
            raise SandboxError(
                400,
                64019,
                "Required payment information is incomplete; capture first: "
                + ", ".join(self.missing),
            )
        self.state = SessionState.COMPLETE
        self.outcome = {"Result": "success"}
        if self.charge_amount > 0:
            self.outcome["PaymentConfirmationCode"] = "SANDBOX-" + secrets.token_hex(4).upper()
        else:
            self.outcome["PaymentToken"] = "tok_sandbox_" + secrets.token_hex(8)
            self.outcome["TokenType"] = self.token_type or "reusable"


_OPTIONAL_CARD_FIELDS = {"security-code": "SecurityCode", "postal-code": "PostalCode"}


def _false(form: Mapping[str, str], name: str) -> bool:
    return form.get(name, "true").lower() == "false"


def _amount(text: str) -> float:
    try:
        amount = float(text or "0")
    except ValueError:
        raise invalid_parameter("ChargeAmount must be a decimal number.") from None
    if not 0 <= amount < 1_000_000:
        raise invalid_parameter("ChargeAmount must be at least 0 and below 1,000,000.")
    return amount
