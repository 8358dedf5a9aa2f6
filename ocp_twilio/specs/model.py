"""The operation model every source of operations ends as, and the loader of the YAML format.

A YAML spec file of the project's own format looks like::

    api: twilio
    service: api_v2010
    server: https://api.twilio.com
    operations:
      - name: updatePayments
        operation_id: UpdatePayments
        method: POST
        path: /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Payments/{Sid}.json
        description: ...
        body_encoding: form
        parameters:
          - {name: Sid, in: path, required: true, schema: {type: string}}
        exactly_one_of: [[Capture, Status]]
        response: {status: 202, schema: {...}}

Schemas are JSON Schema with OpenAPI 3.0's ``nullable`` allowed; the loader converts them.
Top-level keys starting with ``x-`` are ignored, so they can hold YAML anchors shared by operations.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import jsonschema

from .._exceptions import SpecError
from .json_schema import openapi_to_json_schema
from .methods import METHODS
from .names import ARGUMENT_KEY, TOOL_NAME

ParameterLocation = Literal["path", "query", "body", "header"]
BodyEncoding = Literal["form", "json"]
CredentialField = Literal["account_sid"]
# What an operation's security asks for: HTTP Basic, a bearer token (OAuth 2 included), or
# nothing at all (Twilio's token and authorize endpoints).
AuthKind = Literal["basic", "bearer", "none"]

__all__ = [
    "AuthKind",
    "BodyForm",
    "LocalSpec",
    "OperationSpec",
    "ParameterSpec",
    "ResponseSpec",
    "packaged_schemas_dir",
]


@dataclass(frozen=True, slots=True)
class ParameterSpec:
    """One argument of an operation.

    ``name`` is what the model passes; ``wire_name`` is what Twilio receives, where the two
    differ (Twilio's ``StartTime<`` is not a safe argument key).
    """

    name: str
    location: ParameterLocation
    schema: Mapping[str, Any] = field(default_factory=dict)
    required: bool = False
    description: str = ""
    wire_name: str | None = None
    # A value the dispatcher fills from the credentials when the caller leaves it out.
    from_credentials: CredentialField | None = None

    @property
    def sent_as(self) -> str:
        return self.wire_name or self.name


@dataclass(frozen=True, slots=True)
class ResponseSpec:
    status: int
    schema: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class BodyForm:
    """One whole form of a request body that may take several (OpenAPI's ``oneOf``/``anyOf``),
    in argument names: what it requires besides the operation's required arguments, how it
    narrows an argument (a typing indicator's ``channel`` is WHATSAPP in one form, APPLE in the
    other), and which body arguments of the other forms it refuses."""

    required: tuple[str, ...] = ()
    schemas: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    refuses: tuple[str, ...] = ()

    @property
    def names(self) -> frozenset[str]:
        return frozenset((*self.required, *self.schemas, *self.refuses))


@dataclass(frozen=True, slots=True)
class OperationSpec:
    """Plain data describing one HTTP operation; nothing downstream knows where it came from."""

    name: str
    method: str
    path: str
    description: str = ""
    operation_id: str = ""
    api: str = "twilio"
    service: str = ""
    server: str | None = None
    parameters: tuple[ParameterSpec, ...] = ()
    body_encoding: BodyEncoding | None = None
    response: ResponseSpec | None = None
    tags: tuple[str, ...] = ()
    # Groups of argument names of which exactly one must be given.
    exactly_one_of: tuple[tuple[str, ...], ...] = ()
    # The whole forms the body may take: a call's arguments fit exactly one of them ("oneOf")
    # or at least one ("anyOf"); none where the body has one form.
    body_forms: tuple[BodyForm, ...] = ()
    body_choice: Literal["oneOf", "anyOf"] = "oneOf"
    # None where the source does not say: the API's credentials are sent, as for "basic".
    auth: AuthKind | None = None

    def __post_init__(self) -> None:
        # Every loader (YAML, OpenAPI, registry, cache, plugin) makes OperationSpecs, so this is
        # the one place where a spec that would fail at call time is refused; loaders add the
        # file or entry to the message.
        problem = operation_problem(self)
        if problem:
            raise SpecError(f"Operation {str(self.name)[:64]!r}: {problem}.")

    def parameters_in(self, location: ParameterLocation) -> tuple[ParameterSpec, ...]:
        return tuple(p for p in self.parameters if p.location == location)


@dataclass(frozen=True, slots=True)
class LocalSpec(OperationSpec):
    """A tool answered in this process (the payment progress and compact tools): its arguments,
    answer and description, and no HTTP operation, so no method, path, server or body.

    Its arguments are declared ``in: query``; nothing reads where a local tool's arguments go.
    """

    method: str = ""
    path: str = ""

    def __post_init__(self) -> None:
        problem = local_problem(self)
        if problem:
            raise SpecError(f"Local tool {str(self.name)[:64]!r}: {problem}.")


_LOCATIONS = frozenset({"path", "query", "body", "header"})
# Characters a path template must not hold: controls (CR and LF split requests), space, and those
# that would end the path ("?", "#") or are not URL text; unpaired surrogates cannot be encoded.
_NOT_IN_PATH = re.compile(r"[\x00-\x20\x7f-\x9f?#\\\ud800-\udfff]")
_PLACEHOLDER = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# RFC 9110's token: the characters a header name may have.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}")
_SENDABLE_NAME = re.compile(r"[^\x00-\x1f\x7f\ud800-\udfff]{1,200}")


def operation_problem(op: OperationSpec) -> str:
    """What makes ``op`` unusable, phrased as what to change; "" when nothing does."""
    if not isinstance(op.name, str) or not op.name:
        return "needs a name"
    if op.method not in METHODS:
        return f"method must be one of {', '.join(sorted(METHODS))} (in capitals)"
    if not isinstance(op.path, str) or not op.path.startswith("/"):
        return "its path must start with '/'"
    if _NOT_IN_PATH.search(op.path):
        return (
            "its path holds a control character, space, '?', '#', '\\' or unpaired "
            "surrogate; remove it (query arguments are parameters 'in: query')"
        )
    if op.body_encoding not in (None, "form", "json"):
        return "body_encoding must be form or json"
    if op.auth not in (None, "basic", "bearer", "none"):
        return "auth must be basic, bearer or none"
    return _interface_problem(op)


def local_problem(op: OperationSpec) -> str:
    """What makes ``op`` unusable as a local tool's spec; "" when nothing does."""
    if not isinstance(op.name, str) or not op.name:
        return "needs a name"
    if op.method or op.path or op.server is not None or op.body_encoding is not None:
        return "it is answered in this process: give it no method, path, server or body_encoding"
    return _interface_problem(op)


def _interface_problem(op: OperationSpec) -> str:
    """What breaks the arguments or the answer, which every tool has."""
    if op.response is not None and not (
        isinstance(op.response.status, int) and 100 <= op.response.status <= 599
    ):
        return "its response status must be an integer from 100 to 599"
    return _parameters_problem(op) or _placeholders_problem(op)


def _parameters_problem(op: OperationSpec) -> str:
    names = [p.name for p in op.parameters]
    if len(set(names)) < len(names):
        duplicated = sorted({n for n in names if names.count(n) > 1})
        return f"declares {duplicated} more than once"
    for p in op.parameters:
        if p.location not in _LOCATIONS:
            return f"parameter {p.name!r}: 'in' must be path, query, body or header"
        if not (isinstance(p.sent_as, str) and _SENDABLE_NAME.fullmatch(p.sent_as)):
            return f"parameter {str(p.name)[:64]!r} needs a name without control characters"
        if p.location == "header" and not _HEADER_NAME.fullmatch(p.sent_as):
            return f"header parameter {p.sent_as!r} is not a valid HTTP header name"
        if p.location == "path" and not p.required:
            return f"path parameter {p.name!r} must be required (required: true)"
        # dict first: a Mapping check goes through the ABC machinery, 7,000 times a load.
        if not isinstance(p.schema, (dict, Mapping)):
            return f"parameter {p.name!r}: its schema must be an object"
    if any(p.location == "body" for p in op.parameters) and op.body_encoding is None:
        return "has body parameters but no body_encoding (form or json)"
    for group in op.exactly_one_of:
        unknown = sorted(set(group) - set(names))
        if unknown:
            return f"exactly_one_of names unknown {unknown}"
    return _body_forms_problem(op)


def _body_forms_problem(op: OperationSpec) -> str:
    if op.body_choice not in ("oneOf", "anyOf"):
        return "body_choice must be oneOf or anyOf"
    body = {p.name for p in op.parameters if p.location == "body"}
    for form in op.body_forms:
        if not all(isinstance(s, Mapping) for s in form.schemas.values()):
            return "each schema of a body form must be an object"
        unknown = sorted(form.names - body)
        if unknown:
            return f"a body form names {unknown}, which are not body parameters"
    return ""


def _placeholders_problem(op: OperationSpec) -> str:
    try:
        fields = [(f, c, s) for _, f, s, c in string.Formatter().parse(op.path) if f is not None]
    except ValueError:
        return "its path has an unmatched '{' or '}'"
    in_path = {p.sent_as for p in op.parameters if p.location == "path"}
    for name, conversion, spec in fields:
        if conversion or spec or not _PLACEHOLDER.fullmatch(name):
            return f"path placeholder {{{name}}} must be a plain name such as {{Sid}}"
        if name not in in_path:
            return f"no path parameter for {{{name}}}: declare it (in: path, required: true)"
    unused = sorted(in_path - {f for f, _, _ in fields})
    if unused:
        return f"path parameters {unused} have no {{placeholder}} in the path"
    return ""


def packaged_schemas_dir() -> Path:
    """The curated schemas: inside the installed wheel, or beside the package in a checkout."""
    packaged = Path(str(resources.files("ocp_twilio"))) / "schemas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "schemas"


def parse_spec_document(document: Any, source: str = "<document>") -> list[OperationSpec]:
    """Turn an already-parsed YAML document into operation specs."""
    check_document(_FILE_VALIDATOR, document, f"Spec file {source}")
    defaults = {k: document[k] for k in ("api", "service", "server") if k in document}
    operations: list[OperationSpec] = []
    for raw in document["operations"]:
        try:
            operations.append(_operation(raw, defaults, source))
        except SpecError as exc:
            raise SpecError(f"{source}: {exc}") from None
    return operations


def check_document(validator: jsonschema.protocols.Validator, document: Any, what: str) -> None:
    """Raise SpecError naming ``what`` and the first fields that break the validator's schema."""
    problems = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if problems:
        details = "; ".join(
            f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}"
            for e in problems[:5]
        )
        raise SpecError(f"{what} is not valid: {details}")


def _operation(raw: Mapping[str, Any], defaults: Mapping[str, str], source: str) -> OperationSpec:
    parameters = tuple(_parameter(p) for p in raw.get("parameters", ()))
    has_body = any(p.location == "body" for p in parameters)
    response = raw.get("response")
    return OperationSpec(
        name=raw["name"],
        method=raw["method"].upper(),
        path=raw["path"],
        description=raw.get("description", "").strip(),
        operation_id=raw.get("operation_id", ""),
        api=raw.get("api", defaults.get("api", "twilio")),
        service=raw.get("service", defaults.get("service", "")),
        server=raw.get("server", defaults.get("server")),
        parameters=parameters,
        # Given without body parameters it still holds: an empty JSON body is sent as "{}".
        body_encoding=raw.get("body_encoding") or ("form" if has_body else None),
        response=ResponseSpec(
            status=response["status"],
            schema=openapi_to_json_schema(response["schema"]) if "schema" in response else None,
        )
        if response
        else None,
        tags=tuple(raw.get("tags", ())),
        exactly_one_of=tuple(tuple(g) for g in raw.get("exactly_one_of", ())),
    )


def _parameter(raw: Mapping[str, Any]) -> ParameterSpec:
    return ParameterSpec(
        name=raw["name"],
        location=raw["in"],
        schema=openapi_to_json_schema(raw.get("schema", {})),
        required=raw.get("required", False),
        description=raw.get("description", "").strip(),
        wire_name=raw.get("wire_name"),
        from_credentials=raw.get("from_credentials"),
    )


_NAME = {"type": "string", "pattern": TOOL_NAME.pattern}
_SPEC_FILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["operations"],
    "properties": {
        "api": {"type": "string"},
        "service": {"type": "string"},
        "server": {"type": "string"},
        "operations": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "method", "path"],
                "additionalProperties": False,
                "properties": {
                    "name": _NAME,
                    "operation_id": {"type": "string"},
                    "api": {"type": "string"},
                    "service": {"type": "string"},
                    "server": {"type": "string"},
                    "method": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
                    "path": {"type": "string", "pattern": "^/"},
                    "description": {"type": "string"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "body_encoding": {"enum": ["form", "json"]},
                    "exactly_one_of": {
                        "type": "array",
                        "items": {"type": "array", "items": {"type": "string"}, "minItems": 2},
                    },
                    "parameters": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["name", "in"],
                            "additionalProperties": False,
                            "properties": {
                                "name": {"type": "string", "pattern": ARGUMENT_KEY.pattern},
                                "in": {"enum": ["path", "query", "body", "header"]},
                                "required": {"type": "boolean"},
                                "description": {"type": "string"},
                                "schema": {"type": "object"},
                                "wire_name": {"type": "string"},
                                "from_credentials": {"enum": ["account_sid"]},
                            },
                        },
                    },
                    "response": {
                        "type": "object",
                        "required": ["status"],
                        "additionalProperties": False,
                        "properties": {
                            "status": {"type": "integer", "minimum": 100, "maximum": 599},
                            "schema": {"type": "object"},
                        },
                    },
                },
            },
        },
    },
    "patternProperties": {"^x-": {}},
    "additionalProperties": False,
}
_FILE_VALIDATOR = jsonschema.Draft202012Validator(_SPEC_FILE_SCHEMA)
