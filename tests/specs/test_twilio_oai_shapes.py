"""Operations of Twilio's own files (../shared/twilio-oai) whose shapes the importer once got
wrong, called end to end against a real server on 127.0.0.1: what is sent, and what comes back.

Which operations have each shape is read from the raw documents, so a new file with the same
shape is tested too.
"""

from __future__ import annotations

import base64
import functools
import json
from pathlib import Path
from typing import Any

import pytest
import ryaml
from aiohttp import web
from jsonschema import Draft202012Validator
from support.credentials import ACCOUNT_SID, AUTH_TOKEN, TWILIO_ENV
from support.files import SHARED_OAI
from support.servers import RecordingServer, serve_recording

from ocp_twilio import InvalidArguments, OCPAgent, ResponseValidationError
from ocp_twilio.adapters._schema import model_facing
from ocp_twilio.specs.openapi import HTTP_METHODS
from ocp_twilio.tools.headers import is_reserved_header

pytestmark = pytest.mark.skipif(
    not SHARED_OAI.is_dir(), reason=f"Twilio's OpenAPI files are not at {SHARED_OAI}"
)

# Valid arguments of each operation whose only documented answer is a 3xx with a JSON body.
REDIRECT_ARGUMENTS = {
    ("api_v2010", "FetchRecordingAddOnResultPayloadData"): {
        "ReferenceSid": "RE" + "a" * 32,
        "AddOnResultSid": "XR" + "b" * 32,
        "PayloadSid": "XH" + "c" * 32,
    },
    ("bulkexports_v1", "FetchDay"): {"ResourceType": "Messages", "Day": "2024-05-01"},
    ("iam_organizations", "FetchAuthorize"): {"response_type": "code"},
    ("messaging_v1", "FetchDeactivation"): {"Date": "2024-05-01"},
    ("oauth_v1", "FetchAuthorize"): {"ResponseType": "code"},
    ("oauth_v2", "FetchOauth2Authorize"): {"response_type": "code"},
}


@functools.cache
def _documents() -> dict[str, dict[str, Any]]:
    """Twilio's documents by service (``api_v2010``...)."""
    return {
        path.stem.removeprefix("twilio_"): ryaml.loads(path.read_text(encoding="utf-8"))
        for path in sorted(Path(SHARED_OAI).glob("*.yaml"))
    }


def _raw_operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(service, operationId, operation) of every operation of Twilio's files."""
    return [
        (service, raw["operationId"], raw)
        for service, document in _documents().items()
        for item in document["paths"].values()
        for method, raw in item.items()
        if method in HTTP_METHODS
    ]


def _file_of(service: str) -> Path:
    return Path(SHARED_OAI) / f"twilio_{service}.yaml"


def _tool_name(operation_id: str) -> str:
    return operation_id[0].lower() + operation_id[1:]


def test_the_operations_answered_by_a_3xx_with_a_body_are_the_six_tested() -> None:
    documented = set()
    for service, operation_id, raw in _raw_operations():
        codes = {str(code) for code in raw.get("responses", {})}
        with_body = {
            code
            for code in codes
            if code.startswith("3")
            and "application/json" in (raw["responses"][code] or {}).get("content", {})
        }
        if with_body and not any(code.startswith("2") for code in codes):
            documented.add((service, operation_id))
    assert documented == set(REDIRECT_ARGUMENTS)


@pytest.mark.parametrize(("service", "operation_id"), sorted(REDIRECT_ARGUMENTS))
async def test_a_documented_redirect_answer_is_the_result_and_is_not_followed(
    recording_server: RecordingServer, service: str, operation_id: str
) -> None:
    raw = next(r for s, o, r in _raw_operations() if (s, o) == (service, operation_id))
    [status] = [int(code) for code in raw["responses"]]
    async with serve_recording("127.0.0.2") as elsewhere:
        location = f"{elsewhere.url}/download/day.json.gz"
        body = {"redirect_to": location}
        recording_server.respond = lambda request: web.json_response(
            body, status=status, headers={"Location": location}
        )
        async with OCPAgent(response_validation="strict") as agent:
            await agent.register_api(
                "twilio",
                spec=_file_of(service),
                base_url=recording_server.url,
                environ=TWILIO_ENV,
            )
            tool = _tool_name(operation_id)
            result = await agent.call_tool(tool, REDIRECT_ARGUMENTS[(service, operation_id)])

            assert result == body
            assert len(recording_server.requests) == 1
            assert elsewhere.requests == []  # the credentials never go to the Location's host

            # The body is checked against the documented schema as a 2xx body is.
            recording_server.respond = lambda request: web.json_response(
                {"redirect_to": 5}, status=status
            )
            with pytest.raises(ResponseValidationError, match="redirect_to"):
                await agent.call_tool(tool, REDIRECT_ARGUMENTS[(service, operation_id)])


async def test_flex_tools_list_no_header_the_library_owns_and_send_the_others(
    recording_server: RecordingServer,
) -> None:
    declared = [
        (_tool_name(operation_id), parameter["name"])
        for service, operation_id, raw in _raw_operations()
        if service == "flex_v1"
        for parameter in raw.get("parameters", ())
        if parameter.get("in") == "header"
    ]
    owned = {(tool, name) for tool, name in declared if is_reserved_header(name.lower())}
    assert {name for _, name in owned} == {"Authorization"} and len(owned) == 24
    async with OCPAgent() as agent:
        await agent.register_api(
            "twilio", spec=_file_of("flex_v1"), base_url=recording_server.url, environ=TWILIO_ENV
        )
        listed = {
            (tool.spec.name, name)
            for tool in agent.list_tools()
            for name in tool.input_schema["properties"]
            if (tool.spec.name, name) in set(declared)
        }
        assert listed == set(declared) - owned  # Flex-Metadata of 18 tools, and nothing else

        recording_server.reply(200, {"plugins": [], "meta": {}})
        await agent.call_tool("listPlugin", {"Flex-Metadata": "flex-ui/2.0"})
        await agent.call_tool("listInsightsSegments", {})
        with pytest.raises(InvalidArguments, match="Authorization: is not an accepted argument"):
            await agent.call_tool("listInsightsSegments", {"Authorization": "Token model-made"})
    plugins, segments = recording_server.requests
    assert plugins.headers["Flex-Metadata"] == "flex-ui/2.0"
    assert "Flex-Metadata" not in segments.headers
    expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert plugins.headers["Authorization"] == segments.headers["Authorization"] == expected


def _body_alternatives() -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(service, operationId, body schema resolvable at its document's root, Twilio's examples)
    of every operation whose request body is a oneOf or anyOf."""
    found = []
    for service, operation_id, raw in _raw_operations():
        for media in (raw.get("requestBody") or {}).get("content", {}).values():
            document = _documents()[service]
            schema = {**media["schema"], "components": document["components"]}
            body = schema
            while "$ref" in body:
                body = document["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
            if "oneOf" in body or "anyOf" in body:
                examples = {k: e["value"] for k, e in media.get("examples", {}).items()}
                found.append((service, operation_id, schema, examples))
    return found


async def test_each_whole_form_of_a_oneof_body_is_offered_and_sent_as_twilio_describes_it(
    recording_server: RecordingServer,
) -> None:
    [(service, operation_id, body_schema, examples)] = _body_alternatives()
    assert (service, operation_id) == ("messaging_v3", "CreateV3TypingIndicator")
    assert {example["channel"] for example in examples.values()} == {"WHATSAPP", "APPLE"}
    twilios_rule = Draft202012Validator(body_schema)
    recording_server.reply(200, {"success": True})
    async with OCPAgent(response_validation="strict") as agent:
        await agent.register_api(
            "twilio", spec=_file_of(service), base_url=recording_server.url, environ=TWILIO_ENV
        )
        tool = agent.get_tool(_tool_name(operation_id))
        description, _ = model_facing(tool)
        assert description.endswith(
            "Give the arguments of exactly one of these forms: channel=WHATSAPP and messageId; "
            "or channel=APPLE, from and to."
        )
        for example in examples.values():  # Twilio's own example of each form
            assert await agent.call_tool(tool.name, example) == {"success": True}

        whatsapp, apple = (e for e in examples.values() if e["channel"] in ("WHATSAPP", "APPLE"))
        refused = [
            {},  # was sent as "{}"
            {"channel": "WHATSAPP"},
            {**whatsapp, "from": apple["from"]},  # a WhatsApp form takes nothing else
            {**apple, "channel": "WHATSAPP"},
        ]
        for arguments in refused:
            with pytest.raises(InvalidArguments, match="exactly one of these forms"):
                await agent.call_tool(tool.name, arguments)
            assert not twilios_rule.is_valid(arguments)  # Twilio's file refuses them too
    sent = [json.loads(r.body) for r in recording_server.requests]
    assert sent == list(examples.values())
    assert all(twilios_rule.is_valid(body) for body in sent)
    assert {r.headers["Content-Type"] for r in recording_server.requests} == {"application/json"}
