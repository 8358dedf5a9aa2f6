"""The types Twilio's description gives the Payments form fields that the sandbox otherwise
does not read: a value that breaks them is refused (400, code 64020) before anything changes, as
Twilio refuses it. The fields a session reads (PaymentMethod, TokenType, BankAccountType,
ChargeAmount, Capture, Status) are checked where they are read, in session.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from ..tools.formats import INPUT_FORMATS
from .errors import invalid_parameter

__all__ = ["check_create_form", "check_update_form"]


def check_create_form(form: Mapping[str, str]) -> None:
    """createPayments' fields; 64020 naming the first that breaks its type."""
    _check(form, _CREATE)


def check_update_form(form: Mapping[str, str]) -> None:
    """updatePayments' fields; 64020 naming the first that breaks its type."""
    _check(form, _UPDATE)


Rule = tuple[Callable[[str], bool], str]

_INTEGER = re.compile(r"-?[0-9]+")


def _integer(value: str) -> bool:
    # fullmatch on ASCII digits: int() would also take " 5", "1_0" and other scripts' digits.
    return _INTEGER.fullmatch(value) is not None


def _boolean(value: str) -> bool:
    return value.lower() in ("true", "false")


def _http_url(value: str) -> bool:
    # Where Twilio can post: the library's own check of the same field.
    return INPUT_FORMATS.conforms(value, "http-url")


_CALLBACK: dict[str, Rule] = {
    "StatusCallback": (_http_url, "an absolute http or https URL"),
}
_CREATE = {
    **_CALLBACK,
    "MinPostalCodeLength": (_integer, "an integer"),
    "Timeout": (_integer, "an integer"),
    "PostalCode": (_boolean, "true or false"),
    "SecurityCode": (_boolean, "true or false"),
    "Confirmation": (lambda value: value in ("true", "false"), "one of: true, false"),
}
_UPDATE = _CALLBACK


def _check(form: Mapping[str, str], rules: Mapping[str, Rule]) -> None:
    for name, (conforms, expected) in rules.items():
        value = form.get(name)
        if value is not None and not conforms(value):
            # The value itself is not repeated: a client may have typed anything there.
            raise invalid_parameter(f"{name} must be {expected}.")
