"""The curated specs in schemas/ hold the same facts as Twilio's published OpenAPI description."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
import yaml
from support.files import SHARED_OAI

from ocp_twilio import OperationSpec, ParameterSpec, load_operations
from ocp_twilio.specs.json_schema import openapi_to_json_schema
from ocp_twilio.specs.model import packaged_schemas_dir

OAI_FILE = SHARED_OAI / "twilio_api_v2010.yaml"
FORM = "application/x-www-form-urlencoded"
# Keywords whose values must agree wherever Twilio's description states them.
FACT_KEYWORDS = ("type", "enum", "pattern", "format", "minLength", "maxLength")
OPERATIONS = {op.name: op for op in load_operations([packaged_schemas_dir()])}


@pytest.fixture(scope="module")
def oai() -> dict[str, Any]:
    if not OAI_FILE.is_file():
        pytest.skip(f"Twilio's OpenAPI description is not available at {OAI_FILE}")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with OAI_FILE.open(encoding="utf-8") as stream:
        document: dict[str, Any] = yaml.load(stream, Loader=loader)
    return document


def twilio_operation(oai: Mapping[str, Any], spec: OperationSpec) -> tuple[str, str, Any]:
    """(path, method, operation) of Twilio's operation with the spec's operation id."""
    for path, item in oai["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and operation.get("operationId") == spec.operation_id:
                return path, method.upper(), operation
    raise AssertionError(f"{spec.operation_id} is not in {OAI_FILE.name}")


def resolved(oai: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """The schema with a top-level $ref to #/components/schemas/... followed."""
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = oai["components"]["schemas"][name]
    return dict(schema)


def stated_facts(oai: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    converted = openapi_to_json_schema(resolved(oai, schema))
    return {k: converted[k] for k in FACT_KEYWORDS if k in converted}


# Our formats that narrow Twilio's: an http(s) URL is the kind of uri Twilio can post to.
NARROWER_FORMATS = {"http-url": "uri"}


def our_facts(schema: Mapping[str, Any], keywords: Any) -> dict[str, Any]:
    facts = {k: schema[k] for k in keywords if k in schema}
    if "format" in facts:
        facts["format"] = NARROWER_FORMATS.get(facts["format"], facts["format"])
    return facts


def form_body(operation: Mapping[str, Any]) -> dict[str, Any]:
    if "requestBody" not in operation:
        return {"properties": {}}
    body: dict[str, Any] = operation["requestBody"]["content"][FORM]["schema"]
    return body


def by_location(spec: OperationSpec, location: str) -> dict[str, ParameterSpec]:
    """The spec's parameters in ``location`` by the name Twilio gives them (DateSent<)."""
    return {p.sent_as: p for p in spec.parameters_in(location)}  # type: ignore[arg-type]


# What the curated tools leave out of Twilio's operations, and why (docs/reference.md says so).
LEFT_OUT = {
    "CreateMessage": {"MaxPrice", "ForceDelivery"},  # obsolete since 2024; reserved
    "CreateCall": {"SipAuthUsername", "SipAuthPassword"},  # a credential a model must not hold
}


@pytest.fixture(params=sorted(OPERATIONS))
def spec(request: pytest.FixtureRequest) -> OperationSpec:
    operation: OperationSpec = OPERATIONS[request.param]
    return operation


def test_the_curated_operations_are_shipped() -> None:
    assert {op.operation_id for op in OPERATIONS.values()} == {
        *("CreatePayments", "UpdatePayments"),
        *("CreateMessage", "FetchMessage", "ListMessage", "DeleteMessage"),
        *("CreateCall", "FetchCall", "ListCall", "UpdateCall"),
    }


def test_same_path_method_and_server(oai: dict[str, Any], spec: OperationSpec) -> None:
    path, method, _ = twilio_operation(oai, spec)

    assert (spec.path, spec.method) == (path, method)
    assert spec.server == oai["paths"][path]["servers"][0]["url"]


@pytest.mark.parametrize("location", ["path", "query"])
def test_same_path_and_query_parameters(
    oai: dict[str, Any], spec: OperationSpec, location: str
) -> None:
    _, _, operation = twilio_operation(oai, spec)
    theirs = {p["name"]: p for p in operation["parameters"] if p["in"] == location}
    ours = by_location(spec, location)

    assert set(ours) == set(theirs)
    assert all(p["in"] in ("path", "query") for p in operation["parameters"])  # no header ones
    for name, param in ours.items():
        assert param.required == theirs[name].get("required", False), name
        facts = stated_facts(oai, theirs[name]["schema"])
        assert our_facts(param.schema, facts) == facts, name


def test_same_body_parameters_and_encoding(oai: dict[str, Any], spec: OperationSpec) -> None:
    _, _, operation = twilio_operation(oai, spec)
    body = form_body(operation)
    ours = by_location(spec, "body")

    if "requestBody" in operation:
        assert list(operation["requestBody"]["content"]) == [FORM]
        assert spec.body_encoding == "form"
    else:
        assert spec.body_encoding is None
    assert set(ours) == set(body["properties"]) - LEFT_OUT.get(spec.operation_id, set())
    assert {n for n, p in ours.items() if p.required} == set(body.get("required", ()))


def test_same_enums_types_and_formats(oai: dict[str, Any], spec: OperationSpec) -> None:
    _, _, operation = twilio_operation(oai, spec)
    properties = form_body(operation)["properties"]

    stated = 0
    for name, param in by_location(spec, "body").items():
        facts = stated_facts(oai, properties[name])
        assert our_facts(param.schema, facts) == facts, name
        stated += bool(facts)
    assert stated >= len(by_location(spec, "body")) - 1  # only Parameter is left untyped


def test_enums_are_all_compared(oai: dict[str, Any]) -> None:
    # The $ref'd enums (Capture, Status, PaymentMethod, ...) are followed, not skipped.
    _, _, operation = twilio_operation(oai, OPERATIONS["updatePayments"])
    capture = stated_facts(oai, form_body(operation)["properties"]["Capture"])

    assert "payment-card-number-matcher" in capture["enum"]
    assert (
        by_location(OPERATIONS["updatePayments"], "body")["Capture"].schema["enum"]
        == (capture["enum"])
    )


def test_same_success_status(oai: dict[str, Any], spec: OperationSpec) -> None:
    _, _, operation = twilio_operation(oai, spec)
    success = [int(code) for code in operation["responses"] if str(code).startswith("2")]

    assert spec.response is not None
    assert success == [spec.response.status]


def test_same_response_fields(oai: dict[str, Any], spec: OperationSpec) -> None:
    _, _, operation = twilio_operation(oai, spec)
    assert spec.response is not None
    content = operation["responses"][str(spec.response.status)].get("content")
    if content is None:  # 204: no answer to describe
        assert spec.response.schema is None
        return
    theirs = resolved(oai, content["application/json"]["schema"])
    assert spec.response.schema is not None
    ours = spec.response.schema["properties"]

    assert set(ours) == set(theirs["properties"])
    for name, schema in theirs["properties"].items():
        facts = stated_facts(oai, schema)
        assert our_facts(ours[name], facts) == facts, name
        assert ("null" in ours[name]["type"]) == bool(schema.get("nullable")), name


def test_descriptions_are_our_own(oai: dict[str, Any], spec: OperationSpec) -> None:
    _, _, operation = twilio_operation(oai, spec)
    body = form_body(operation)["properties"]
    theirs = {p["name"]: p.get("description", "") for p in operation["parameters"]}
    theirs |= {name: schema.get("description", "") for name, schema in body.items()}

    assert spec.description and spec.description not in (operation.get("description"), "")
    for param in spec.parameters:
        assert param.description, param.name
        assert param.description != theirs[param.sent_as], param.name
