"""The OCP tool format both ways, in one module: what ``ocp_tool`` and ``tool_extension`` write,
``operations_of`` reads back as the same operation, in the OCP tool's names (no registry, no
server: the registry and catalog tests cover those)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from support.files import ocp_schema

from ocp_twilio import load_api
from ocp_twilio.ocp.tool_format import (
    TOOL_EXTENSION_SCHEMA,
    camel_case,
    ocp_tool,
    operations_of,
    parameter_names,
    tool_extension,
)
from ocp_twilio.specs.model import OperationSpec, parse_spec_document
from ocp_twilio.tools.tool import Tool

OCP_TOOL = jsonschema.Draft7Validator(ocp_schema("ocp-tool.json"))
EXTENSION = jsonschema.Draft202012Validator(TOOL_EXTENSION_SCHEMA)
SERVER = "https://api.acme.example"
# Names OCP does not allow, two that become the same OCP name, a header, a wire name, an
# argument from the credentials, an exactly-one-of group, a nullable type and a JSON body.
TRICKY: dict[str, Any] = {
    "api": "acme",
    "server": SERVER,
    "operations": [
        {
            "name": "update-widget_settings",
            "method": "POST",
            "path": "/v1/Accounts/{AccountSid}/Widgets/{Sid}.json",
            "body_encoding": "form",
            "parameters": [
                {
                    "name": "AccountSid",
                    "in": "path",
                    "required": True,
                    "from_credentials": "account_sid",
                    "schema": {"type": "string"},
                },
                {"name": "Sid", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "Limits.Members", "in": "body", "schema": {"type": "integer"}},
                {"name": "Limits-Members", "in": "body", "schema": {"type": "integer"}},
                {"name": "X-Acme-Trace", "in": "header", "schema": {"type": "string"}},
                {
                    "name": "StartTimeBefore",
                    "wire_name": "StartTime<",
                    "in": "query",
                    "schema": {"type": "string", "format": "date-time"},
                },
                {"name": "2fa", "in": "query", "schema": {"type": "boolean", "nullable": True}},
                {"name": "Status", "in": "body", "schema": {"enum": ["complete", "cancel"]}},
                {"name": "Capture", "in": "body", "schema": {"type": "string"}},
            ],
            "exactly_one_of": [["Status", "Capture"]],
            "response": {
                "status": 202,
                "schema": {"type": "object", "properties": {"sid": {"type": "string"}}},
            },
        },
        {
            "name": "createWidget",
            "method": "POST",
            "path": "/v1/Widgets",
            "body_encoding": "json",
            "parameters": [
                {
                    "name": "FriendlyName",
                    "in": "body",
                    "required": True,
                    "schema": {"type": "string"},
                }
            ],
        },
    ],
}


def tricky_tools() -> list[Tool]:
    return [Tool(op) for op in parse_spec_document(TRICKY, source="tricky")]


def curated_tools() -> list[Tool]:
    return [tool for tool in load_api()[1] if not tool.local]


@pytest.mark.parametrize("tools_of", [tricky_tools, curated_tools])
def test_what_is_written_reads_back_as_the_same_operation(
    tools_of: Callable[[], list[Tool]],
) -> None:
    tools = tools_of()
    assert len(tools) >= 2
    for tool in tools:
        listed = ocp_tool(tool)
        extension = tool_extension(tool, listed)
        assert OCP_TOOL.is_valid(listed), tool.name
        assert EXTENSION.is_valid(extension), tool.name

        (back,) = operations_of(
            "acme", SERVER, [listed], {listed["name"]: extension}, basic=True, source="test"
        )

        names = parameter_names(tool)
        assert back.name == camel_case(tool.spec.name)
        assert _shape(back) == _shape(tool.spec, names)
        # Required as the model is asked (the library makes an IdempotencyKey left out).
        asked = set(tool.input_schema.get("required", ()))
        assert {p.name for p in back.parameters if p.required} == {
            names[p.name] for p in tool.spec.parameters if p.location == "path" or p.name in asked
        }


def test_the_tricky_names_become_ocp_names() -> None:
    tool = tricky_tools()[0]
    listed = ocp_tool(tool)

    assert listed["name"] == "updateWidgetSettings"
    assert listed["path"] == "/v1/Accounts/{AccountSid}/Widgets/{Sid}.json"
    assert list(listed["parameters"]) == [
        "AccountSid",
        "Sid",
        "Limits_Members",
        "Limits_Members_2",
        "X_Acme_Trace",
        "StartTimeBefore",
        "p2fa",
        "Status",
        "Capture",
    ]
    assert listed["parameters"]["p2fa"]["type"] == "boolean"  # the nullable type's named part
    assert tool_extension(tool, listed) == {
        "body_encoding": "form",
        "wire_names": {
            "Limits_Members": "Limits.Members",
            "Limits_Members_2": "Limits-Members",
            "X_Acme_Trace": "X-Acme-Trace",
            "StartTimeBefore": "StartTime<",
            "p2fa": "2fa",
        },
        "from_credentials": {"AccountSid": "account_sid"},
        "exactly_one_of": [["Status", "Capture"]],
        "response_status": 202,
        "effects": ["write"],
    }


def test_without_basic_auth_no_argument_is_filled_from_the_credentials() -> None:
    tool = tricky_tools()[0]
    listed = ocp_tool(tool)
    extensions = {listed["name"]: tool_extension(tool, listed)}

    (basic,) = operations_of("acme", SERVER, [listed], extensions, basic=True, source="test")
    (bearer,) = operations_of("acme", SERVER, [listed], extensions, basic=False, source="test")

    assert [p.from_credentials for p in basic.parameters if p.from_credentials] == ["account_sid"]
    assert [p.from_credentials for p in bearer.parameters if p.from_credentials] == []


def test_an_ocp_tool_without_an_extension_sends_its_body_as_json() -> None:
    listed = {
        "name": "createParcel",
        "method": "post",
        "path": "/parcels/{id}",
        "parameters": {
            "id": {"type": "string", "location": "path"},
            "weight": {"type": "number", "location": "body", "required": True, "minimum": 0},
        },
        "response_schema": {"type": "object"},
    }

    (back,) = operations_of("parcels", SERVER, [listed], {}, basic=True, source="test")

    assert (back.method, back.body_encoding, back.server) == ("POST", "json", SERVER)
    assert [(p.name, p.location, p.required) for p in back.parameters] == [
        ("id", "path", True),
        ("weight", "body", True),
    ]
    assert back.parameters[1].schema == {"type": "number", "minimum": 0}
    assert back.response is not None and back.response.status == 200


def _shape(spec: OperationSpec, names: dict[str, str] | None = None) -> tuple[Any, ...]:
    """What decides the request and its answer, in OCP names: method, path, body encoding,
    each parameter, the exactly-one-of groups and the success status."""
    named = names or {p.name: p.name for p in spec.parameters}
    path = spec.path
    for param in spec.parameters_in("path"):
        path = path.replace(f"{{{param.sent_as}}}", f"{{{named[param.name]}}}")
    parameters = tuple(
        (
            named[p.name],
            named[p.name] if p.location == "path" else p.sent_as,
            p.location,
            p.from_credentials,
        )
        for p in spec.parameters
    )
    groups = tuple(tuple(named[n] for n in group) for group in spec.exactly_one_of)
    status = spec.response.status if spec.response and spec.response.schema else None
    return spec.method, path, spec.body_encoding, parameters, groups, status
