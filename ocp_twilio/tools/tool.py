"""A tool built once from an OperationSpec: its schemas, validators and request template."""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import cached_property
from string import Formatter
from typing import Any, NamedTuple
from urllib.parse import quote, quote_plus

from .._exceptions import ArgumentError, InvalidArguments
from ..specs.model import OperationSpec, ParameterSpec
from .formats import INPUT_FORMATS, OUTPUT_FORMATS
from .headers import FORBIDDEN_IN_HEADER_VALUE, is_reserved_header
from .validation import SchemaValidator

__all__ = ["IDEMPOTENCY_KEY", "STATUS_CALLBACK", "PreparedRequest", "Tool", "query_string"]

# Arguments the application owns: the model may leave them out (see Tool).
IDEMPOTENCY_KEY = "IdempotencyKey"
STATUS_CALLBACK = "StatusCallback"
# The operations whose StatusCallback is the Pay session's progress: the receiver's URL.
_PAY_OPERATIONS = frozenset({"CreatePayments", "UpdatePayments"})

# Every path value must stay one segment: "." and ".." would be folded away by URL normalisation.
_SEGMENT_GUARD: dict[str, Any] = {"minLength": 1, "not": {"enum": [".", ".."]}}


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
    # True where Twilio deduplicates a repeated request (a non-blank IdempotencyKey is sent).
    idempotent: bool = False


class Tool:
    """An operation as a tool: name, description, input and output JSON Schema, and its call shape.

    Validators are compiled on first use, once per tool. Two arguments are the application's:
    an ``IdempotencyKey`` left out is made anew for each prepared request (so the retries of one
    call send the same key), and a Pay operation's ``StatusCallback`` is filled in with
    ``status_callback`` where one is given; the input schema then neither requires the key nor
    lists the callback.

    Header parameters that no argument may fill (:data:`~ocp_twilio.tools.headers.
    RESERVED_HEADERS`: Authorization, Cookie, Host, Content-Length, ...; and the agent's own
    OCP-* context headers) and the one named
    ``credentials_header`` (the API's key header) are left out of ``spec``: the model never sees
    them, and an argument of that name is refused as unknown.
    """

    def __init__(
        self,
        spec: OperationSpec,
        *,
        api: str | None = None,
        name: str | None = None,
        status_callback: str | None = None,
        credentials_header: str = "",
    ) -> None:
        self.spec = _without_reserved_headers(spec, credentials_header.lower())
        self.name = name or spec.name
        self.api = api or spec.api
        self.status_callback = status_callback if self.takes_status_callback else None
        # Only where the API requires the key (Twilio's Pay operations) is it known to dedupe
        # repeats; an optional one promises nothing, so none is made up for it.
        self._makes_key = any(
            p.name == IDEMPOTENCY_KEY and p.required for p in spec.parameters_in("body")
        )

    def __repr__(self) -> str:
        return f"<Tool {self.name} {self.method} {self.path}>"

    @property
    def description(self) -> str:
        return self.spec.description

    @property
    def method(self) -> str:
        return self.spec.method

    @property
    def path(self) -> str:
        return self.spec.path

    @cached_property
    def endpoint(self) -> str:
        """``"{method} {path}"``, as the context's history records a call."""
        return f"{self.method} {self.path}"

    @property
    def tags(self) -> tuple[str, ...]:
        return self.spec.tags

    @property
    def local(self) -> bool:
        """True for a tool answered in this process, without an HTTP request."""
        return False

    @cached_property
    def takes_status_callback(self) -> bool:
        """A Pay operation, whose StatusCallback the application may own."""
        return self.spec.operation_id in _PAY_OPERATIONS and any(
            p.name == STATUS_CALLBACK for p in self.spec.parameters
        )

    def with_status_callback(self, url: str | None) -> Tool:
        """This tool with StatusCallback owned by ``url`` (or by the model again, for None)."""
        if url == self.status_callback or not self.takes_status_callback:
            return self
        return Tool(self.spec, api=self.api, name=self.name, status_callback=url)

    @property
    def idempotent(self) -> bool:
        """True where repeating a call changes nothing more: by its method, or a required key."""
        return self.spec.method in _IDEMPOTENT_METHODS or any(
            p.name == "IdempotencyKey" and p.required for p in self.spec.parameters
        )

    @cached_property
    def input_schema(self) -> dict[str, Any]:
        """JSON Schema (2020-12) of the arguments object."""
        shown = [p for p in self.spec.parameters if p.name not in self._owned]
        properties = {p.name: _argument_schema(p) for p in shown}
        required = [
            p.name
            for p in shown
            if p.required and not p.from_credentials and not self._generated(p)
        ]
        schema: dict[str, Any] = {
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
        }
        if required:
            schema["required"] = required
        choices = [{"oneOf": [{"required": [n]} for n in g]} for g in self.spec.exactly_one_of]
        if len(choices) == 1:
            schema.update(choices[0])
        elif choices:
            schema["allOf"] = choices
        return schema

    @cached_property
    def _owned(self) -> frozenset[str]:
        return frozenset({STATUS_CALLBACK}) if self.status_callback else frozenset()

    def _generated(self, param: ParameterSpec) -> bool:
        return self._makes_key and param.name == IDEMPOTENCY_KEY

    @cached_property
    def output_schema(self) -> dict[str, Any] | None:
        """JSON Schema of a success response body, where the operation documents one."""
        response = self.spec.response
        return dict(response.schema) if response and response.schema is not None else None

    @cached_property
    def _input_validator(self) -> SchemaValidator:
        return SchemaValidator(self.input_schema, INPUT_FORMATS, f"input schema of {self.name}")

    @cached_property
    def _output_validator(self) -> SchemaValidator | None:
        schema = self.output_schema
        if schema is None:
            return None
        return SchemaValidator(schema, OUTPUT_FORMATS, f"response schema of {self.name}")

    def validate(self, arguments: Any) -> None:
        """Raise InvalidArguments listing every problem; return quietly when all is well."""
        if type(arguments) is not dict and not isinstance(arguments, Mapping):
            problem = ArgumentError((), "arguments must be a JSON object of name/value pairs")
            raise InvalidArguments(self.name, [problem])
        # The quick check takes plain dicts only; a dict is checked as is, not copied.
        given = arguments if type(arguments) is dict else dict(arguments)
        errors = self._input_validator.errors(given)
        if errors:
            raise InvalidArguments(self.name, errors)

    def response_errors(self, body: Any, *, decoded: bool = False) -> tuple[ArgumentError, ...]:
        """Where a success body breaks the response schema (empty when it does not, or none).

        ``decoded=True`` promises the body is what a JSON decoder made, which saves a walk."""
        validator = self._output_validator
        return validator.errors(body, decoded=decoded) if validator is not None else ()

    def prepare(self, arguments: Mapping[str, Any], defaults: Mapping[str, str]) -> PreparedRequest:
        """Validate ``arguments`` and fill the request template.

        ``defaults`` supplies values the caller may leave out (the account SID of the credentials).
        """
        self.validate(arguments)
        # One attribute read for what every call needs: the rest are locals.
        (
            credentials,
            callback,
            makes_key,
            path_format,
            path_names,
            method,
            encoding,
            query,
            headers,
        ) = self._call_template
        values = arguments
        for name, source in credentials:
            if name not in values and source in defaults:
                values = {**values, name: defaults[source]}
        if callback:
            values = {**values, STATUS_CALLBACK: callback}
        if makes_key and IDEMPOTENCY_KEY not in values:
            values = {**values, IDEMPOTENCY_KEY: new_idempotency_key()}
        path = path_format.format(*[_escaped(_wire_text(values[n]), quote) for n in path_names])
        body, content_type = self._encode_body(values) if encoding else (None, None)
        return PreparedRequest(
            method,
            path,
            _pairs(query, values) if query else (),
            body,
            content_type,
            self._header_pairs(values) if headers else (),
            method in _IDEMPOTENT_METHODS or _is_key(values.get(IDEMPOTENCY_KEY)),
        )

    @cached_property
    def _call_template(
        self,
    ) -> tuple[
        tuple[tuple[str, str], ...],
        str | None,
        bool,
        str,
        tuple[str, ...],
        str,
        str | None,
        tuple[ParameterSpec, ...],
        tuple[ParameterSpec, ...],
    ]:
        """What prepare reads on every call, in one tuple."""
        path_format, path_names = self._path_template
        credentials = tuple(
            (p.name, p.from_credentials) for p in self.spec.parameters if p.from_credentials
        )
        return (
            credentials,
            self.status_callback,
            self._makes_key,
            path_format,
            path_names,
            self.spec.method,
            self.spec.body_encoding,
            self._query_params,
            self._header_params,
        )

    def _header_pairs(self, values: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
        """Header arguments as pairs; one that could split the request is refused, unsent."""
        pairs = _pairs(self._header_params, values)
        refused = {sent_as for sent_as, text in pairs if FORBIDDEN_IN_HEADER_VALUE(text)}
        if refused:
            problems = [
                ArgumentError((p.name,), _FORBIDDEN_IN_HEADER_MESSAGE, "pattern")
                for p in self._header_params
                if p.sent_as in refused
            ]
            raise InvalidArguments(self.name, problems)
        return pairs

    def _encode_body(self, values: Mapping[str, Any]) -> tuple[bytes | None, str | None]:
        encoding = self.spec.body_encoding
        if encoding is None:
            return None, None
        if encoding == "json":
            document = {p.sent_as: values[p.name] for p in self._body_params if p.name in values}
            return _json_text(document).encode(), "application/json"
        # As _pairs, then "&".join of escaped "key=value": arrays repeat the key, one per item.
        parts: list[str] = []
        for name, key in self._form_keys:
            if name not in values:
                continue
            value = values[name]
            if isinstance(value, list):
                parts.extend(key + _escaped(_wire_text(item), quote_plus) for item in value)
            else:
                parts.append(key + _escaped(_wire_text(value), quote_plus))
        return "&".join(parts).encode("ascii"), "application/x-www-form-urlencoded"

    @cached_property
    def _path_template(self) -> tuple[str, tuple[str, ...]]:
        """The path with numbered placeholders, and the argument filling each: str.format's
        positional form is the cheapest way to fill it."""
        argument_of = {p.sent_as: p.name for p in self._path_params}
        numbered: list[str] = []
        names: list[str] = []
        for literal, field, _, _ in Formatter().parse(self.spec.path):
            numbered.append(literal.replace("{", "{{").replace("}", "}}"))
            if field is not None:
                numbered.append(f"{{{len(names)}}}")
                names.append(argument_of[field])
        return "".join(numbered), tuple(names)

    @cached_property
    def _form_keys(self) -> tuple[tuple[str, str], ...]:
        """(argument name, escaped form key and "=") of each body parameter, made once."""
        return tuple((p.name, _escaped(p.sent_as, quote_plus) + "=") for p in self._body_params)

    @cached_property
    def _path_params(self) -> tuple[ParameterSpec, ...]:
        return self.spec.parameters_in("path")

    @cached_property
    def _query_params(self) -> tuple[ParameterSpec, ...]:
        return self.spec.parameters_in("query")

    @cached_property
    def _body_params(self) -> tuple[ParameterSpec, ...]:
        return self.spec.parameters_in("body")

    @cached_property
    def _header_params(self) -> tuple[ParameterSpec, ...]:
        return self.spec.parameters_in("header")


_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_NOT_BLANK = r"\S"
_FORBIDDEN_IN_HEADER_MESSAGE = (
    "must not contain line breaks, other control characters or unpaired surrogates: it is sent "
    "as an HTTP header"
)


def _without_reserved_headers(spec: OperationSpec, credentials_header: str) -> OperationSpec:
    """``spec`` without its header parameters of reserved names (see Tool)."""
    dropped = {
        p.name
        for p in spec.parameters
        if p.location == "header"
        and (is_reserved_header(sent_as := p.sent_as.lower()) or sent_as == credentials_header)
    }
    if not dropped:
        return spec
    # A group keeps its other names; one left with a single name no longer chooses anything.
    groups = (tuple(n for n in group if n not in dropped) for group in spec.exactly_one_of)
    return dataclasses.replace(
        spec,
        parameters=tuple(p for p in spec.parameters if p.name not in dropped),
        exactly_one_of=tuple(group for group in groups if len(group) > 1),
    )


def _is_key(value: Any) -> bool:
    """Whether ``value`` deduplicates a repeat: "" or " " is no key at all."""
    return isinstance(value, str) and not value.isspace() and value != ""


def new_idempotency_key() -> str:
    """A key for one call: random, so that no two calls of any process share one."""
    return f"ocp-{uuid.uuid4().hex}"


def _argument_schema(param: ParameterSpec) -> dict[str, Any]:
    schema = dict(param.schema)
    if param.name == IDEMPOTENCY_KEY and "pattern" not in schema:
        schema["pattern"] = _NOT_BLANK  # a blank key would be no key at all
    if param.description and "description" not in schema:
        schema["description"] = param.description
    if param.location == "path" and "pattern" not in schema and "enum" not in schema:
        schema = {**schema, **_SEGMENT_GUARD}
    return schema


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


def query_string(pairs: tuple[tuple[str, str], ...]) -> str:
    """``pairs`` as a URL's encoded query: what yarl's ``update_query(pairs)`` writes."""
    return "&".join(
        f"{_escaped(name, _query_quote)}={_escaped(value, _query_quote)}" for name, value in pairs
    )


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
