"""Header parameters no model fills: a spec's Proxy-Authorization, Cookie, Host, Content-Length
(and the other names of RESERVED_HEADERS) are left out of the tool, whether the spec is the
project's YAML, OpenAPI or a registry entry, so no model value of theirs reaches the wire."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.credentials import ACCOUNT_SID, AUTH_TOKEN, TWILIO_ENV
from support.files import SHARED_OAI
from support.servers import RecordingServer, RegistryServer

from ocp_twilio import (
    AiohttpTransport,
    Credentials,
    InvalidArguments,
    OCPAgent,
    OperationSpec,
    ParameterSpec,
    Tool,
    load_tools,
)
from ocp_twilio.http.dispatch import Dispatcher
from ocp_twilio.http.hosts import CredentialScope
from ocp_twilio.specs.sources import load_operations
from ocp_twilio.tools.headers import RESERVED_HEADERS

# Every reserved name, in the letter cases specs use.
RESERVED = [
    "Proxy-Authorization",
    "Cookie",
    "Host",
    "Content-Length",
    "Authorization",
    "Transfer-Encoding",
    "CONNECTION",
    "keep-alive",
    "Proxy-Connection",
    "TE",
    "Trailer",
    "Upgrade",
    "Expect",
    "Accept",
    "Accept-Encoding",
    "User-Agent",
    "content-type",
    "Content-Encoding",
]
# The agent's own OCP context headers: reserved by their prefix.
AGENT_HEADERS = ["OCP-User", "ocp-session"]
FROM_THE_MODEL = "from-the-model"


def yaml_spec(tmp_path: Path) -> Path:
    parameters = [
        {"name": "Body", "in": "body", "required": True, "schema": {"type": "string"}},
        {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
        # Required, too: the tool stays callable, the library writes the header itself.
        *(
            {"name": h, "in": "header", "required": True, "schema": {"type": "string"}}
            for h in [*RESERVED, *AGENT_HEADERS]
        ),
    ]
    document = {
        "api": "twilio",
        "operations": [
            {
                "name": "saveThing",
                "method": "POST",
                "path": "/v1/Things.json",
                "body_encoding": "form",
                "parameters": parameters,
                "response": {"status": 200, "schema": {"type": "object"}},
            }
        ],
    }
    path = tmp_path / "things.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def openapi_spec(tmp_path: Path) -> Path:
    headers = ["X-Trace", *RESERVED, *AGENT_HEADERS]
    document = {
        "openapi": "3.0.1",
        "info": {"title": "things", "version": "1.0.0"},
        "servers": [{"url": "https://things.twilio.com"}],
        "paths": {
            "/v1/Things.json": {
                "post": {
                    "operationId": "SaveThing",
                    "parameters": [
                        {"name": h, "in": "header", "schema": {"type": "string"}} for h in headers
                    ],
                    "requestBody": {
                        "content": {
                            "application/x-www-form-urlencoded": {
                                "schema": {
                                    "type": "object",
                                    "required": ["Body"],
                                    "properties": {"Body": {"type": "string"}},
                                }
                            }
                        }
                    },
                    "responses": {
                        "200": {"content": {"application/json": {"schema": {"type": "object"}}}}
                    },
                }
            }
        },
    }
    path = tmp_path / "twilio_things_v1.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def registry_entry(base_url: str) -> dict[str, Any]:
    """OCP names may not hold '-': each header's name is its wire name with '_'."""
    headers = {h.replace("-", "_"): h for h in ["X-Trace", *RESERVED, *AGENT_HEADERS]}
    parameters: dict[str, Any] = {
        "Body": {"type": "string", "required": True, "location": "body"},
        **{name: {"type": "string", "location": "header"} for name in headers},
    }
    return {
        "name": "things",
        "base_url": base_url,
        "tools": [
            {
                "name": "saveThing",
                "method": "POST",
                "path": "/v1/Things.json",
                "parameters": parameters,
                "response_schema": {"type": "object"},
            }
        ],
        "x-ocp-twilio": {"tools": {"saveThing": {"body_encoding": "form", "wire_names": headers}}},
    }


async def registered(
    agent: OCPAgent,
    source: str,
    tmp_path: Path,
    recording_server: RecordingServer,
    registry_server: RegistryServer,
) -> Tool:
    """The saveThing tool of ``source``, registered against the recording server."""
    if source == "registry url":
        registry_server.entries["things"] = registry_entry(recording_server.url)
        agent.registry_url = registry_server.url
        await agent.register_api("things", account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN)
    else:
        spec = yaml_spec(tmp_path) if source == "yaml spec" else openapi_spec(tmp_path)
        await agent.register_api(
            "things", spec=spec, base_url=recording_server.url, environ=TWILIO_ENV
        )
    [tool] = [t for t in agent.list_tools() if t.name.endswith("saveThing")]
    return tool


SOURCES = ["yaml spec", "openapi spec", "registry url"]


def test_every_reserved_name_is_tested() -> None:
    assert {h.lower() for h in RESERVED} == RESERVED_HEADERS


@pytest.mark.parametrize("source", SOURCES)
async def test_reserved_header_parameters_are_left_out_and_the_library_writes_them(
    source: str,
    tmp_path: Path,
    recording_server: RecordingServer,
    registry_server: RegistryServer,
) -> None:
    recording_server.reply(200, {})
    async with OCPAgent() as agent:
        tool = await registered(agent, source, tmp_path, recording_server, registry_server)
        trace = "X_Trace" if source == "registry url" else "X-Trace"
        offered = json.dumps([agent.tools_for(f) for f in ("openai", "anthropic", "mcp")])
        await agent.call_tool(tool.name, {"Body": "hello", trace: "t1"})

    assert sorted(tool.input_schema["properties"]) == ["Body", trace]
    assert tool.input_schema["required"] == ["Body"]
    # No adapter offers them either, under either spelling of the name.
    quoted = {
        f'"{name}"'
        for h in [*RESERVED, *AGENT_HEADERS]
        for name in (h.lower(), h.lower().replace("-", "_"))
    }
    assert not [name for name in quoted if name in offered.lower()]
    assert '"x-trace"' in offered.lower() or '"x_trace"' in offered.lower()
    [request] = recording_server.requests
    lines = [(name.decode().lower(), value.decode()) for name, value in request.raw_headers]
    names = [name for name, _ in lines]
    # Each header the library or aiohttp writes is there once; no other reserved one at all.
    assert sorted(n for n in names if n in RESERVED_HEADERS) == [
        "accept",
        "accept-encoding",
        "authorization",
        "content-length",
        "content-type",
        "host",
        "user-agent",
    ]
    sent = dict(lines)
    assert sent["host"] == recording_server.url.removeprefix("http://")
    assert sent["content-length"] == str(len(request.body)) == str(len(b"Body=hello"))
    assert sent["authorization"].startswith("Basic ")
    assert sent["x-trace"] == "t1"


@pytest.mark.parametrize(
    "header", ["Proxy-Authorization", "Cookie", "Host", "Content-Length", "OCP-User"]
)
@pytest.mark.parametrize("source", SOURCES)
async def test_a_reserved_header_argument_is_refused_and_nothing_is_sent(
    source: str,
    header: str,
    tmp_path: Path,
    recording_server: RecordingServer,
    registry_server: RegistryServer,
) -> None:
    argument = header.replace("-", "_") if source == "registry url" else header
    async with OCPAgent() as agent:
        tool = await registered(agent, source, tmp_path, recording_server, registry_server)
        with pytest.raises(InvalidArguments, match=argument) as caught:
            await agent.call_tool(tool.name, {"Body": "hello", argument: FROM_THE_MODEL})

    assert FROM_THE_MODEL not in str(caught.value)
    assert recording_server.requests == []


def test_exactly_one_of_groups_lose_the_left_out_names() -> None:
    string = {"type": "string"}
    spec = OperationSpec(
        name="saveThing",
        method="POST",
        path="/v1/Things.json",
        body_encoding="form",
        parameters=(
            ParameterSpec("Body", "body", string),
            ParameterSpec("A", "body", string),
            ParameterSpec("B", "body", string),
            ParameterSpec("Cookie", "header", string),
        ),
        exactly_one_of=(("Cookie", "Body"), ("A", "B", "Cookie")),
    )
    tool = Tool(spec)

    # One of A and B still; Body, whose only other choice was the cookie, is simply optional.
    assert tool.spec.exactly_one_of == (("A", "B"),)
    tool.validate({"A": "1"})
    tool.validate({"B": "1", "Body": "x"})
    with pytest.raises(InvalidArguments):
        tool.validate({"A": "1", "B": "2"})
    with pytest.raises(InvalidArguments):
        tool.validate({"Body": "x"})


async def test_the_dispatcher_keeps_its_key_header_from_a_tool_made_by_hand(
    recording_server: RecordingServer,
) -> None:
    """A Tool made without credentials_header lists the API's key header; the dispatcher still
    never sends the model's value in it."""
    spec = OperationSpec(
        name="fetchThing",
        method="GET",
        path="/v1/Thing.json",
        parameters=(ParameterSpec("X-API-Key", "header", {"type": "string"}),),
    )
    by_hand, registered_tool = Tool(spec), Tool(spec, credentials_header="x-api-key")
    dispatcher = Dispatcher(
        Credentials.key_header("X-API-Key", AUTH_TOKEN),
        scope=CredentialScope(recording_server.url),
        base_url=recording_server.url,
    )
    transport = AiohttpTransport()
    try:
        await dispatcher.call(transport, by_hand, {"X-API-Key": FROM_THE_MODEL})
    finally:
        await transport.close()

    assert list(by_hand.input_schema["properties"]) == ["X-API-Key"]
    assert registered_tool.input_schema["properties"] == {}
    [request] = recording_server.requests
    assert [v for n, v in request.raw_headers if n.lower() == b"x-api-key"] == [AUTH_TOKEN.encode()]


FLEX = SHARED_OAI / "twilio_flex_v1.yaml"


@pytest.mark.skipif(not FLEX.exists(), reason=f"Twilio's OpenAPI files are not at {SHARED_OAI}")
def test_twilios_authorization_header_parameters_are_left_out() -> None:
    """Twilio's Flex file declares Authorization as a header parameter of 24 operations."""
    declared = [
        op.name
        for op in load_operations([FLEX])
        if any(p.location == "header" and p.sent_as == "Authorization" for p in op.parameters)
    ]
    tools = load_tools("twilio", spec=FLEX)

    assert len(declared) == 24
    assert [t.name for t in tools if "Authorization" in t.input_schema["properties"]] == []
    assert {t.spec.name for t in tools} >= set(declared)
