"""A tool's calls on the wire: the template made once per tool, filled in on every call.

Filling a template makes a PreparedRequest: the path, query, body and headers as Twilio reads
them (arrays repeat their name, booleans are ``true``/``false``, numbers never take the exponent
form), before the host and the auth, which are the dispatcher's.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from string import Formatter
from typing import Any, NamedTuple
from urllib.parse import quote, quote_plus

from .._exceptions import ArgumentError, InvalidArguments
from ..specs.methods import IDEMPOTENT_METHODS
from ..specs.model import BodyEncoding, OperationSpec, ParameterSpec
from .headers import FORBIDDEN_IN_HEADER_VALUE

__all__ = [
    "IDEMPOTENCY_KEY",
    "STATUS_CALLBACK",
    "CallTemplate",
    "PreparedRequest",
    "idempotent",
    "query_string",
]

# Arguments the application owns: the model may leave them out (see Tool).
IDEMPOTENCY_KEY = "IdempotencyKey"
STATUS_CALLBACK = "StatusCallback"


class PreparedRequest(NamedTuple):
    """What goes on the wire, before host and auth: filled in from a tool's template.

    A NamedTuple, not a frozen dataclass: as immutable, and made on every call in under a third of
    the time."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    # True where Twilio deduplicates a repeated request (see idempotent).
    idempotent: bool = False


def idempotent(method: str, sends_key: bool) -> bool:
    """Whether repeating a request changes nothing more: its method is idempotent, or it sends
    an IdempotencyKey, by which Twilio deduplicates repeats. Retries keep to this rule."""
    return sends_key or method in IDEMPOTENT_METHODS


class CallTemplate:
    """How the calls of one tool go on the wire, made once from its spec.

    ``pinned`` values (the operator's: a policy's pins, the StatusCallback) are sent on every
    call whatever the arguments say; ``makes_key``
    makes an IdempotencyKey for each call that gives none. A slotted class rather than a tuple:
    ``fill`` reads its fields on every call, and a slot is read faster than a NamedTuple's field.
    """

    __slots__ = (
        "body_encoding",
        "body_keys",
        "credentials",
        "headers",
        "makes_key",
        "method",
        "path_format",
        "path_names",
        "pinned",
        "query",
        "tool",
    )

    def __init__(
        self,
        spec: OperationSpec,
        *,
        tool: str,
        pinned: Mapping[str, Any] | None = None,
        makes_key: bool = False,
    ) -> None:
        self.tool = tool  # the name its errors give
        self.method = spec.method
        self.path_format, self.path_names = _path_template(spec)
        self.query = spec.parameters_in("query")
        self.headers = spec.parameters_in("header")
        self.body_encoding: BodyEncoding | None = spec.body_encoding
        # (argument name, key as sent) of each body parameter; a form's key escaped and followed
        # by "=", made once.
        body = spec.parameters_in("body")
        if spec.body_encoding == "json":
            self.body_keys = tuple((p.name, p.sent_as) for p in body)
        else:
            self.body_keys = tuple((p.name, _escaped(p.sent_as, quote_plus) + "=") for p in body)
        # (argument name, field of the credentials that fills it where the call gives none)
        self.credentials = tuple(
            (p.name, p.from_credentials) for p in spec.parameters if p.from_credentials
        )
        self.pinned = dict(pinned) if pinned else None
        self.makes_key = makes_key

    def fill(self, arguments: Mapping[str, Any], defaults: Mapping[str, str]) -> PreparedRequest:
        """The request of one call with valid ``arguments``; ``defaults`` supplies the values
        of the credentials (the account SID) the call may leave out."""
        values = arguments
        for name, source in self.credentials:
            if name not in values and source in defaults:
                values = {**values, name: defaults[source]}
        if self.pinned:
            values = {**values, **self.pinned}
        if self.makes_key and IDEMPOTENCY_KEY not in values:
            values = {**values, IDEMPOTENCY_KEY: new_idempotency_key()}
        method = self.method
        path = self.path_format.format(
            *[_escaped(_wire_text(values[n]), quote) for n in self.path_names]
        )
        body, content_type = self._body(values) if self.body_encoding else (None, None)
        return PreparedRequest(
            method,
            path,
            _pairs(self.query, values) if self.query else (),
            body,
            content_type,
            self._header_pairs(values) if self.headers else (),
            idempotent(method, _is_key(values.get(IDEMPOTENCY_KEY))),
        )

    def _body(self, values: Mapping[str, Any]) -> tuple[bytes, str]:
        if self.body_encoding == "json":
            document = {key: values[name] for name, key in self.body_keys if name in values}
            return _json_text(document).encode(), "application/json"
        # As _pairs, then "&".join of escaped "key=value": arrays repeat the key, one per item.
        parts: list[str] = []
        for name, key in self.body_keys:
            if name not in values:
                continue
            value = values[name]
            if isinstance(value, list):
                parts.extend(key + _escaped(_wire_text(item), quote_plus) for item in value)
            else:
                parts.append(key + _escaped(_wire_text(value), quote_plus))
        return "&".join(parts).encode("ascii"), "application/x-www-form-urlencoded"

    def _header_pairs(self, values: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
        """Header arguments as pairs; one that could split the request is refused, unsent."""
        pairs = _pairs(self.headers, values)
        refused = {sent_as for sent_as, text in pairs if FORBIDDEN_IN_HEADER_VALUE(text)}
        if refused:
            problems = [
                ArgumentError((p.name,), _FORBIDDEN_IN_HEADER_MESSAGE, "pattern")
                for p in self.headers
                if p.sent_as in refused
            ]
            raise InvalidArguments(self.tool, problems)
        return pairs


def query_string(pairs: tuple[tuple[str, str], ...]) -> str:
    """``pairs`` as a URL's encoded query: what yarl's ``update_query(pairs)`` writes."""
    return "&".join(
        f"{_escaped(name, _query_quote)}={_escaped(value, _query_quote)}" for name, value in pairs
    )


def new_idempotency_key() -> str:
    """A key for one call: random, so that no two calls of any process share one."""
    return f"ocp-{uuid.uuid4().hex}"


_FORBIDDEN_IN_HEADER_MESSAGE = (
    "must not contain line breaks, other control characters or unpaired surrogates: it is sent "
    "as an HTTP header"
)


def _path_template(spec: OperationSpec) -> tuple[str, tuple[str, ...]]:
    """The path with numbered placeholders, and the argument filling each: str.format's
    positional form is the cheapest way to fill it."""
    argument_of = {p.sent_as: p.name for p in spec.parameters_in("path")}
    numbered: list[str] = []
    names: list[str] = []
    for literal, field, _, _ in Formatter().parse(spec.path):
        numbered.append(literal.replace("{", "{{").replace("}", "}}"))
        if field is not None:
            numbered.append(f"{{{len(names)}}}")
            names.append(argument_of[field])
    return "".join(numbered), tuple(names)


def _is_key(value: Any) -> bool:
    """Whether ``value`` deduplicates a repeat: "" or " " is no key at all."""
    return isinstance(value, str) and not value.isspace() and value != ""


_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch

# The characters yarl's update_query leaves as they are in a query's keys and values, so that a
# query made here is byte for byte the one yarl made before (and aiohttp would make).
_QUERY_SAFE = "?/:@!$'()*,"


def _query_quote(text: str, safe: str = "") -> str:
    """quote_plus as yarl's update_query escapes a query's keys and values."""
    return quote_plus(text, safe=_QUERY_SAFE + safe)


# Each escape of every ASCII character (with safe=""), for str.translate.
_ASCII_ESCAPES: dict[Callable[..., str], dict[int, str]] = {
    escape: {c: escape(chr(c), safe="") for c in range(128)}
    for escape in (quote, quote_plus, _query_quote)
}


def _escaped(text: str, escape: Callable[..., str]) -> str:
    """``escape(text, safe="")`` as urlencode does it, skipped for text that needs none (SIDs).

    ASCII text is escaped by a table of the same function's answers, a fraction of its cost.
    """
    # ASCII letters and digits (SIDs, most values) first: bytes answer isalnum() in a third of
    # the time str takes, and both in less than the regex.
    if (text.isascii() and text.encode().isalnum()) or _UNRESERVED(text):
        return text
    if text.isascii():
        return text.translate(_ASCII_ESCAPES[escape])
    return escape(text, safe="")


def _pairs(
    params: tuple[ParameterSpec, ...], values: Mapping[str, Any]
) -> tuple[tuple[str, str], ...]:
    """Name/value pairs as Twilio reads them: arrays repeat the name, one pair per item."""
    pairs: list[tuple[str, str]] = []
    for param in params:
        if param.name not in values:
            continue
        value = values[param.name]
        if isinstance(value, list):
            pairs.extend((param.sent_as, _wire_text(item)) for item in value)
        else:
            pairs.append((param.sent_as, _wire_text(value)))
    return tuple(pairs)


def _wire_text(value: Any) -> str:
    if type(value) is str:  # the common case first: this runs for every argument of every call
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (dict, list)):
        return _json_text(value, ensure_ascii=False)
    if value is None:
        return ""
    return str(value)


def _json_text(value: Any, *, ensure_ascii: bool = True) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=ensure_ascii, default=_json_number)


def _json_number(value: Any) -> float:
    """Decimals (from ``json.loads(..., parse_float=Decimal)``) are written as JSON numbers."""
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _float_text(value: float) -> str:
    """Plain decimal notation (12.5, 0.0000001), never the exponent form Twilio would reject."""
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f")
