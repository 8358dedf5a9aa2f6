"""The importer over Twilio's own 55 OpenAPI files (../shared/twilio-oai), checked independently.

Requests are checked against the raw OpenAPI documents, not against the converted specs: the
form body is decoded back and typed by the document's schemas, the query is matched to the
declared parameters, and path values must stay in the path.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import pytest
import ryaml
from jsonschema import Draft202012Validator
from support.credentials import ACCOUNT_SID
from support.files import SHARED_OAI

from ocp_twilio import AmbiguousToolName
from ocp_twilio.specs.json_schema import openapi_to_json_schema
from ocp_twilio.specs.model import OperationSpec
from ocp_twilio.specs.openapi import HTTP_METHODS, service_name
from ocp_twilio.specs.sources import load_operations
from ocp_twilio.tools.formats import INPUT_FORMATS
from ocp_twilio.tools.index import ToolIndex, qualified_name
from ocp_twilio.tools.tool import Tool

pytestmark = pytest.mark.skipif(
    not SHARED_OAI.is_dir(), reason=f"Twilio's OpenAPI files are not at {SHARED_OAI}"
)
# Requests checked per file: the first operations of each kind (form body, JSON body, query...).
SAMPLES_PER_KIND = 2


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    return {
        service_name(path): ryaml.loads(path.read_text(encoding="utf-8"))
        for path in sorted(Path(SHARED_OAI).glob("*.yaml"))
    }


@pytest.fixture(scope="module")
def operations() -> dict[tuple[str, str], OperationSpec]:
    return {(op.service, op.operation_id): op for op in load_operations([SHARED_OAI])}


def test_every_operation_of_the_55_files_converts(
    documents: dict[str, dict[str, Any]], operations: dict[tuple[str, str], OperationSpec]
) -> None:
    declared = {
        (service, raw["operationId"]): (method.upper(), path)
        for service, document in documents.items()
        for path, item in document["paths"].items()
        for method, raw in item.items()
        if method in HTTP_METHODS
    }
    assert len(documents) == 55
    assert len(declared) == 1447
    assert {key: (op.method, op.path) for key, op in operations.items()} == declared
    assert sum(op.body_encoding == "form" for op in operations.values()) == 430
    unsafe = [p for op in operations.values() for p in op.parameters if p.sent_as != p.name]
    assert {p.sent_as for p in unsafe} >= {"StartTime<", "StartTime>", "DateCreated>"}


def test_every_tool_schema_is_valid_json_schema(
    operations: dict[tuple[str, str], OperationSpec],
) -> None:
    # The meta-schema checks each subschema on its own, and of a description or title only that
    # it is a string: so each schema is cut into its skeleton and its subschemas, texts are
    # checked here and blanked, and every distinct piece is checked once. Same verdict, faster.
    distinct: dict[str, Any] = {}
    for op in operations.values():
        tool = Tool(op)
        for schema in (tool.input_schema, tool.output_schema):
            if schema is not None:
                _collect_pieces(schema, distinct)
    meta = Draft202012Validator(Draft202012Validator.META_SCHEMA)
    for piece in distinct.values():
        meta.validate(piece)
    assert len(distinct) > 1000


def _collect_pieces(schema: Any, distinct: dict[str, Any]) -> None:
    if not isinstance(schema, Mapping):
        distinct.setdefault(json.dumps(schema), schema)
        return
    skeleton = dict(schema)
    for key in ("description", "title"):
        if key in schema:
            assert isinstance(schema[key], str), schema
            skeleton[key] = ""
    for key in ("properties", "$defs"):
        if isinstance(schema.get(key), Mapping):
            skeleton[key] = {name: {} for name in schema[key]}
            for part in schema[key].values():
                _collect_pieces(part, distinct)
    for key in ("items", "not"):
        if isinstance(schema.get(key), Mapping):
            skeleton[key] = {}
            _collect_pieces(schema[key], distinct)
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(key), list):
            skeleton[key] = [{} for _ in schema[key]]
            for part in schema[key]:
                _collect_pieces(part, distinct)
    distinct.setdefault(json.dumps(skeleton, sort_keys=True), skeleton)


def test_sampled_requests_validate_against_the_openapi_request_schemas(
    documents: dict[str, dict[str, Any]], operations: dict[tuple[str, str], OperationSpec]
) -> None:
    checked: defaultdict[str, int] = defaultdict(int)
    for service, document in documents.items():
        taken: defaultdict[str, int] = defaultdict(int)
        resolver = _Document(document)
        for path, item in document["paths"].items():
            for method, raw in item.items():
                if method not in HTTP_METHODS:
                    continue
                op = operations[(service, raw["operationId"])]
                kind = op.body_encoding or ("query" if op.parameters_in("query") else method)
                if taken[kind] >= SAMPLES_PER_KIND:
                    continue
                tool = Tool(op)
                arguments = _valid_arguments(tool.input_schema)
                if arguments is None:
                    continue
                for name in tool.library_arguments:  # never sent; a Cursor is one the tool gave
                    arguments.pop(name, None)
                taken[kind] += 1
                _check_request(resolver, path, item, raw, op, arguments)
        checked[service] = sum(taken.values())
    assert set(checked) == set(documents)
    with_operations = {
        service
        for service, document in documents.items()
        if any(m in HTTP_METHODS for item in document["paths"].values() for m in item)
    }
    assert all(checked[service] >= 1 for service in with_operations), checked


def _check_request(
    document: _Document,
    path: str,
    item: Mapping[str, Any],
    raw: Mapping[str, Any],
    op: OperationSpec,
    arguments: dict[str, Any],
) -> None:
    where = f"{op.service} {raw['operationId']}"
    request = Tool(op).prepare(arguments, {"account_sid": ACCOUNT_SID})
    declared = document.parameters(item, raw)
    values = {**arguments, "AccountSid": arguments.get("AccountSid", ACCOUNT_SID)}
    by_wire = {p.sent_as: p.name for p in op.parameters}

    # The path is the template filled with the path values, and they appear nowhere else.
    expected_path = path
    for name in declared.get("path", {}):
        expected_path = expected_path.replace(
            "{" + name + "}", quote(str(values[by_wire[name]]), safe="")
        )
    assert request.path == expected_path, where

    query: defaultdict[str, list[str]] = defaultdict(list)
    for name, value in request.query:
        query[name].append(value)
    assert set(query) <= set(declared.get("query", {})), where
    for name, parameter in declared.get("query", {}).items():
        schema = parameter.get("schema", {})
        if name in query:
            document.validate(schema, document.typed(schema, query[name]), where)
        else:
            assert not parameter.get("required"), f"{where}: required {name} not sent"

    body_schema = document.body_schema(raw)
    if body_schema is None:
        assert request.body is None, where
        return
    if request.content_type == "application/json":
        body = json.loads(request.body or b"{}")
    else:
        form: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in parse_qsl((request.body or b"").decode(), keep_blank_values=True):
            form[name].append(value)
        properties = document.resolve(body_schema).get("properties", {})
        assert set(form) <= set(properties), where
        body = {n: document.typed(properties[n], v) for n, v in form.items()}
    document.validate(body_schema, body, where)
    for name in declared.get("path", {}):
        if name not in document.resolve(body_schema).get("properties", {}):
            assert name not in body, f"{where}: path value {name} leaked into the body"


class _Document:
    """Reads one raw OpenAPI document the plain way: JSON pointers and its own components."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.components = {
            name: openapi_to_json_schema(schema)
            for name, schema in document.get("components", {}).get("schemas", {}).items()
        }

    def resolve(self, node: Any) -> Any:
        while isinstance(node, Mapping) and "$ref" in node:
            target: Any = self.document
            for part in node["$ref"][2:].split("/"):
                target = target[part]
            node = target
        return node

    def parameters(
        self, item: Mapping[str, Any], raw: Mapping[str, Any]
    ) -> dict[str, dict[str, Any]]:
        found: defaultdict[str, dict[str, Any]] = defaultdict(dict)
        for reference in [*item.get("parameters", ()), *raw.get("parameters", ())]:
            parameter = self.resolve(reference)
            found[parameter["in"]][parameter["name"]] = parameter
        return dict(found)

    def body_schema(self, raw: Mapping[str, Any]) -> Any:
        content = self.resolve(raw.get("requestBody", {})).get("content", {})
        for media in content.values():
            return media.get("schema", {})
        return None

    def validate(self, schema: Mapping[str, Any], instance: Any, where: str) -> None:
        root = {**openapi_to_json_schema(schema), "components": {"schemas": self.components}}
        errors = [
            e.message
            for e in Draft202012Validator(root, format_checker=INPUT_FORMATS).iter_errors(instance)
        ]
        assert not errors, f"{where}: {errors}"

    def typed(self, schema: Mapping[str, Any], texts: list[str]) -> Any:
        """Wire text back to the JSON value the schema describes (arrays from repeated names)."""
        schema = self.resolve(schema)
        kind = schema.get("type")
        if kind == "array":
            return [self.typed(schema.get("items", {}), [t]) for t in texts]
        [text] = texts
        if kind == "boolean":
            return {"true": True, "false": False}.get(text, text)
        if kind == "integer" and re.fullmatch(r"-?\d+", text):
            return int(text)
        if kind == "number":
            return float(text)
        if kind in ("object", None) and text[:1] in "{[":
            return json.loads(text)
        return text


# A SID's pattern: ^SM[0-9a-fA-F]{32}$, or of either prefix, ^(SM|MM)[0-9a-fA-F]{32}$.
_SID_PATTERN = re.compile(r"^\^\(?([A-Z]{2})(?:\|[A-Z]{2})*\)?\[0-9a-fA-F\]\{32\}\$$")
_FORMAT_EXAMPLES = {
    "uri": "https://example.com/callback",
    "date-time": "2024-05-01T12:00:00Z",
    "date": "2024-05-01",
    "date-time-rfc-2822": "Wed, 01 May 2024 12:00:00 +0000",
    "email": "someone@example.com",
    "phone-number": "+15005550006",
}


class _Unsupported(Exception):
    """No simple valid value for this schema (an unusual pattern): the argument is left out."""


def _valid_arguments(schema: Mapping[str, Any]) -> dict[str, Any] | None:
    """Every argument a simple valid value can be made for; None when a required one cannot.

    Of a body of several whole forms (a top-level oneOf/anyOf of ``"type": "object"``
    branches), the arguments of the first form only, as it narrows them."""
    properties = dict(schema["properties"])
    required = list(schema.get("required", ()))
    forms = schema.get("oneOf") or schema.get("anyOf") or []
    if forms and all(form.get("type") == "object" for form in forms):
        first = forms[0]
        for form in forms:
            for name in [*form.get("required", ()), *form.get("properties", {})]:
                properties.pop(name, None)
        chosen = first.get("properties", {})
        for name in [*first.get("required", ()), *chosen]:
            if chosen.get(name) is not False:
                properties[name] = chosen.get(name) or schema["properties"][name]
        required += first.get("required", ())
    arguments: dict[str, Any] = {}
    for name, property_schema in properties.items():
        try:
            arguments[name] = _example(property_schema)
        except _Unsupported:
            if name in required:
                return None
    return arguments


def _example(schema: Mapping[str, Any]) -> Any:
    if "enum" in schema:
        return next(v for v in schema["enum"] if v is not None)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return _example(schema[key][0])
    kinds = schema.get("type", [])
    kind = next((k for k in ([kinds] if isinstance(kinds, str) else kinds) if k != "null"), None)
    if kind == "string":
        pattern = schema.get("pattern")
        if pattern:
            sid = _SID_PATTERN.match(pattern)
            if not sid:
                raise _Unsupported(pattern)
            return sid.group(1) + "0" * 32
        text = _FORMAT_EXAMPLES.get(schema.get("format", ""), "text")
        return text.ljust(schema.get("minLength", 0), "x")
    if kind == "integer":
        return (
            max(int(schema.get("minimum", 1)), 1) if "maximum" not in schema else schema["maximum"]
        )
    if kind == "number":
        return float(schema.get("minimum", 1.5))
    if kind == "boolean":
        return True
    if kind == "array":
        return [_example(schema.get("items", {}))]
    if kind == "object" and "properties" in schema:
        arguments = _valid_arguments(schema)
        if arguments is None:
            raise _Unsupported("object")
        return arguments
    if kind == "object":
        return {"key": "value"}
    return "text"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("update payments", "api_v2010__updatePayments"),
        ("list calls", "api_v2010__listCall"),
        ("fetch alarm", "monitor_v2__fetchAlarm"),
        ("create a verification", "verify_v2__createVerification"),
    ],
)
def test_search_finds_the_right_tool_among_all(
    operations: dict[tuple[str, str], OperationSpec], query: str, expected: str
) -> None:
    index = ToolIndex(Tool(op, name=qualified_name(op)) for op in operations.values())
    assert index.search(query, 1)[0].name == expected


def test_every_tool_name_is_unique_safe_and_short_enough(
    operations: dict[tuple[str, str], OperationSpec],
) -> None:
    names = [qualified_name(op) for op in operations.values()]
    assert len(set(names)) == 1447
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name) for name in names)
    index = ToolIndex(Tool(op, name=qualified_name(op)) for op in operations.values())
    short_names = {op.name for op in operations.values()}
    ambiguous = []
    for short in short_names:
        try:
            index.get(short)
        except AmbiguousToolName as exc:
            ambiguous.append(exc.suggestions)
    assert len(ambiguous) == 136


def test_every_tool_exports_to_every_framework_within_its_rules(
    operations: dict[tuple[str, str], OperationSpec],
) -> None:
    from support.adapter_rules import (
        ANTHROPIC_PROPERTY_KEY,
        ANTHROPIC_TOOL_NAME,
        MCP_TOOL_NAME,
        OPENAI_FUNCTION_NAME,
        property_keys,
        strict_violations,
    )

    from ocp_twilio.adapters import tool_definitions

    tools = [Tool(op, name=qualified_name(op)) for op in operations.values()]
    aliased = []
    loose = []
    for tool in tools:
        [chat] = tool_definitions([tool], "openai")
        assert OPENAI_FUNCTION_NAME.match(chat["function"]["name"])
        [strict] = tool_definitions([tool], "openai", strict=True)
        if strict["function"].get("strict"):
            assert strict_violations(strict["function"]["parameters"]) == [], tool.name
        else:
            loose.append(tool.name)
        [mcp] = tool_definitions([tool], "mcp")
        assert MCP_TOOL_NAME.match(mcp["name"])
        [anthropic] = tool_definitions([tool], "anthropic")  # no SpecError for any tool
        assert ANTHROPIC_TOOL_NAME.match(anthropic["name"])
        keys = property_keys(anthropic["input_schema"])
        assert all(ANTHROPIC_PROPERTY_KEY.match(k) for k in keys), tool.name
        # MCP hosts such as Claude Code give the schemas to Anthropic's API: the same keys.
        assert property_keys(mcp["inputSchema"]) == keys
        # The top-level oneOf/anyOf of a body's forms goes into the description.
        if keys != property_keys({"properties": tool.input_schema["properties"]}):
            aliased.append(tool.name)
    # Nested JSON keys such as "twilio/text" go out as aliases ("twilio_text"); the calls turn
    # them back, so the body carries Twilio's keys (tests/adapters/test_safe_keys.py).
    assert sorted(aliased) == [
        "content_v1__createContent",
        "content_v1__updateContent",
    ]
    # A free-form object nested below the top level cannot be strict; it goes out non-strict.
    assert loose == ["iam_organizations__patchOrganizationUser"]
