"""A tool built once from an OperationSpec: its schemas, validators and request template."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from functools import cached_property
from types import MappingProxyType
from typing import Any

from .._config import MAX_LIST_RECORDS
from .._exceptions import ArgumentError, InvalidArguments
from ..sends.operations import SEND_KEY, SEND_KEY_SCHEMA, is_send
from ..specs.effects import conditional_effects, effects_of
from ..specs.model import OperationSpec, ParameterSpec
from .body_forms import forms_schema
from .callbacks import callback_kind, operator_pins, owned_arguments
from .encoding import IDEMPOTENCY_KEY, CallTemplate, PreparedRequest, idempotent
from .formats import INPUT_FORMATS, OUTPUT_FORMATS
from .headers import is_reserved_header
from .paging import CURSOR, FIELDS, LIMIT, Paging, paging_of, start_of
from .validation import SchemaValidator

__all__ = ["Tool"]

# Every path value must stay one segment: "." and ".." would be folded away by URL normalisation.
_SEGMENT_GUARD: dict[str, Any] = {"minLength": 1, "not": {"enum": [".", ".."]}}


class Tool:
    """An operation as a tool: name, description, input and output JSON Schema, and its call shape.

    Validators are compiled on first use, once per tool. Two arguments are the application's:
    an ``IdempotencyKey`` left out is made anew for each prepared request (so the retries of one
    call send the same key), and the ``StatusCallback`` of a Pay operation, createMessage or
    createCall is filled in with ``status_callback`` where one is given (createCall's
    StatusCallbackEvent and StatusCallbackMethod too, see tools/callbacks.py); the input schema
    then neither requires the key nor lists those arguments.

    Header parameters that no argument may fill (:data:`~ocp_twilio.tools.headers.
    RESERVED_HEADERS`: Authorization, Cookie, Host, Content-Length, ...; and the agent's own
    OCP-* context headers) and the one named
    ``credentials_header`` (the API's key header) are left out of ``spec``: the model never sees
    them, and an argument of that name is refused as unknown.

    A tool made from a :class:`~ocp_twilio.specs.model.LocalSpec` has no HTTP operation: its
    ``method`` and ``path`` are empty. ``local`` marks one that acts on nothing outside this
    process (it only reads); what runs a tool's calls is chosen where the agent registers it.
    """

    def __init__(
        self,
        spec: OperationSpec,
        *,
        api: str | None = None,
        name: str | None = None,
        status_callback: str | None = None,
        credentials_header: str = "",
        local: bool = False,
        pinned: Mapping[str, Any] | None = None,
    ) -> None:
        self.spec = _without_reserved_headers(spec, credentials_header.lower())
        self.name = name or spec.name
        self.api = api or spec.api
        self.local = local
        # What a call does to the world (specs/effects.py): read, write, contacts a person...
        self.effects = effects_of(spec)
        self.status_callback = status_callback if self.takes_status_callback else None
        # The operator's values (a policy's pins, the receiver's StatusCallback): sent on every
        # call, and no longer arguments of the model.
        pins = dict(pinned or {})
        self._callback_pins = owned_arguments(spec, self.callback_kind, self.status_callback)
        for name, value in self._callback_pins.items():
            pins.setdefault(name, value)
        self.pinned: Mapping[str, Any] = MappingProxyType(pins)
        # Only where the API requires the key (Twilio's Pay operations) is it known to dedupe
        # repeats; an optional one promises nothing, so none is made up for it.
        self._makes_key = any(
            p.name == IDEMPOTENCY_KEY and p.required for p in spec.parameters_in("body")
        )

    def __repr__(self) -> str:
        return f"<Tool {self.name} {self.endpoint}>"

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
        """``"{method} {path}"``, as the context's history records a call; ``"local {name}"``
        for a tool without an HTTP operation."""
        return f"{self.method} {self.path}" if self.path else f"local {self.spec.name}"

    @property
    def tags(self) -> tuple[str, ...]:
        return self.spec.tags

    @cached_property
    def callback_kind(self) -> str | None:
        """The kind of callback its StatusCallback receives where the application may own it
        (``pay``, ``message``, ``call``); None for every other tool."""
        return callback_kind(self.spec)

    @property
    def takes_status_callback(self) -> bool:
        """An operation whose StatusCallback the application may own (see callback_kind)."""
        return self.callback_kind is not None

    def owned(self, status_callback: str | None, pinned: Mapping[str, Any]) -> Tool:
        """This tool with StatusCallback owned by ``status_callback`` (None: by the model) and
        the arguments of ``pinned`` fixed by the operator; itself where nothing changes."""
        if not self.takes_status_callback:
            status_callback = None
        if status_callback == self.status_callback and pinned == self._operator_pins:
            return self
        return Tool(
            self.spec,
            api=self.api,
            name=self.name,
            status_callback=status_callback,
            local=self.local,
            pinned=pinned,
        )

    @property
    def _operator_pins(self) -> Mapping[str, Any]:
        """The pins given to this tool, without the callback arguments it was given apart."""
        if not self._callback_pins:
            return self.pinned
        return operator_pins(self.pinned, self._callback_pins)

    def with_pins(self, arguments: Mapping[str, Any]) -> Mapping[str, Any]:
        """``arguments`` as they are sent: the pinned values go out whatever the model gave for
        them (``arguments`` itself where nothing is pinned)."""
        return {**arguments, **self.pinned} if self.pinned else arguments

    @cached_property
    def conditions(self) -> Mapping[str, Mapping[str, tuple[Any, ...]]]:
        """Effects some calls have by their arguments: effect -> {argument: values that give
        it} (updatePayments with Status complete spends money)."""
        return conditional_effects(self.spec)

    @cached_property
    def possible_effects(self) -> frozenset[str]:
        """The effects of :attr:`conditions`."""
        return frozenset(self.conditions)

    @property
    def idempotent(self) -> bool:
        """True where repeating a call changes nothing more: a local tool, by its method, or a
        required key."""
        return self.local or idempotent(
            self.spec.method,
            any(p.name == IDEMPOTENCY_KEY and p.required for p in self.spec.parameters),
        )

    @cached_property
    def paging(self) -> Paging | None:
        """How the tool pages, where it is one of Twilio's list operations (see tools/paging)."""
        return paging_of(self.spec)

    @cached_property
    def input_schema(self) -> dict[str, Any]:
        """JSON Schema (2020-12) of the arguments object."""
        shown = [p for p in self.spec.parameters if p.name not in self._owned]
        properties = {p.name: _argument_schema(p) for p in shown}
        properties.update((k, copy.deepcopy(dict(v))) for k, v in self.library_arguments.items())
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
        forms = forms_schema(self.spec, self._owned)
        if forms is not None:
            choices.append(forms)
        if len(choices) == 1:
            schema.update(choices[0])
        elif choices:
            schema["allOf"] = choices
        return schema

    @cached_property
    def library_arguments(self) -> Mapping[str, Mapping[str, Any]]:
        """The arguments the library reads itself, none of them sent, by name and schema: a list
        tool's Cursor and Limit, Fields for a tool that reads records, and a send's SendKey
        (sends/operations.py). An operation's own argument of one of these names (Lookups'
        Fields) stays the operation's."""
        added: dict[str, Mapping[str, Any]] = {}
        if is_send(self.spec):
            added[SEND_KEY] = SEND_KEY_SCHEMA
        if self.paging is not None:
            added[CURSOR] = _CURSOR_SCHEMA
            added[LIMIT] = _LIMIT_SCHEMA
        if self.spec.method == "GET" and self.output_schema is not None:
            added[FIELDS] = _FIELDS_SCHEMA
        own = {p.name for p in self.spec.parameters}
        return MappingProxyType({k: v for k, v in added.items() if k not in own})

    @cached_property
    def _owned(self) -> frozenset[str]:
        return frozenset(self.pinned)

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
        if self.paging is not None and CURSOR in arguments:
            arguments, _ = start_of(self.name, self.paging, arguments)
            self.validate(arguments)  # the cursor's page values, as the tool's own
        return self._call_template.fill(arguments, defaults)

    @cached_property
    def _call_template(self) -> CallTemplate:
        return CallTemplate(
            self.spec,
            tool=self.name,
            pinned=self.pinned,
            makes_key=self._makes_key,
        )


_NOT_BLANK = r"\S"

# Short: every list tool's definition carries them, and a model reads each one every turn.
_CURSOR_SCHEMA: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "maxLength": 2048,
    "description": "next_cursor of the last answer, with the same other arguments.",
}
_LIMIT_SCHEMA: dict[str, Any] = {
    "type": "integer",
    "minimum": 1,
    "maximum": MAX_LIST_RECORDS,
    "description": "Records to read, page after page.",
}
_FIELDS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {"type": "string"},
    "maxItems": 50,
    "description": "Show only these fields of each record.",
}


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


def _argument_schema(param: ParameterSpec) -> dict[str, Any]:
    schema = dict(param.schema)
    if param.name == IDEMPOTENCY_KEY and "pattern" not in schema:
        schema["pattern"] = _NOT_BLANK  # a blank key would be no key at all
    if param.description and "description" not in schema:
        schema["description"] = param.description
    if param.location == "path" and "pattern" not in schema and "enum" not in schema:
        schema = {**schema, **_SEGMENT_GUARD}
    return schema
