"""The OpenAPI importer on the project's own fixture: conversion, requests on the wire, answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from jsonschema import Draft202012Validator
from support.credentials import ACCOUNT_SID, TWILIO_ENV
from support.files import DATA
from support.servers import RecordingServer, serve_recording

from ocp_twilio import InvalidArguments, OCPAgent, SpecError, TwilioAPIError
from ocp_twilio.specs.json_schema import openapi_to_json_schema
from ocp_twilio.specs.model import BodyForm, OperationSpec, ResponseSpec
from ocp_twilio.specs.openapi import parse_openapi_document
from ocp_twilio.specs.sources import load_operations

FIXTURES = DATA / "openapi"
FIXTURE = FIXTURES / "twilio_fixture_v1.yaml"
WIDGET_SID = "WG" + "ab" * 16
ALARM_SID = "AL" + "cd" * 16


def operation(name: str) -> OperationSpec:
    [found] = [op for op in load_operations([FIXTURE]) if op.name == name]
    return found


@pytest.fixture
async def fixture_agent(recording_server: RecordingServer) -> Any:
    async with OCPAgent(response_validation="strict") as agent:
        await agent.register_api(
            "twilio", spec=FIXTURES, base_url=recording_server.url, environ=TWILIO_ENV
        )
        yield agent


def test_every_fixture_operation_converts_with_service_and_host() -> None:
    operations = load_operations([FIXTURES])
    assert {(op.service, op.name) for op in operations} == {
        ("fixture_v1", "createWidget"),
        ("fixture_v1", "listWidget"),
        ("fixture_v1", "deleteWidget"),
        ("fixture_v1", "updateWidget"),
        ("fixture_v1", "fetchAlarm"),
        ("fixture_v1", "fetchAnExtremelyLongOperationNameThatExceedsTheToolNameLimit"),
        ("other_v1", "fetchAlarm"),
    }
    servers = {op.name: op.server for op in operations if op.service == "fixture_v1"}
    assert servers["createWidget"] == "https://widgets.twilio.com"  # path-level servers
    assert servers["fetchAlarm"] == "https://fixture.twilio.com"  # document servers


def test_form_body_properties_become_arguments_with_refd_enums_and_untyped_ones() -> None:
    create = operation("createWidget")
    assert create.body_encoding == "form"
    body = {p.name: p for p in create.parameters_in("body")}
    assert body["Color"].schema == {"type": "string", "enum": ["red", "green"]}
    assert body["Color"].required
    assert body["Parameter"].schema == {}  # no type: anything is accepted
    # The body's Sid may not shadow anything; the path's AccountSid comes from the credentials.
    [account] = create.parameters_in("path")
    assert (account.name, account.from_credentials) == ("AccountSid", "account_sid")


def test_refd_and_path_level_parameters_and_unsafe_names() -> None:
    assert [(p.name, p.location, p.required) for p in operation("fetchAlarm").parameters] == [
        ("Sid", "path", True)
    ]
    assert [p.name for p in operation("deleteWidget").parameters] == [
        "AccountSid",
        "Sid",
        "Force",
        "If-Match",
    ]
    listing = {p.name: p for p in operation("listWidget").parameters}
    assert listing["DateCreatedBefore"].sent_as == "DateCreated<"
    assert listing["DateCreatedAfter"].sent_as == "DateCreated>"


def test_argument_names_that_collide_are_told_apart_by_location() -> None:
    document = {
        "openapi": "3.0.1",
        "paths": {
            "/v1/{Sid}": {
                "post": {
                    "operationId": "Move",
                    "parameters": [{"name": "Sid", "in": "path", "required": True}],
                    "requestBody": {
                        "content": {
                            "application/x-www-form-urlencoded": {
                                "schema": {"properties": {"Sid": {"type": "string"}}}
                            }
                        }
                    },
                    "responses": {"200": {"description": "OK"}},
                }
            }
        },
    }
    [move] = parse_openapi_document(document, service="s")
    assert [(p.name, p.sent_as, p.location) for p in move.parameters] == [
        ("Sid", "Sid", "path"),
        ("body_Sid", "Sid", "body"),
    ]


def test_response_schema_is_the_documented_2xx_json_one() -> None:
    fetch = operation("fetchAlarm")
    assert fetch.response is not None and fetch.response.status == 200
    schema = dict(fetch.response.schema or {})
    Draft202012Validator.check_schema(schema)
    assert schema["$ref"] == "#/$defs/fixture.v1.widget"
    widget = schema["$defs"]["fixture.v1.widget"]["properties"]
    assert widget["sid"]["type"] == ["string", "null"]
    assert widget["color"] == {"anyOf": [{"$ref": "#/$defs/widget_enum_color"}, {"type": "null"}]}
    deleted = operation("deleteWidget").response
    assert deleted is not None and (deleted.status, deleted.schema) == (204, None)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"openapi": "2.0", "paths": {}}, "not an OpenAPI 3.0 document"),
        ({"openapi": "3.0.1", "paths": {"/x": {"get": {"responses": {}}}}}, "no operationId"),
        (
            {
                "openapi": "3.0.1",
                "paths": {
                    "/x": {"get": {"operationId": "X", "parameters": [{"$ref": "#/nowhere"}]}}
                },
            },
            "points nowhere",
        ),
    ],
)
def test_malformed_documents_name_the_problem(document: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse_openapi_document(document, service="bad", source="bad.yaml")


async def test_form_body_is_sent_form_encoded_and_path_values_stay_in_the_path(
    fixture_agent: OCPAgent, recording_server: RecordingServer
) -> None:
    recording_server.reply(201, {"sid": WIDGET_SID, "color": "red", "uri": "/v1/Widgets/1.json"})
    arguments = {
        "Color": "red",
        "Parameter": {"mode": "ach"},
        "Labels": ["a", "b"],
        "Sid": WIDGET_SID,
        "Enabled": True,
    }
    result = await fixture_agent.call_tool("createWidget", arguments)

    assert result["color"] == "red"  # a relative uri passes strict response validation
    [request] = recording_server.requests
    assert request.method == "POST"
    assert request.path_qs == f"/v1/Accounts/{ACCOUNT_SID}/Widgets.json"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.form == [
        ("Color", "red"),
        ("Parameter", '{"mode":"ach"}'),
        ("Labels", "a"),
        ("Labels", "b"),
        ("Sid", WIDGET_SID),
        ("Enabled", "true"),
    ]


async def test_get_query_is_sent_with_twilio_names_and_repeated_arrays(
    fixture_agent: OCPAgent, recording_server: RecordingServer
) -> None:
    recording_server.reply(
        200,
        {
            "widgets": [{"sid": None, "date_created": "Wed, 18 Dec 2019 20:02:01 +0000"}],
            "uri": "/v1/Accounts/AC/Widgets.json?PageSize=50&Page=0",
            "next_page_uri": None,
        },
    )
    await fixture_agent.call_tool(
        "listWidget",
        {"DateCreatedBefore": "2024-05-01T00:00:00Z", "Tag": ["x", "y z"], "PageSize": 5},
    )
    [request] = recording_server.requests
    assert request.path_qs == (
        f"/v1/Accounts/{ACCOUNT_SID}/Widgets.json"
        "?DateCreated%3C=2024-05-01T00:00:00Z&Tag=x&Tag=y+z&PageSize=5"
    )
    assert request.body == b""


async def test_delete_sends_query_and_header_and_accepts_an_empty_204(
    fixture_agent: OCPAgent, recording_server: RecordingServer
) -> None:
    recording_server.reply(204)
    result = await fixture_agent.call_tool(
        "deleteWidget", {"Sid": WIDGET_SID, "Force": True, "If-Match": "etag-1"}
    )
    assert result == {}
    [request] = recording_server.requests
    assert request.method == "DELETE"
    assert request.path_qs == f"/v1/Accounts/{ACCOUNT_SID}/Widgets/{WIDGET_SID}.json?Force=true"
    assert request.headers["If-Match"] == "etag-1"


async def test_json_body_is_sent_as_json(
    fixture_agent: OCPAgent, recording_server: RecordingServer
) -> None:
    recording_server.reply(200, {"sid": WIDGET_SID})
    await fixture_agent.call_tool(
        "updateWidget", {"Sid": WIDGET_SID, "Settings": {"size": 3}, "Note": None}
    )
    [request] = recording_server.requests
    assert request.method == "PUT"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body) == {"Settings": {"size": 3}, "Note": None}


async def test_bad_arguments_are_refused_before_sending(
    fixture_agent: OCPAgent, recording_server: RecordingServer
) -> None:
    with pytest.raises(InvalidArguments) as caught:
        await fixture_agent.call_tool("createWidget", {"Color": "blue", "DateCreated<": "x"})
    assert "Color: must be one of: red, green" in str(caught.value)
    assert "DateCreated<: is not an accepted argument" in str(caught.value)
    assert recording_server.requests == []


def test_path_level_server_is_the_host_without_an_override() -> None:
    from ocp_twilio.http.credentials import Credentials
    from ocp_twilio.http.dispatch import Dispatcher
    from ocp_twilio.tools.tool import Tool

    tool = Tool(operation("createWidget"))
    dispatcher = Dispatcher(Credentials.create(ACCOUNT_SID, "token"), region="ie1")
    url = dispatcher.url_for(tool, tool.prepare({"Color": "red"}, {"account_sid": ACCOUNT_SID}))
    assert str(url) == f"https://widgets.ie1.twilio.com/v1/Accounts/{ACCOUNT_SID}/Widgets.json"


def test_a_schema_that_contains_itself_is_cut_where_it_repeats() -> None:
    node = {"type": "object", "properties": {"child": {"$ref": "#/components/schemas/node"}}}
    document = {
        "openapi": "3.0.1",
        "components": {"schemas": {"node": node}},
        "paths": {
            "/v1/Trees": {
                "post": {
                    "operationId": "CreateTree",
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "properties": {"Root": {"$ref": "#/components/schemas/node"}}
                                }
                            }
                        }
                    },
                    "responses": {
                        "201": {
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/node"}
                                }
                            }
                        }
                    },
                }
            }
        },
    }
    [create] = parse_openapi_document(document, service="trees_v1", tolerances=())
    [root] = create.parameters
    assert root.schema == {"type": "object", "properties": {"child": {}}}
    assert create.response is not None and create.response.schema == {
        "$ref": "#/$defs/node",
        "$defs": {"node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/node"}}}},
    }


def _redirecting_document(documented: dict[str, Any]) -> dict[str, Any]:
    """One GET whose answers are ``documented`` (status: its JSON schema, or None)."""
    responses = {
        str(status): {"content": {"application/json": {"schema": schema}}} if schema else {}
        for status, schema in documented.items()
    }
    return {
        "openapi": "3.0.1",
        "servers": [{"url": "https://exports.twilio.com"}],
        "paths": {
            "/v1/Days/{Day}": {
                "parameters": [{"name": "Day", "in": "path", "schema": {"type": "string"}}],
                "get": {"operationId": "FetchDay", "responses": responses},
            }
        },
    }


REDIRECT_TO = {
    "type": "object",
    "required": ["redirect_to"],
    "properties": {"redirect_to": {"type": "string", "format": "uri"}},
}


def test_a_3xx_with_a_json_body_is_the_response_only_where_no_2xx_is_documented() -> None:
    [only_redirect] = parse_openapi_document(
        _redirecting_document({307: REDIRECT_TO}), service="s", tolerances=()
    )
    assert only_redirect.response == ResponseSpec(307, REDIRECT_TO)
    [with_success] = parse_openapi_document(
        _redirecting_document({200: {"type": "object"}, 302: REDIRECT_TO}), service="s"
    )
    assert with_success.response == ResponseSpec(200, {"type": "object"})
    [without_body] = parse_openapi_document(
        _redirecting_document({302: None}), service="s", tolerances=()
    )
    assert without_body.response is None


async def test_a_documented_3xx_answer_is_returned_and_another_status_raises_unfollowed(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    spec = tmp_path / "twilio_exports_v1.json"
    spec.write_text(json.dumps(_redirecting_document({307: REDIRECT_TO})), encoding="utf-8")
    async with serve_recording("127.0.0.2") as elsewhere, OCPAgent() as agent:
        await agent.register_api(
            "twilio", spec=spec, base_url=recording_server.url, environ=TWILIO_ENV
        )
        location = f"{elsewhere.url}/day.json.gz"
        for status in (307, 302):
            recording_server.respond = lambda request, status=status: web.json_response(
                {"redirect_to": location}, status=status, headers={"Location": location}
            )
            if status == 307:
                result = await agent.call_tool("fetchDay", {"Day": "2024-05-01"})
                assert result == {"redirect_to": location}
            else:  # not the documented answer: an error, as any other status
                with pytest.raises(TwilioAPIError) as caught:
                    await agent.call_tool("fetchDay", {"Day": "2024-05-01"})
                assert caught.value.status == 302
    assert [r.path_qs for r in recording_server.requests] == ["/v1/Days/2024-05-01"] * 2
    assert elsewhere.requests == []


FORMS_DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.1",
    "servers": [{"url": "https://forms.twilio.com"}],
    "paths": {
        "/v1/Indicators": {
            "post": {
                "operationId": "CreateIndicator",
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/choice"}}
                    }
                },
                "responses": {"200": {"description": "OK"}},
            }
        },
        "/v1/Notes": {
            "post": {
                "operationId": "CreateNote",
                "requestBody": {
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                # Label belongs to every form; anyOf: one form at least.
                                "properties": {"Label": {"type": "string"}},
                                "required": ["Label"],
                                "anyOf": [
                                    {
                                        "required": ["To"],
                                        "properties": {
                                            "To": {"type": "string"},
                                            "Kind": {"type": "string", "enum": ["sms"]},
                                        },
                                    },
                                    {
                                        "required": ["Address"],
                                        "properties": {
                                            "Address": {"type": "string"},
                                            "Kind": {"type": "string", "enum": ["email"]},
                                        },
                                    },
                                ],
                            }
                        }
                    }
                },
                "responses": {"201": {"description": "Created"}},
            }
        },
    },
    "components": {
        "schemas": {
            "choice": {
                "oneOf": [{"$ref": "#/components/schemas/w"}, {"$ref": "#/components/schemas/a"}]
            },
            "w": {
                "type": "object",
                "additionalProperties": False,
                "required": ["channel", "id"],
                "properties": {
                    "channel": {"type": "string", "enum": ["W"], "description": "W only."},
                    "id": {"type": "string", "pattern": "^SM"},
                },
            },
            "a": {
                "type": "object",
                "additionalProperties": False,
                "required": ["channel", "from"],
                "properties": {
                    "channel": {"type": "string", "enum": ["A"], "description": "A only."},
                    "from": {"type": "string"},
                },
            },
        }
    },
}


def test_a_body_of_several_forms_keeps_each_form_whole() -> None:
    indicator, note = parse_openapi_document(FORMS_DOCUMENT, service="forms_v1")
    assert [(p.name, p.required) for p in indicator.parameters] == [
        ("channel", False),
        ("id", False),
        ("from", False),
    ]
    assert indicator.parameters[0].schema == {
        "anyOf": [
            {"type": "string", "enum": ["W"], "description": "W only."},
            {"type": "string", "enum": ["A"], "description": "A only."},
        ]
    }
    assert indicator.body_choice == "oneOf"
    assert indicator.body_forms == (
        BodyForm(("channel", "id"), {"channel": {"type": "string", "enum": ["W"]}}, ("from",)),
        BodyForm(("channel", "from"), {"channel": {"type": "string", "enum": ["A"]}}, ("id",)),
    )
    # Open forms refuse nothing; the property beside anyOf is required of every call.
    assert [(p.name, p.required) for p in note.parameters] == [
        ("Label", True),
        ("To", False),
        ("Kind", False),
        ("Address", False),
    ]
    assert note.body_choice == "anyOf"
    assert note.body_forms == (
        BodyForm(("To",), {"Kind": {"type": "string", "enum": ["sms"]}}),
        BodyForm(("Address",), {"Kind": {"type": "string", "enum": ["email"]}}),
    )


def test_body_forms_come_back_whole_from_the_cache(tmp_path: Path) -> None:
    spec = tmp_path / "twilio_forms_v1.json"
    spec.write_text(json.dumps(FORMS_DOCUMENT), encoding="utf-8")
    converted = load_operations([spec], cache_dir=tmp_path / "cache")
    assert list((tmp_path / "cache" / "catalog").iterdir())
    assert load_operations([spec], cache_dir=tmp_path / "cache") == converted
    assert converted[0].body_forms


async def test_each_form_of_a_body_is_sent_whole_and_a_mix_of_forms_is_refused(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    spec = tmp_path / "twilio_forms_v1.json"
    spec.write_text(json.dumps(FORMS_DOCUMENT), encoding="utf-8")
    recording_server.reply(200, {})
    async with OCPAgent() as agent:
        await agent.register_api(
            "twilio", spec=spec, base_url=recording_server.url, environ=TWILIO_ENV
        )
        sent = [
            ("createIndicator", {"channel": "W", "id": "SM1"}),
            ("createIndicator", {"channel": "A", "from": "x"}),
            ("createNote", {"Label": "l", "To": "+1555", "Kind": "sms"}),
            ("createNote", {"Label": "l", "Address": "a@b.c"}),
            ("createNote", {"Label": "l", "To": "+1555", "Address": "a@b.c"}),  # fits both
        ]
        for tool, arguments in sent:
            await agent.call_tool(tool, arguments)
        refused = [
            ("createIndicator", {"channel": "W", "id": "SM1", "from": "x"}, "from: belongs to"),
            ("createIndicator", {"channel": "A", "id": "SM1"}, "channel: must be one of: W"),
            ("createIndicator", {}, "exactly one of these forms: channel=W and id; or channel"),
            ("createNote", {"Label": "l", "Address": "a", "Kind": "sms"}, "at least one of"),
        ]
        for tool, arguments, message in refused:
            with pytest.raises(InvalidArguments, match=message):
                await agent.call_tool(tool, arguments)
    requests = recording_server.requests
    assert [json.loads(r.body) for r in requests[:2]] == [sent[0][1], sent[1][1]]
    assert [r.form for r in requests[2:]] == [
        [("Label", "l"), ("To", "+1555"), ("Kind", "sms")],
        [("Label", "l"), ("Address", "a@b.c")],
        [("Label", "l"), ("To", "+1555"), ("Address", "a@b.c")],
    ]


def test_nullable_beside_a_ref_takes_null_and_keeps_every_sibling() -> None:
    enum = "#/$defs/status"
    typed = openapi_to_json_schema({"type": "string", "$ref": enum, "nullable": True})
    assert typed == {"type": ["string", "null"], "anyOf": [{"$ref": enum}, {"type": "null"}]}
    chosen = openapi_to_json_schema({"$ref": enum, "anyOf": [{"maxLength": 9}], "nullable": True})
    assert chosen == {
        "anyOf": [{"maxLength": 9}],
        "allOf": [{"anyOf": [{"$ref": enum}, {"type": "null"}]}],
    }
