"""A Pay session as a state machine: what is still required, what the caller has keyed in.

Only masked values are kept: the caller's digits go through the card check (card_check.py) and
are dropped; the session keeps what callbacks may show, the card's brand, and whether the
connector will decline it. For a field that a ``-matcher`` capture must match, a salted hash of
the entry is kept until the matcher is in.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from email.utils import format_datetime
from enum import Enum
from typing import Any

from .caller import BANK_FIELDS, CARD_FIELDS, MATCHER
from .card_check import DEFAULT_CARD_TYPES, Keyed, check_entry, entry_digest
from .errors import SandboxError, invalid_parameter

__all__ = [
    "BANK_ACCOUNT_TYPES",
    "TOKEN_TYPES",
    "PaySession",
    "SessionState",
    "iso8601",
    "new_sid",
    "rfc2822",
]


class SessionState(str, Enum):
    ACTIVE = "active"
    COMPLETE = "complete"
    CANCELLED = "cancelled"
    FAILED = "failed"  # declined by the connector, or the caller hung up


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def rfc2822(moment: datetime) -> str:
    """``Wed, 18 Dec 2019 20:02:01 +0000``, the date format of Twilio's 2010 API."""
    return format_datetime(moment.astimezone(timezone.utc).replace(microsecond=0))


def iso8601(moment: datetime) -> str:
    """``2019-12-18T20:02:01.123Z``, the date format observed in Pay callbacks."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z"


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
    bank_account_type: str | None = None
    card_types: frozenset[str] = DEFAULT_CARD_TYPES
    state: SessionState = SessionState.ACTIVE
    capturing: str | None = None
    shown: dict[str, str] = field(default_factory=dict)
    brand: str | None = None
    declined: bool = False
    outcome: dict[str, str] = field(default_factory=dict)
    created: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    updated: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    _salt: bytes = field(default_factory=lambda: secrets.token_bytes(16), repr=False)
    _to_match: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def start(cls, account_sid: str, call_sid: str, form: Mapping[str, str]) -> PaySession:
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
        if matching - set(CARD_FIELDS):
            raise invalid_parameter(
                f"RequireMatchingInputs may name only: {', '.join(CARD_FIELDS)}."
            )
        card_types = frozenset(form.get("ValidCardTypes", "").split()) or DEFAULT_CARD_TYPES
        # Both go into every callback: only Twilio's values, never whatever a client typed.
        token_type = _one_of(form, "TokenType", TOKEN_TYPES)
        bank_account_type = _one_of(form, "BankAccountType", BANK_ACCOUNT_TYPES)
        required = fields + tuple(f + MATCHER for f in fields if f in matching)
        return cls(
            sid=new_sid("PK"),
            account_sid=account_sid,
            call_sid=call_sid,
            payment_method=method,
            required=required,
            charge_amount=_amount(form.get("ChargeAmount", "0")),
            token_type=token_type,
            bank_account_type=bank_account_type,
            card_types=card_types,
        )

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(f for f in self.required if f not in self.shown)

    @property
    def tokenizing(self) -> bool:
        return self.charge_amount == 0

    def begin_capture(self, name: str) -> None:
        """updatePayments with Capture: the caller is asked for ``name``."""
        self._check_active()
        if name not in self.required:
            raise invalid_parameter(
                f"Capture names a field this session does not collect; it collects: "
                f"{', '.join(self.required)}."
            )
        base = name.removesuffix(MATCHER)
        if name != base and base not in self.shown:
            raise SandboxError(400, 64021, f"Capture {base} before {name}.")
        # Asked again: the earlier entry (and any match of it) no longer counts.
        self.shown.pop(name, None)
        if name == base:
            self.shown.pop(base + MATCHER, None)
        self.capturing = name
        self._touch()

    def finish_capture(self, name: str, digits: str, today: date) -> Keyed:
        """The caller keyed in ``digits`` for ``name``: check them, keep only what may be shown."""
        base = name.removesuffix(MATCHER)
        keyed = check_entry(base, digits, card_types=self.card_types, brand=self.brand, today=today)
        if keyed.error is None and name != base:
            if self._to_match.get(base) != entry_digest(self._salt, digits):
                keyed = Keyed(keyed.shown, "input-matching-failed")
            else:
                del self._to_match[base]
        if keyed.error is None:
            self.shown[name] = keyed.shown
            if base + MATCHER in self.required and name == base:
                self._to_match[base] = entry_digest(self._salt, digits)
            if base == "payment-card-number":
                self.brand, self.declined = keyed.brand, keyed.declined
        self.capturing = None
        self._touch()
        return keyed

    def time_out(self) -> None:
        """The caller keyed in nothing for the field being captured."""
        self.capturing = None
        self._touch()

    def hang_up(self) -> None:
        self._end(SessionState.FAILED, {"Result": "caller-hung-up"})

    def update_status(self, status: str) -> None:
        """updatePayments with Status: complete or cancel, or the Pay error Twilio would give."""
        self._check_active()
        if status == "cancel":
            self._end(SessionState.CANCELLED, {"Result": "cancelled"})
        elif status == "complete":
            self._complete()
        else:
            raise invalid_parameter("Status must be complete or cancel.")

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

    def _check_active(self) -> None:
        if self.state is not SessionState.ACTIVE:
            raise SandboxError(
                400, 64021, f"Payment {self.sid} is already {self.state.value}; start a new one."
            )

    def _complete(self) -> None:
        if self.capturing is not None:
            raise SandboxError(
                400,
                64021,
                f"The caller is still entering {self.capturing}; wait for its callback with "
                "PartialResult=false, then complete.",
            )
        if self.missing:
            raise SandboxError(
                400,
                64019,
                "Required payment information is incomplete; capture first: "
                + ", ".join(self.missing),
            )
        if self.declined:
            code = 64010 if self.tokenizing else 64012
            self._end(
                SessionState.FAILED,
                {
                    "Result": "payment-connector-error",
                    "PaymentError": "card is declined",
                    "PayErrorCode": str(code),
                },
            )
        elif self.tokenizing:
            token = "tok_sandbox_" + secrets.token_hex(8)
            self._end(SessionState.COMPLETE, {"Result": "success", "PaymentToken": token})
        else:
            confirmation = "SANDBOX-" + secrets.token_hex(4).upper()
            self._end(
                SessionState.COMPLETE,
                {"Result": "success", "PaymentConfirmationCode": confirmation},
            )

    def _end(self, state: SessionState, outcome: dict[str, str]) -> None:
        self.state, self.outcome, self.capturing = state, outcome, None
        self._to_match.clear()
        self._touch()

    def _touch(self) -> None:
        self.updated = datetime.now(timezone.utc)


_OPTIONAL_CARD_FIELDS = {"security-code": "SecurityCode", "postal-code": "PostalCode"}
# Twilio's enumerations (payments_enum_token_type, payments_enum_bank_account_type).
TOKEN_TYPES = ("one-time", "reusable", "payment-method")
BANK_ACCOUNT_TYPES = ("consumer-checking", "consumer-savings", "commercial-checking")
_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _one_of(form: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    value = form.get(name)
    if value is not None and value not in allowed:
        # The value itself is not repeated: a client may have typed anything there.
        raise invalid_parameter(f"{name} must be one of: {', '.join(allowed)}.")
    return value


def _false(form: Mapping[str, str], name: str) -> bool:
    return form.get(name, "true").lower() == "false"


def _amount(text: str) -> float:
    # Blank tokenizes, as Twilio's description says; fullmatch: float() would also take
    # " 5", "1_0", "nan" and other scripts' digits.
    if text and _DECIMAL.fullmatch(text) is None:
        raise invalid_parameter("ChargeAmount must be a decimal number.")
    amount = float(text or "0")
    if not 0 <= amount < 1_000_000:
        raise invalid_parameter("ChargeAmount must be at least 0 and below 1,000,000.")
    return amount
