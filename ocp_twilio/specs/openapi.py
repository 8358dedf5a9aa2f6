"""OpenAPI 3.0.x descriptions (Twilio's twilio-oai files) as OperationSpecs.

Every operation becomes one spec: path-level and operation parameters (``$ref``'d or inline),
the request body's properties as arguments (form-encoded or JSON), the path-level ``servers``
as the operation's host, the first documented 2xx JSON response (else a 3xx one) as the
response schema, and what its ``security`` (or the document's) asks for: Basic, a bearer
token or nothing.
Pure functions: the caller reads the files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, cast

from .._exceptions import SpecError
from .json_schema import openapi_to_json_schema
from .model import (
    AuthKind,
    BodyEncoding,
    BodyForm,
    OperationSpec,
    ParameterLocation,
    ParameterSpec,
    ResponseSpec,
)
from .names import safe_key
from .tolerances import TOLERANCES, Tolerance, widen_answer_schema

__all__ = ["is_openapi_document", "parse_openapi_document", "service_name"]

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
# Body media types in order of preference, with how their properties are sent.
_BODY_TYPES: dict[str, BodyEncoding] = {
    "application/x-www-form-urlencoded": "form",
    "application/json": "json",
    "application/scim+json": "json",
}
_PARAMETER_LOCATIONS = ("path", "query", "header")
# The alternatives of a body, each a whole form: exactly one of them, or at least one.
_BODY_CHOICES: tuple[Literal["oneOf", "anyOf"], ...] = ("oneOf", "anyOf")
_JSON_RESPONSE = re.compile(r"^application/([a-z0-9.+-]+\+)?json$")
# Twilio's inequality filters (StartTime<, DateCreated>) as argument names a model can use.
_INEQUALITY_SUFFIXES = {"<": "Before", ">": "After"}
_COMPONENT_SCHEMA = "#/components/schemas/"
# Security scheme types and HTTP schemes by what they send; others (apiKey) are left unsaid.
_SCHEME_KINDS: dict[str, AuthKind] = {"basic": "basic", "bearer": "bearer", "oauth2": "bearer"}
# Bounds on the work one document may cause, far above Twilio's (at most 95 references followed
# and 11,741 nodes copied by one file): a few KB of references to references could otherwise
# expand past any memory.
MAX_REFERENCES = 10_000
MAX_COPIED_NODES = 1_000_000
MAX_INLINE_DEPTH = 32
_SCALARS = (str, int, float, type(None))

# A body's forms and how a call must fit them; a form in wire names (what it requires, how it
# narrows a property, what it refuses).
_Forms = tuple[tuple[BodyForm, ...], Literal["oneOf", "anyOf"]]
_WireForm = tuple[list[str], dict[str, dict[str, Any]], list[str]]


def is_openapi_document(document: Any) -> bool:
    return isinstance(document, Mapping) and str(document.get("openapi", "")).startswith("3.")


def service_name(path: Path | str) -> str:
    """``twilio_api_v2010.yaml`` -> ``api_v2010``: the service part of Twilio's file names."""
    return Path(path).stem.removeprefix("twilio_")


def parse_openapi_document(
    document: Mapping[str, Any],
    *,
    service: str,
    source: str = "<document>",
    tolerances: Iterable[Tolerance] = TOLERANCES,
) -> list[OperationSpec]:
    """Every operation of an OpenAPI 3.0 document; a malformed one raises SpecError naming it.

    Response schemas are widened by ``tolerances`` (see specs/tolerances.py); ``()`` keeps them
    as the document writes them."""
    if not is_openapi_document(document):
        raise SpecError(f"{source} is not an OpenAPI 3.0 document (no 'openapi: 3.x' field).")
    converter = _Converter(document, tuple(tolerances))
    default_server = _first_server(document)
    operations: list[OperationSpec] = []
    for path, raw_item in (document.get("paths") or {}).items():
        item = converter.deref(raw_item)
        server = _first_server(item) or default_server
        for method in HTTP_METHODS:
            if method not in item:
                continue
            where = f"{source}: {method.upper()} {path}"
            try:
                operation = converter.operation(path, method, item, server, service)
            except SpecError as exc:
                raise SpecError(f"{where}: {exc}") from None
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise SpecError(f"{where}: malformed ({type(exc).__name__}: {exc})") from exc
            except RecursionError:
                raise SpecError(f"{where}: nests too deeply (a $ref inside itself?)") from None
            operations.append(operation)
    return operations


class _Converter:
    """One document's conversions; component schemas are converted once and shared."""

    def __init__(self, document: Mapping[str, Any], tolerances: tuple[Tolerance, ...]) -> None:
        self._document = document
        self._tolerances = tolerances
        self._components: dict[str, dict[str, Any]] = {}
        self._component_refs: dict[str, frozenset[str]] = {}
        self._references = 0
        self._copied = 0

    def operation(
        self, path: str, method: str, item: Mapping[str, Any], server: str | None, service: str
    ) -> OperationSpec:
        raw = self.deref(item[method])
        operation_id = raw.get("operationId")
        if not operation_id or not isinstance(operation_id, str):
            raise SpecError("has no operationId")
        parameters, encoding, (forms, choice) = self._arguments(raw, item)
        return OperationSpec(
            name=operation_id[0].lower() + operation_id[1:],
            method=method.upper(),
            path=path,
            description=str(raw.get("description") or raw.get("summary") or "").strip(),
            operation_id=operation_id,
            service=service,
            server=_first_server(raw) or server,
            parameters=parameters,
            body_encoding=encoding,
            response=self._response(raw.get("responses") or {}),
            tags=tuple(str(t) for t in raw.get("tags", ())),
            body_forms=forms,
            body_choice=choice,
            auth=self._auth(raw.get("security", self._document.get("security"))),
        )

    def _auth(self, requirements: Any) -> AuthKind | None:
        """``security: []`` takes nothing; else Basic where any alternative takes it (what every
        Twilio API has always been sent), else a bearer token where one takes that."""
        if requirements is None:
            return None
        if not isinstance(requirements, list):
            raise SpecError("its security must be a list of requirements")
        if not requirements:
            return "none"
        schemes = (self._document.get("components") or {}).get("securitySchemes") or {}
        kinds: set[AuthKind] = set()
        for requirement in requirements:
            for name in requirement if isinstance(requirement, Mapping) else ():
                scheme = self.deref(schemes.get(name) or {})
                kind = scheme.get("scheme") if scheme.get("type") == "http" else scheme.get("type")
                if str(kind).lower() in _SCHEME_KINDS:
                    kinds.add(_SCHEME_KINDS[str(kind).lower()])
        return "basic" if "basic" in kinds else "bearer" if kinds else None

    def deref(self, node: Any) -> Any:
        """Follow local ``$ref``s (``#/components/...``) until a non-reference node."""
        seen: set[str] = set()
        while isinstance(node, Mapping) and "$ref" in node:
            ref = node["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#/") or ref in seen:
                raise SpecError(f"cannot resolve $ref {ref!r}")
            seen.add(ref)
            self._references += 1
            if self._references > MAX_REFERENCES:
                raise SpecError(
                    f"follows more than {MAX_REFERENCES:,} $refs; a reference expands "
                    "into others again and again: reference shared schemas fewer times"
                )
            node = self._pointer(ref)
        return node

    def _pointer(self, ref: str) -> Any:
        node: Any = self._document
        for part in ref[2:].split("/"):
            key = _unescape(part)
            if not isinstance(node, Mapping) or key not in node:
                raise SpecError(f"$ref {ref!r} points nowhere")
            node = node[key]
        return node

    def _arguments(
        self, raw: Mapping[str, Any], item: Mapping[str, Any]
    ) -> tuple[tuple[ParameterSpec, ...], BodyEncoding | None, _Forms]:
        # Operation parameters override path-level ones with the same name and location.
        declared: dict[tuple[str, str], Mapping[str, Any]] = {}
        for reference in [*item.get("parameters", ()), *raw.get("parameters", ())]:
            parameter = self.deref(reference)
            declared[(parameter["in"], parameter["name"])] = parameter
        parameters: list[ParameterSpec] = []
        taken: set[str] = set()
        for (location, wire), parameter in declared.items():
            if location not in _PARAMETER_LOCATIONS:
                raise SpecError(f"{location} parameter {wire!r} is not supported")
            parameters.append(
                self._parameter(
                    wire,
                    cast(ParameterLocation, location),
                    parameter.get("schema") or {},
                    bool(parameter.get("required", location == "path")),
                    str(parameter.get("description") or ""),
                    taken,
                )
            )
        encoding: BodyEncoding | None = None
        forms: _Forms = ((), "oneOf")
        body = self.deref(raw.get("requestBody") or {})
        content = body.get("content") or {}
        media = next((m for m in _BODY_TYPES if m in content), None)
        if media is not None:
            encoding = _BODY_TYPES[media]
            schema = self.deref(content[media].get("schema") or {})
            choice = next((k for k in _BODY_CHOICES if schema.get(k)), None)
            if choice is None:
                properties, required = self._body_properties(schema)
                wire_forms: list[_WireForm] = []
            else:
                properties, required, wire_forms = self._alternatives(schema, choice)
            names: dict[str, str] = {}
            for wire, schema in properties.items():
                resolved = self.deref(schema)
                description = str(schema.get("description") or resolved.get("description") or "")
                parameter = self._parameter(
                    wire, "body", schema, wire in required, description, taken
                )
                names[wire] = parameter.name
                parameters.append(parameter)
            if choice is not None:
                body_forms = tuple(
                    BodyForm(
                        required=tuple(names[w] for w in needs),
                        schemas={names[w]: narrowed for w, narrowed in narrows.items()},
                        refuses=tuple(names[w] for w in refuses),
                    )
                    for needs, narrows, refuses in wire_forms
                )
                forms = (body_forms, choice)
        elif content:
            raise SpecError(f"request body type {', '.join(content)} is not supported")
        return tuple(parameters), encoding, forms

    def _alternatives(
        self, schema: Mapping[str, Any], choice: Literal["oneOf", "anyOf"]
    ) -> tuple[dict[str, Mapping[str, Any]], set[str], list[_WireForm]]:
        """A body of several whole forms: the properties of all (each one's schema the forms'
        own, or ``anyOf`` them where they differ), those every form requires, and each form as
        what it requires besides, how it narrows a property, and which other forms' properties
        it refuses (a closed one: ``additionalProperties: false``). The properties declared
        beside the alternatives belong to every form."""
        properties, required = self._body_properties(
            {k: v for k, v in schema.items() if k != choice}
        )
        shared = set(properties)
        parts = [(*self._body_properties(part), self.deref(part)) for part in schema[choice]]
        # Each form's property's schema as declared, and as converted, by which they are told
        # apart (descriptions aside).
        options: dict[str, dict[str, Mapping[str, Any]]] = {}
        for part_properties, _, _ in parts:
            for wire, option in part_properties.items():
                if wire not in shared:
                    options.setdefault(wire, {}).setdefault(repr(self._narrowing(option)), option)
        for wire, distinct in options.items():
            declared = list(distinct.values())
            properties[wire] = declared[0] if len(declared) == 1 else {"anyOf": declared}
        forms: list[_WireForm] = []
        for part_properties, part_required, part in parts:
            own = set(part_properties)
            closed = part.get("additionalProperties") is False
            forms.append(
                (
                    [w for w in properties if w in part_required and w not in required],
                    {
                        w: self._narrowing(part_properties[w])
                        for w in part_properties
                        if len(options.get(w, ())) > 1
                    },
                    [w for w in options if w not in own] if closed else [],
                )
            )
        return properties, required, forms

    def _narrowing(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        """A form's own schema of a property, as it narrows the property's: without its words."""
        converted = self._inline(schema)
        converted.pop("description", None)
        return converted

    def _parameter(
        self,
        wire: str,
        location: ParameterLocation,
        schema: Mapping[str, Any],
        required: bool,
        description: str,
        taken: set[str],
    ) -> ParameterSpec:
        name = _argument_name(wire)
        if name in taken:
            name = f"{location}_{name}"
        if name in taken:
            raise SpecError(f"two arguments would both be named {name!r}")
        taken.add(name)
        converted = self._inline(schema)
        converted.pop("description", None)  # kept once, on the ParameterSpec
        return ParameterSpec(
            name=name,
            location=location,
            schema=converted,
            required=required,
            description=description.strip(),
            wire_name=wire if wire != name else None,
            from_credentials="account_sid" if location == "path" and wire == "AccountSid" else None,
        )

    def _body_properties(
        self, schema: Mapping[str, Any]
    ) -> tuple[dict[str, Mapping[str, Any]], set[str]]:
        """The body's properties, with those of allOf parts and of oneOf/anyOf alternatives.

        Alternatives below the body's own (inside a form) are merged: all offered, none required.
        """
        schema = self.deref(schema)
        properties: dict[str, Mapping[str, Any]] = dict(schema.get("properties") or {})
        required = set(schema.get("required") or ())
        for key in ("allOf", "oneOf", "anyOf"):
            for part in schema.get(key, ()):
                part_properties, part_required = self._body_properties(part)
                properties.update(part_properties)
                if key == "allOf":
                    required |= part_required
        return properties, required

    def _inline(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        """An argument schema with every reference replaced by its target: models read these."""
        return openapi_to_json_schema(self._inline_refs(schema, frozenset()))

    def _inline_refs(self, schema: Mapping[str, Any], active: frozenset[str]) -> Any:
        def inlined(node: Mapping[str, Any]) -> Any:
            ref = str(node["$ref"])
            if ref in active:
                return {}  # a schema inside itself: the inner level takes any value
            if len(active) >= MAX_INLINE_DEPTH:
                raise SpecError(f"$refs nest more than {MAX_INLINE_DEPTH} levels deep")
            merged = {**self.deref(node), **{k: v for k, v in node.items() if k != "$ref"}}
            return self._inline_refs(merged, active | {ref})

        return self._replace_refs(schema, inlined)

    def _response(self, responses: Mapping[Any, Any]) -> ResponseSpec | None:
        """The first documented 2xx answer with a JSON body, else the first 2xx; where none is
        documented, the first 3xx with a JSON body (bulkexports' FetchDay answers 307 with
        where to download the day): that answer is the call's result, its redirect unfollowed."""
        statuses = sorted(int(code) for code in responses if str(code).isdigit())
        successes = [status for status in statuses if 200 <= status < 300]
        redirects = [status for status in statuses if 300 <= status < 400]
        for status in successes or redirects:
            response = self.deref(responses.get(str(status), responses.get(status)))
            for media, body in (response.get("content") or {}).items():
                if _JSON_RESPONSE.match(media) and body.get("schema"):
                    return ResponseSpec(status, self._response_schema(body["schema"]))
        return ResponseSpec(successes[0]) if successes else None

    def _response_schema(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        """Response schemas keep components shared: ``$ref`` into ``$defs`` of converted ones."""
        names: set[str] = set()
        converted = self._with_local_refs(schema, names)
        definitions: dict[str, Any] = {}
        pending = list(names)
        while pending:
            name = pending.pop()
            if name not in definitions:
                definitions[name] = self._component(name)
                pending.extend(self._component_refs[name])
        return {**converted, "$defs": definitions} if definitions else converted

    def _component(self, name: str) -> dict[str, Any]:
        if name not in self._components:
            names: set[str] = set()
            self._components[name] = self._with_local_refs(
                self._pointer(_COMPONENT_SCHEMA + _escape(name)),
                names,
            )
            self._component_refs[name] = frozenset(names)
        return self._components[name]

    def _with_local_refs(self, schema: Mapping[str, Any], names: set[str]) -> dict[str, Any]:
        def local(node: Mapping[str, Any]) -> Any:
            ref = str(node["$ref"])
            if not ref.startswith(_COMPONENT_SCHEMA):
                return self._inline_refs(node, frozenset())
            name = _unescape(ref[len(_COMPONENT_SCHEMA) :])
            names.add(name)
            return {**node, "$ref": "#/$defs/" + _escape(name)}

        converted = openapi_to_json_schema(self._replace_refs(schema, local))
        return widen_answer_schema(converted, self._tolerances)

    def _replace_refs(self, node: Any, replace: Callable[[Mapping[str, Any]], Any]) -> Any:
        """A copy of ``node`` where every mapping holding ``$ref`` is ``replace(it)``."""
        # Scalars and dicts first: most nodes are scalars, and a Mapping check goes through the
        # ABC machinery (it was a sixth of the conversion's time).
        if isinstance(node, _SCALARS):
            return node
        if isinstance(node, (dict, Mapping)):
            if "$ref" in node:
                return replace(node)
            self._count_copy(len(node))
            return {k: self._replace_refs(v, replace) for k, v in node.items()}
        if isinstance(node, list):
            self._count_copy(len(node))
            return [self._replace_refs(v, replace) for v in node]
        return node

    def _count_copy(self, nodes: int) -> None:
        self._copied += nodes
        if self._copied > MAX_COPIED_NODES:
            raise SpecError(
                f"expands to more than {MAX_COPIED_NODES:,} schema nodes through its $refs: "
                "reference shared schemas fewer times"
            )


def _escape(name: str) -> str:
    """A name as one JSON Pointer segment (RFC 6901)."""
    return name.replace("~", "~0").replace("/", "~1")


def _unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def _argument_name(wire: str) -> str:
    name = wire
    for symbol, word in _INEQUALITY_SUFFIXES.items():
        if name.endswith(symbol):
            name = name[: -len(symbol)] + word
    return safe_key(name)


def _first_server(node: Mapping[str, Any]) -> str | None:
    servers: Iterable[Any] = node.get("servers") or ()
    for server in servers:
        if isinstance(server, Mapping) and server.get("url"):
            return str(server["url"]).rstrip("/")
    return None
