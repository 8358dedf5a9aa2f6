"""A Pay session's progress, folded from its StatusCallbacks; only masked values are kept.

Twilio posts a callback after every step and while the caller types. Callbacks can arrive twice
(Twilio retries) or out of order, so the state is a set of registers, each set by the newest
callback that carries it, newest by ``(DateUpdated or DateCreated, stage, arrival)``: a late,
older callback never overwrites a newer one, an outcome (Result) is never undone, and a
callback without dates never outranks one with them.

Only the fields Twilio documents are read (:func:`kept_fields`), and of those only values that
are masked as Twilio masks them: a value that looks like a full card, security code or bank
account number is dropped before anything is stored, returned or logged.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

__all__ = [
    "ERROR_TYPES",
    "CallbackEvent",
    "PaymentProgress",
    "apply_event",
    "callback_event",
    "digest",
    "error_sentence",
    "fields_digest",
    "kept_fields",
    "picked",
]

# The masked values, as the model sees them under "entered".
_MASKED_FIELDS = {
    "PaymentCardNumber": "card_number",
    "PaymentCardType": "card_type",
    "ExpirationDate": "expiration_date",
    "SecurityCode": "security_code",
    "PaymentCardPostalCode": "postal_code",
    "BankAccountNumber": "bank_account_number",
    "BankRoutingNumber": "bank_routing_number",
}
# The masked values a Capture asks for again: a new entry replaces what was typed before.
_CAPTURED_FIELDS = {
    "payment-card-number": ("PaymentCardNumber", "PaymentCardType"),
    "expiration-date": ("ExpirationDate",),
    "security-code": ("SecurityCode",),
    "postal-code": ("PaymentCardPostalCode",),
    "bank-account-number": ("BankAccountNumber",),
    "bank-routing-number": ("BankRoutingNumber",),
}
_SESSION_FIELDS = (
    "AccountSid",
    "CallSid",
    "PaymentConnector",
    "PaymentMethod",
    "ChargeAmount",
    "Currency",
    "TokenType",
    "BankAccountType",
)
_STEP_FIELDS = ("Capture", "PartialResult", "ErrorType")
_OUTCOME_FIELDS = (
    "Result",
    "PaymentConfirmationCode",
    "PaymentToken",
    "ProfileId",
    "PaymentError",
    "PayErrorCode",
    "ConnectorError",
)
_DATES = ("DateCreated", "DateUpdated")
_KNOWN = frozenset(
    ("Sid", "Required", *_DATES, *_SESSION_FIELDS, *_STEP_FIELDS, *_OUTCOME_FIELDS, *_MASKED_FIELDS)
)

_SID = re.compile(r"(AC|CA|PK)[0-9a-fA-F]{32}")
_DIGIT = re.compile(r"\d")
# Twelve digits or more, single spaces or dashes between them allowed: a card or account number.
_LONG_NUMBER = re.compile(r"\d(?:[ -]?\d){11,}")
# What Twilio's masks are made of: "xxxxxxxxxxxx1111", "xxxx-xxxxxx-x4001", "***".
_MASK_TEXT = re.compile(r"[0-9xX*#• -]{1,32}")
# Digits a value may show in clear: card number last 4, bank account last 2, none of the code.
_VISIBLE_DIGITS = {
    "PaymentCardNumber": 4,
    "SecurityCode": 0,
    "BankAccountNumber": 2,
    "ExpirationDate": 4,
}
_CLEAR_FORMATS = {
    "PaymentCardPostalCode": re.compile(r"[A-Za-z0-9 -]{1,10}"),
    "BankRoutingNumber": re.compile(r"\d{9}"),
    "PaymentCardType": re.compile(r"[a-z-]{1,20}"),
    "ChargeAmount": re.compile(r"\d{1,7}(\.\d{1,2})?"),
    "PayErrorCode": re.compile(r"\d{1,6}"),
}
_MAX_TEXT = 500


def picked(
    params: Mapping[str, str] | Sequence[tuple[str, str]],
    wanted: Collection[str],
    well_formed: Callable[[str, str], bool],
    aliases: Mapping[str, str] = {},
) -> dict[str, str]:
    """The fields of ``params`` named in ``wanted`` (after ``aliases``: an old name to its
    current one) whose values are ``well_formed``, in the order given.

    A field given more than once keeps its first well-formed value.
    """
    pairs = params.items() if isinstance(params, Mapping) else params
    kept: dict[str, str] = {}
    for name, value in pairs:
        name = aliases.get(name, name)
        if name in wanted and name not in kept and well_formed(name, value):
            kept[name] = value
    return kept


def kept_fields(params: Mapping[str, str] | Sequence[tuple[str, str]]) -> dict[str, str]:
    """The documented fields of a callback whose values are safe to keep; the rest is dropped.

    A field given more than once keeps its first value.
    """
    return picked(params, _KNOWN, _safe_value)


@dataclass(frozen=True)
class CallbackEvent:
    """One callback of one resource (a Pay session, a message, a call, a conversation), its
    unsafe values dropped; ``digest`` names duplicates, ``kind`` the kind of callback."""

    sid: str
    fields: Mapping[str, str]
    digest: bytes
    when: datetime | None
    kind: str = "pay"

    @property
    def stage(self) -> int:
        """Later stages win ties of time: typing, then entered, then the outcome."""
        if "Result" in self.fields:
            return 2
        return 0 if self.fields.get("PartialResult") == "true" else 1


def callback_event(fields: Mapping[str, str]) -> CallbackEvent | None:
    """The event of a callback's kept fields; None without a Pay session Sid (PK…)."""
    sid = fields.get("Sid", "")
    if not sid.startswith("PK"):
        return None
    when = None
    for name in ("DateUpdated", "DateCreated"):
        if name in fields:
            when = _parse_date(fields[name])
            break
    return CallbackEvent(sid, dict(fields), fields_digest(fields), when)


# (time, stage, arrival): the newest event is the greatest.
Order = tuple[float, int, int]
_UNDATED = -math.inf


@dataclass(frozen=True)
class PaymentProgress:
    """What the callbacks of one Pay session have said so far; each register keeps its order."""

    sid: str
    version: int = 0
    session: Mapping[str, str] = field(default_factory=dict)
    step: Mapping[str, str] = field(default_factory=dict)
    required: tuple[str, ...] | None = None
    entered: Mapping[str, str] = field(default_factory=dict)
    outcome: Mapping[str, str] = field(default_factory=dict)
    orders: Mapping[str, Order] = field(default_factory=dict)

    def for_model(self) -> dict[str, Any]:
        """The progress as the progress tools return it."""
        capture = self.step.get("Capture")
        view: dict[str, Any] = {
            "sid": self.sid,
            "version": self.version,
            "capturing": capture,
            "typing": self.step.get("PartialResult") == "true",
            "required": list(self.required) if self.required is not None else None,
            "entered": {_MASKED_FIELDS[k]: v for k, v in sorted(self.entered.items())},
        }
        error = self.step.get("ErrorType")
        if error:
            view["error"] = {"type": error, "what_to_do": error_sentence(error, capture)}
        if self.outcome:
            view["result"] = {_snake(k): v for k, v in self.outcome.items()}
        view["next_step"] = self._next_step()
        return view

    def _next_step(self) -> str:
        result = self.outcome.get("Result")
        if result is not None:
            return _result_sentence(result, self.outcome)
        if self.version == 0:
            return "No callback has come for this session yet: wait with waitForPaymentUpdate."
        capture = self.step.get("Capture")
        error = self.step.get("ErrorType")
        if error:
            return error_sentence(error, capture)
        if capture and self.step.get("PartialResult") == "true":
            return f"The caller is still entering {capture}: wait with waitForPaymentUpdate."
        if self.required:
            done = f"{capture} was entered. " if capture else ""
            return f"{done}Capture {self.required[0]} next with updatePayments."
        if self.required is not None:
            return "Every required field is entered: call updatePayments with Status=complete."
        return "The session has started: capture payment-card-number with updatePayments."


def apply_event(state: PaymentProgress, event: CallbackEvent, arrival: int) -> PaymentProgress:
    """``state`` with ``event`` folded in: each register takes the event only if it is newer."""
    orders = dict(state.orders)
    changes: dict[str, Any] = {"version": state.version + 1, "orders": orders}

    def newer(register: str, stage: int | None = None) -> bool:
        previous = orders.get(register)
        # Twilio dates every callback; one without dates (a signed callback re-split so that its
        # dates fall into another field's value) ranks below every dated one.
        when = event.when.timestamp() if event.when else _UNDATED
        order = (when, event.stage if stage is None else stage, arrival)
        if previous is not None and order < previous:
            return False
        orders[register] = order
        return True

    fields = event.fields
    session = {k: fields[k] for k in _SESSION_FIELDS if k in fields}
    if session and newer("session"):
        changes["session"] = {**state.session, **session}
    # Typing then entered is an order within one field; the next field is newer by time alone.
    previous_step = orders.get("step")
    other_field = previous_step is not None and fields.get("Capture") != state.step.get("Capture")
    step_stage = previous_step[1] if previous_step is not None and other_field else None
    if "Capture" in fields and newer("step", step_stage):
        changes["step"] = {k: fields[k] for k in _STEP_FIELDS if k in fields}
    if "Required" in fields and newer("required"):
        changes["required"] = _required(fields["Required"])
    entered = dict(state.entered)
    for name in _MASKED_FIELDS:
        if name in fields and newer(name):
            entered[name] = fields[name]
    # The caller typing a field anew: what they typed for it before no longer stands.
    if fields.get("PartialResult") == "true":
        for name in _CAPTURED_FIELDS.get(fields.get("Capture", ""), ()):
            if name not in fields and name in entered and newer(name):
                del entered[name]
    if entered != state.entered:
        changes["entered"] = entered
    if "Result" in fields and newer("outcome"):
        changes["outcome"] = {k: fields[k] for k in _OUTCOME_FIELDS if k in fields}
    return replace(state, **changes)


def error_sentence(error_type: str, capture: str | None) -> str:
    """What an ErrorType means and what the model should do next."""
    again = f"then capture {capture} again" if capture else "then capture the field again"
    sentence = _ERROR_SENTENCES.get(error_type)
    if sentence is None:
        return f"Twilio reported {error_type}: ask the caller to try again, {again}, or cancel."
    return sentence.format(again=again, field=capture or "the field")


_ERROR_SENTENCES = {
    "input-timeout": "The caller entered nothing in time: ask them to key in {field}, {again}.",
    "invalid-card-number": (
        "The card number was not valid: ask the caller to enter it again, "
        "then capture payment-card-number again."
    ),
    "invalid-card-type": (
        "The card's brand is not accepted: ask the caller for another card, "
        "then capture payment-card-number again."
    ),
    "invalid-date": (
        "The expiration date was not valid or has passed: ask the caller to enter it again "
        "(MMYY), then capture expiration-date again."
    ),
    "invalid-security-code": (
        "The security code was not valid: ask the caller to enter it again, "
        "then capture security-code again."
    ),
    "invalid-postal-code": (
        "The postal code was not valid: ask the caller to enter it again, "
        "then capture postal-code again."
    ),
    "invalid-bank-routing-number": (
        "The routing number was not valid: ask the caller to enter it again, "
        "then capture bank-routing-number again."
    ),
    "invalid-bank-account-number": (
        "The account number was not valid: ask the caller to enter it again, "
        "then capture bank-account-number again."
    ),
    "invalid-bank-account-type": (
        "The bank account type was not accepted: cancel this session (Status=cancel) and start "
        "a new one with the right BankAccountType."
    ),
    "invalid-card-number-security-code-capture-sequence": (
        "The security code can only be captured after the card number: "
        "capture payment-card-number first."
    ),
    "input-matching-failed": (
        "The two entries did not match: ask the caller to enter {field} again, {again}."
    ),
    "session-in-progress": (
        "Another capture is still running: wait with waitForPaymentUpdate before the next "
        "updatePayments."
    ),
    "internal-error": (
        "Twilio had an internal error: try the same capture once more; if it repeats, "
        "cancel the payment."
    ),
}
# The <Prompt> page spells it "timeout".
_ERROR_SENTENCES["timeout"] = _ERROR_SENTENCES["input-timeout"]
ERROR_TYPES = tuple(_ERROR_SENTENCES)
"""The ErrorType values Twilio documents, each with its sentence in :func:`error_sentence`."""


def _result_sentence(result: str, outcome: Mapping[str, str]) -> str:
    if result == "success":
        code = outcome.get("PaymentConfirmationCode")
        token = outcome.get("PaymentToken")
        done = f" (confirmation code {code})" if code else f" (token {token})" if token else ""
        return f"The payment went through{done}: tell the caller. Nothing more to capture."
    reason = outcome.get("PaymentError") or outcome.get("ConnectorError")
    because = f" ({reason})" if reason else ""
    sentence = _RESULT_SENTENCES.get(result, f"The payment ended with {result}")
    return f"{sentence}{because}. {_RESULT_ADVICE}"


_RESULT_SENTENCES = {
    "payment-connector-error": "The payment processor refused the payment",
    "caller-interrupted-with-star": "The caller pressed * and left the payment",
    "caller-hung-up": "The caller hung up before the payment was finished",
    "validation-error": "Twilio refused the payment details",
    "too-many-failed-attempts": "The caller failed too many attempts",
    "internal-error": "Twilio had an internal error; no payment was made",
}
_RESULT_ADVICE = (
    "This session is over: tell the caller, and start a new payment with createPayments "
    "if they want to try again."
)


def _safe_value(name: str, value: str) -> bool:
    if len(value) > _MAX_TEXT:
        return False
    if name in ("Sid", "AccountSid", "CallSid"):
        return _SID.fullmatch(value) is not None
    if name in _VISIBLE_DIGITS:
        return bool(_MASK_TEXT.fullmatch(value)) and (
            len(_DIGIT.findall(value)) <= _VISIBLE_DIGITS[name]
        )
    clear = _CLEAR_FORMATS.get(name)
    if clear is not None:
        return clear.fullmatch(value) is not None
    if name in _DATES:
        return _parse_date(value) is not None
    return _LONG_NUMBER.search(value) is None


def _parse_date(text: str) -> datetime | None:
    """ISO 8601 (as observed in callbacks) or RFC 2822 (as the REST resources write dates)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _required(text: str) -> tuple[str, ...]:
    # One documented example spells the capture names in PascalCase (ExpirationDate).
    return tuple(_kebab(part.strip()) for part in text.split(",") if part.strip())


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower() if "-" not in name else name.lower()


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def digest(text: str) -> bytes:
    """The digest that tells a callback's duplicates apart from other callbacks."""
    # 128 bits tell duplicates apart as surely as 256, in half the memory of each kept digest.
    return hashlib.sha256(text.encode("utf-8")).digest()[:16]


def fields_digest(fields: Mapping[str, str]) -> bytes:
    """The digest of a callback's kept fields, whatever order they came in."""
    return digest("&".join(f"{k}={fields[k]}" for k in sorted(fields)))
