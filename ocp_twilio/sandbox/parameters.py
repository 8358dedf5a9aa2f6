"""The types Twilio's description gives the form fields that the sandbox otherwise does not
read: a value that breaks them is refused before anything changes, as Twilio refuses it (400,
code 64020 for Payments; for texts and calls 20001, the sandbox's choice: Twilio publishes no
one code). The fields a session reads (PaymentMethod, TokenType, BankAccountType, ChargeAmount,
Capture, Status) are checked where they are read, in session.py; those a text or call reads, in
messaging.py and voice.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from ..tools.formats import INPUT_FORMATS
from .errors import SandboxError, bad_request, invalid_parameter
from .recipients import Recipient, is_e164, recipient

__all__ = [
    "check_call_form",
    "check_call_list_query",
    "check_call_update_form",
    "check_create_form",
    "check_message_form",
    "check_to",
    "check_update_form",
]


def check_create_form(form: Mapping[str, str]) -> None:
    """createPayments' fields; 64020 naming the first that breaks its type."""
    _check(form, _CREATE, invalid_parameter)


def check_update_form(form: Mapping[str, str]) -> None:
    """updatePayments' fields; 64020 naming the first that breaks its type."""
    _check(form, _CALLBACK, invalid_parameter)


def check_message_form(form: Mapping[str, str]) -> None:
    """createMessage's fields; 20001 naming the first that breaks its type."""
    _check(form, _MESSAGE, bad_request)


def check_call_form(form: Mapping[str, str]) -> None:
    """createCall's fields; 20001 naming the first that breaks its type."""
    _check(form, _CALL, bad_request)


def check_call_update_form(form: Mapping[str, str]) -> None:
    """updateCall's fields; 20001 naming the first that breaks its type."""
    _check(form, _CALL_UPDATE, bad_request)


def check_call_list_query(query: Mapping[str, str]) -> None:
    """listCall's Status and ParentCallSid; 20001 naming the first that breaks its type."""
    _check(query, _CALL_LIST, bad_request)


def check_to(to: str) -> Recipient:
    """Who a text or call goes to; 21211 where ``to`` is no E.164 number or no such number."""
    person = recipient(to)
    if not is_e164(to) or person.invalid:
        raise SandboxError(400, 21211, "Invalid 'To' Phone Number: give a valid E.164 number.")
    return person


Rule = tuple[Callable[[str], bool], str]

_INTEGER = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


def _integer(value: str) -> bool:
    # fullmatch on ASCII digits: int() would also take " 5", "1_0" and other scripts' digits.
    return _INTEGER.fullmatch(value) is not None


def _boolean(value: str) -> bool:
    return value.lower() in ("true", "false")


def _number(value: str) -> bool:
    return _NUMBER.fullmatch(value) is not None


def _date_time(value: str) -> bool:
    return INPUT_FORMATS.conforms(value, "date-time")


def _sid(prefix: str) -> Rule:
    pattern = re.compile(prefix + "[0-9a-fA-F]{32}")
    return (lambda value: pattern.fullmatch(value) is not None, f"{prefix} and 32 hex digits")


def _one_of(*values: str) -> Rule:
    return (lambda value: value in values, "one of: " + ", ".join(values))


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
_INTEGER_RULE: Rule = (_integer, "an integer")
_BOOLEAN_RULE: Rule = (_boolean, "true or false")
_METHOD = _one_of("GET", "POST")
_MESSAGE: dict[str, Rule] = {
    "ApplicationSid": _sid("AP"),
    "ContentSid": _sid("HX"),
    "MaxPrice": (_number, "a number"),
    "Attempt": _INTEGER_RULE,
    "ValidityPeriod": _INTEGER_RULE,
    "ContentRetention": _one_of("retain", "discard"),
    "AddressRetention": _one_of("retain", "obfuscate"),
    "TrafficType": _one_of("free"),
    "ScheduleType": _one_of("fixed"),
    "SendAt": (_date_time, "an ISO 8601 date-time"),
    "RiskCheck": _one_of("enable", "disable"),
    **{
        name: _BOOLEAN_RULE
        for name in ("ProvideFeedback", "ForceDelivery", "SmartEncoded", "ShortenUrls", "SendAsMms")
    },
}
_CALL_UPDATE: dict[str, Rule] = {
    **{name: _METHOD for name in ("Method", "FallbackMethod", "StatusCallbackMethod")},
    "TimeLimit": _INTEGER_RULE,
}
_CALL_LIST: dict[str, Rule] = {
    "Status": _one_of(
        "queued", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled"
    ),
    "ParentCallSid": _sid("CA"),
}
_CALL: dict[str, Rule] = {
    **_CALL_UPDATE,
    **{name: _METHOD for name in ("RecordingStatusCallbackMethod", "AsyncAmdStatusCallbackMethod")},
    "Record": _BOOLEAN_RULE,
    "ApplicationSid": _sid("AP"),
    "Byoc": _sid("BY"),
    **{
        name: _INTEGER_RULE
        for name in (
            "Timeout",
            "MachineDetectionTimeout",
            "MachineDetectionSpeechThreshold",
            "MachineDetectionSpeechEndThreshold",
            "MachineDetectionSilenceTimeout",
        )
    },
}


def _check(
    form: Mapping[str, str], rules: Mapping[str, Rule], refuse: Callable[[str], SandboxError]
) -> None:
    for name, (conforms, expected) in rules.items():
        value = form.get(name)
        if value is not None and not conforms(value):
            # The value itself is not repeated: a client may have typed anything there.
            raise refuse(f"{name} must be {expected}.")
