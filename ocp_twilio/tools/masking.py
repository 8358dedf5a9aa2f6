"""What an approval request, a dry run and the audit may show of a call: card data and secrets
masked, everything else as it would be sent.

A value is masked whole where its argument's name is a secret's (a password, token, key or
credential, a card's number or security code); elsewhere, each run of 13 to 19 digits that
passes the Luhn check, as a card number does, keeps only its last four digits. Phone numbers
start with "+" and are never taken for cards.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = [
    "MASK",
    "is_credential",
    "masked_arguments",
    "masked_body",
    "masked_secrets",
    "masked_text",
]

MASK = "***"
_SECRET_NAME = re.compile(
    r"pass(word|code)|secret|token$|auth|credential|api.?key|private|cvv|cvc|security.?code"
    r"|card.?number|account.?number|routing",
    re.IGNORECASE,
)
_NOT_SECRET = frozenset({"IdempotencyKey", "TokenType"})
# In an answer, card data is masked already (Twilio's, and the progress store's): only the
# credentials an answer may hold are secrets there.
_CREDENTIAL_NAME = re.compile(r"pass(word|code)|secret|token$|api.?key|private", re.IGNORECASE)
_DIGIT_RUN = re.compile(r"(?<![+\d])\d(?:[ -]?\d){12,18}(?!\d)")


def is_secret_name(name: str) -> bool:
    """Whether a value of this name is a secret's (a password, token, key, credential, card
    number or security code); a SID or URL never is (``CredentialSid``, ``auth_url``)."""
    return _named(name, _SECRET_NAME)


def is_credential_name(name: str) -> bool:
    """Whether a value of this name in an answer is a credential (an account's auth_token, a
    key's secret); a SID or URL never is."""
    return _named(name, _CREDENTIAL_NAME)


def is_credential(key: str, value: Any) -> bool:
    """Whether the field ``key`` of an answer holds a credential to mask: a non-empty string
    under a credential's name."""
    return isinstance(value, str) and bool(value) and is_credential_name(key)


def _named(name: str, secret: re.Pattern[str]) -> bool:
    if name in _NOT_SECRET or name.lower().endswith(("sid", "url", "uri")):
        return False
    return secret.search(name) is not None


def masked_secrets(value: Any) -> Any:
    """``value`` (an answer) with the strings of credential-named fields masked (a copy): an
    account's ``auth_token`` never reaches a model."""
    if isinstance(value, list):
        return [masked_secrets(item) for item in value]
    if not isinstance(value, dict):
        return value
    return {
        key: MASK if is_credential(str(key), item) else masked_secrets(item)
        for key, item in value.items()
    }


def masked_arguments(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``arguments`` with secrets and card numbers masked (a copy)."""
    return {str(k): _masked_value(str(k), v) for k, v in arguments.items()}


def masked_body(body: bytes | None, content_type: str | None) -> str | None:
    """A request body as text, masked as its arguments would be."""
    if body is None:
        return None
    text = body.decode("utf-8", "replace")
    if content_type == "application/x-www-form-urlencoded":
        pairs = parse_qsl(text, keep_blank_values=True)
        return urlencode([(k, _masked_value(k, v)) for k, v in pairs])
    if content_type == "application/json":
        try:
            return json.dumps(_masked_value("", json.loads(text)), ensure_ascii=False)
        except ValueError:
            pass
    return masked_text(text)


def masked_text(text: str) -> str:
    """``text`` with every card-like digit run masked."""
    return _DIGIT_RUN.sub(_card_masked, text)


def _masked_value(name: str, value: Any) -> Any:
    if is_secret_name(name):
        return MASK
    if isinstance(value, str):
        return masked_text(value)
    if isinstance(value, Mapping):
        return {str(k): _masked_value(str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked_value(name, item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return int(masked_text(str(value))) if masked_text(str(value)).isdigit() else MASK
    return value


def _card_masked(found: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", found.group())
    if not _luhn(digits):
        return found.group()
    return "x" * (len(digits) - 4) + digits[-4:]


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0
