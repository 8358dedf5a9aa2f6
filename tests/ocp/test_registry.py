"""register_api(name): installed plugins, then a registry file, then a registry URL."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestServer
from support.credentials import ACCOUNT_SID, AUTH_TOKEN, TWILIO_ENV
from support.files import DATA
from support.payments import DEFAULT_TOOLS, PAYMENT_BODY, update_arguments
from support.servers import RecordingServer, RegistryServer

from ocp_twilio import (
    AiohttpTransport,
    AmbiguousToolName,
    APINotFound,
    ConfigurationError,
    OCPAgent,
    ResponseTooLarge,
    SpecError,
    ToolNotFound,
    TransportError,
    decode_session,
)
from ocp_twilio.ocp.registry import installed_plugins
from ocp_twilio.specs.model import packaged_schemas_dir

ACME_SPECS = DATA / "example_plugin" / "acme_ocp" / "specs"
OTHER_SID = "AC" + "9" * 32
OTHER_TOKEN = "other-" + "t0ken" * 4
ACME_CREDENTIALS = {"account_sid": OTHER_SID, "auth_token": OTHER_TOKEN}


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def parcel_entry(base_url: str) -> dict[str, Any]:
    """A registry entry as OCP's registry API serves it: OCP tool definitions."""
    return {
        "name": "parcels",
        "display_name": "Parcels API",
        "description": "Track parcels",
        "category": "logistics",
        "base_url": base_url,
        "tools": [
            {
                "name": "getParcel",
                "description": "One parcel",
                "method": "GET",
                "path": "/parcels/{parcel_id}",
                "operation_id": "getParcel",
                "parameters": {
                    "parcel_id": {"type": "string", "required": True, "location": "path"},
                    "fields": {
                        "type": "string",
                        "required": False,
                        "location": "query",
                        "enum": ["summary", "full"],
                    },
                },
                "response_schema": {"type": "object", "required": ["id"]},
                "tags": ["parcels"],
            },
            {
                "name": "createParcel",
                "description": "Register a parcel",
                "method": "POST",
                "path": "/parcels",
                "parameters": {
                    "weight": {"type": "integer", "required": True, "location": "body"},
                    "label": {"type": "string", "required": False, "location": "body"},
                },
                "response_schema": {},
            },
        ],
    }


def write_registry(tmp_path: Path, apis: dict[str, Any]) -> Path:
    """A registry file, with Acme's spec files beside it in specs/."""
    shutil.copytree(ACME_SPECS, tmp_path / "specs")
    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump({"apis": apis}), encoding="utf-8")
    return path


# Installed plugins


def test_ocp_twilio_installs_the_twilio_plugin() -> None:
    assert installed_plugins()["twilio"].value == "ocp_twilio.ocp.plugin:twilio_api"


async def test_twilio_resolves_from_its_plugin_before_file_and_url(
    recording_server: RecordingServer, registry_server: RegistryServer, tmp_path: Path
) -> None:
    registry_file = write_registry(tmp_path, {"twilio": parcel_entry("http://127.0.0.1:9")})
    registry_server.entries["twilio"] = parcel_entry("http://127.0.0.1:9")

    async with OCPAgent(registry_file=registry_file, registry_url=registry_server.url) as agent:
        api = await agent.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)
        result = await agent.call_tool("updatePayments", update_arguments())

    assert result == PAYMENT_BODY
    assert api.definition.description.startswith("Twilio's REST API")
    assert agent.context.api_specs["twilio"] == "python:ocp_twilio.ocp.plugin:twilio_api"
    assert registry_server.paths == []


async def test_unknown_names_get_close_installed_names() -> None:
    async with OCPAgent() as agent:
        with pytest.raises(APINotFound) as caught:
            await agent.register_api("twillio", environ={})

    assert caught.value.suggestions == ("twilio",)
    assert "Did you mean: twilio?" in str(caught.value)


# Registry file


async def test_a_registry_file_entry_names_a_yaml_spec_beside_it(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    registry_file = write_registry(
        tmp_path,
        {"acme": {"description": "Acme", "spec": "specs", "base_url": recording_server.url}},
    )
    recording_server.reply(201, {"sid": "SH1", "status": "booked"})

    async with OCPAgent(registry_file=registry_file) as agent:
        await agent.register_api("acme", **ACME_CREDENTIALS)
        result = await agent.call_tool("createShipment", {"Reference": "o-1", "WeightGrams": 900})

    assert result == {"sid": "SH1", "status": "booked"}
    [request] = recording_server.requests
    assert (request.method, request.path_qs) == ("POST", "/v1/shipments")
    assert json.loads(request.body) == {"Reference": "o-1", "WeightGrams": 900}
    assert request.headers["Authorization"] == basic(OTHER_SID, OTHER_TOKEN)
    assert agent.context.api_specs["acme"] == registry_file.resolve().as_uri()


async def test_a_registry_file_entry_may_hold_ocp_tools(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    entry = {**parcel_entry(recording_server.url), "ocp_headers": True}
    registry_file = write_registry(tmp_path, {"parcels": entry})
    recording_server.reply(200, {"id": "p-7"})

    async with OCPAgent(registry_file=registry_file) as agent:
        await agent.register_api("parcels", **ACME_CREDENTIALS)
        result = await agent.call_tool("getParcel", {"parcel_id": "p-7", "fields": "full"})

    assert result == {"id": "p-7"}
    [request] = recording_server.requests
    assert request.path_qs == "/parcels/p-7?fields=full"
    assert decode_session(request.headers["OCP-Session"])["api_specs"] == {
        "parcels": registry_file.resolve().as_uri()
    }


async def test_the_registry_file_comes_from_the_environment(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    registry_file = write_registry(tmp_path, {"parcels": parcel_entry(recording_server.url)})

    async with OCPAgent() as agent:
        api = await agent.register_api(
            "parcels", environ={"OCP_REGISTRY_FILE": str(registry_file)}, **ACME_CREDENTIALS
        )

    assert [t.name for t in api.tools] == ["getParcel", "createParcel"]


async def test_twilio_credentials_and_host_never_go_to_another_api(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    registry_file = write_registry(tmp_path, {"parcels": parcel_entry(recording_server.url)})
    environ = {**TWILIO_ENV, "TWILIO_BASE_URL": "http://127.0.0.1:9"}

    async with OCPAgent(registry_file=registry_file) as agent:
        with pytest.raises(ConfigurationError, match="the TWILIO_\\* variables are not used"):
            await agent.register_api("parcels", environ=environ)
        await agent.register_api("parcels", environ=environ, **ACME_CREDENTIALS)
        await agent.call_tool("createParcel", {"weight": 3})

    [request] = recording_server.requests  # not sent to TWILIO_BASE_URL
    assert request.headers["Authorization"] == basic(OTHER_SID, OTHER_TOKEN)
    assert AUTH_TOKEN not in json.dumps(request.headers)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("apis: [1, 2", "Cannot read registry file"),
        ("apis: {x: {description: no spec nor tools}}", "apis/x: "),
        ("{}", "'apis' is a required property"),
    ],
)
async def test_a_bad_registry_file_is_named(tmp_path: Path, content: str, message: str) -> None:
    registry_file = tmp_path / "registry.yaml"
    registry_file.write_text(content, encoding="utf-8")

    async with OCPAgent(registry_file=registry_file) as agent:
        with pytest.raises(SpecError, match=message) as caught:
            await agent.register_api("x", **ACME_CREDENTIALS)
    assert str(registry_file) in str(caught.value)


# Registry URL


async def test_a_registry_url_serves_ocp_tool_definitions(
    recording_server: RecordingServer, registry_server: RegistryServer
) -> None:
    registry_server.entries["parcels"] = parcel_entry(recording_server.url)
    recording_server.reply(201, {"id": "p-1"})

    async with OCPAgent(registry_url=registry_server.url) as agent:
        await agent.register_api("parcels", **ACME_CREDENTIALS)
        result = await agent.call_tool("createParcel", {"weight": 1200, "label": "fragile"})

    assert result == {"id": "p-1"}
    assert registry_server.paths == ["/api/v1/registry/parcels"]
    [request] = recording_server.requests
    assert (request.method, request.path_qs) == ("POST", "/parcels")
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body) == {"weight": 1200, "label": "fragile"}
    assert agent.context.api_specs["parcels"] == f"{registry_server.url}/registry/parcels"


async def test_a_registry_url_without_a_path_is_asked_at_the_root(
    recording_server: RecordingServer,
) -> None:
    # Where OCP's reference client and this library read a registry URL alike.
    registry = RegistryServer(entries={"parcels": parcel_entry(recording_server.url)})
    app = web.Application()
    app.router.add_get("/registry/{name}", registry.entry)
    async with (
        TestServer(app, host="127.0.0.1") as server,
        OCPAgent(registry_url=str(server.make_url("/"))) as agent,
    ):
        await agent.register_api("parcels", **ACME_CREDENTIALS)

    assert registry.paths == ["/registry/parcels"]


async def test_the_file_is_asked_before_the_url(
    recording_server: RecordingServer, registry_server: RegistryServer, tmp_path: Path
) -> None:
    registry_file = write_registry(tmp_path, {"parcels": parcel_entry(recording_server.url)})
    registry_server.entries["parcels"] = parcel_entry("http://127.0.0.1:9")

    async with OCPAgent(registry_file=registry_file, registry_url=registry_server.url) as agent:
        await agent.register_api("parcels", **ACME_CREDENTIALS)

    assert registry_server.paths == []


async def test_the_registry_url_comes_from_the_environment(
    recording_server: RecordingServer, registry_server: RegistryServer
) -> None:
    registry_server.entries["parcels"] = parcel_entry(recording_server.url)

    async with OCPAgent() as agent:
        await agent.register_api(
            "parcels", environ={"OCP_REGISTRY_URL": registry_server.url}, **ACME_CREDENTIALS
        )

    assert registry_server.paths == ["/api/v1/registry/parcels"]


async def test_names_missing_everywhere_get_suggestions_from_all_sources(
    registry_server: RegistryServer, tmp_path: Path
) -> None:
    registry_server.entries["parcelforce"] = parcel_entry("http://127.0.0.1:9")
    registry_file = write_registry(tmp_path, {"parcels": parcel_entry("http://127.0.0.1:9")})

    async with OCPAgent(registry_file=registry_file, registry_url=registry_server.url) as agent:
        with pytest.raises(APINotFound) as caught:
            await agent.register_api("parcel", **ACME_CREDENTIALS)

    assert caught.value.suggestions == ("parcels", "parcelforce")
    assert registry_server.paths == ["/api/v1/registry/parcel", "/api/v1/search?q=parcel"]


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (web.Response(status=500, text="down"), TransportError, "answered HTTP 500"),
        (web.Response(status=200, text="<html>"), SpecError, "is not JSON"),
        (web.json_response({"base_url": "http://127.0.0.1:9"}), SpecError, "'tools' is a req"),
        (
            web.json_response({"base_url": "ftp://x", "tools": []}),
            SpecError,
            "base_url: 'ftp://x' does not match",
        ),
    ],
)
async def test_bad_registry_answers_are_clear_errors(
    registry_server: RegistryServer, answer: web.Response, error: type[Exception], message: str
) -> None:
    registry_server.answer = answer

    async with OCPAgent(registry_url=registry_server.url) as agent:
        with pytest.raises(error, match=message):
            await agent.register_api("parcels", **ACME_CREDENTIALS)


async def test_a_registry_url_must_be_http() -> None:
    async with OCPAgent(registry_url="registry.internal/api") as agent:
        with pytest.raises(ConfigurationError, match="must be an absolute http"):
            await agent.register_api("parcels", **ACME_CREDENTIALS)


async def test_an_unreachable_registry_is_a_transport_error() -> None:
    async with OCPAgent(registry_url="http://127.0.0.1:9") as agent:
        with pytest.raises(TransportError, match="Connection failed"):
            await agent.register_api("parcels", **ACME_CREDENTIALS)


# One spec under two names


async def test_one_spec_under_two_names_gives_two_independent_apis(
    recording_server: RecordingServer,
) -> None:
    spec = packaged_schemas_dir()
    async with OCPAgent() as agent:
        main = {"spec": spec, "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}
        await agent.register_api("pay-main", base_url=f"{recording_server.url}/main", **main)
        await agent.register_api(
            "pay-sub", spec=spec, base_url=f"{recording_server.url}/sub", **ACME_CREDENTIALS
        )
        with pytest.raises(AmbiguousToolName) as caught:
            await agent.call_tool("updatePayments", update_arguments())
        await agent.call_tool("updatePayments", update_arguments(), api="pay-main")
        await agent.call_tool("updatePayments", update_arguments(), api="pay-sub")
        # Registering one again (new host) leaves the other as it was, auth included.
        await agent.register_api("pay-main", base_url=f"{recording_server.url}/main2", **main)
        await agent.call_tool("updatePayments", update_arguments(), api="pay-sub")
        await agent.call_tool("updatePayments", update_arguments(), api="pay-main")
        with pytest.raises(APINotFound, match="pay-mian"):
            agent.get_tool("updatePayments", api="pay-mian")
        with pytest.raises(ToolNotFound) as missing:
            agent.get_tool("updatePayment", api="pay-sub")
        assert missing.value.suggestions[0] == "updatePayments"

    assert "updatePayments with api='pay-main'" in str(caught.value)
    assert "updatePayments with api='pay-sub'" in str(caught.value)
    seen = [
        (r.path_qs.split("/2010-04-01")[0], r.headers["Authorization"])
        for r in recording_server.requests
    ]
    auth_main, auth_sub = basic(ACCOUNT_SID, AUTH_TOKEN), basic(OTHER_SID, OTHER_TOKEN)
    assert seen == [
        ("/main", auth_main),
        ("/sub", auth_sub),
        ("/sub", auth_sub),
        ("/main2", auth_main),
    ]
    # Each API fills in its own account SID.
    assert OTHER_SID in recording_server.requests[1].path_qs
    # the curated operations and their status tools each
    count = len(DEFAULT_TOOLS)
    assert [len(agent.list_tools(api)) for api in ("pay-main", "pay-sub")] == [count, count]
    assert len(agent.list_tools()) == 2 * count


async def test_one_spec_under_two_registry_file_names(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    registry_file = write_registry(
        tmp_path,
        {
            "acme-eu": {"spec": "specs", "base_url": f"{recording_server.url}/eu"},
            "acme-us": {"spec": "specs", "base_url": f"{recording_server.url}/us"},
        },
    )
    recording_server.reply(200, {"sid": "SH3", "status": "delivered"})

    async with OCPAgent(registry_file=registry_file) as agent:
        await agent.register_api("acme-eu", **ACME_CREDENTIALS)
        await agent.register_api("acme-us", account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN)
        for api in ("acme-us", "acme-eu"):
            await agent.call_tool("getShipment", {"Sid": "SH3"}, api=api)

    seen = [(r.path_qs, r.headers["Authorization"]) for r in recording_server.requests]
    assert seen == [
        ("/us/v1/shipments/SH3", basic(ACCOUNT_SID, AUTH_TOKEN)),
        ("/eu/v1/shipments/SH3", basic(OTHER_SID, OTHER_TOKEN)),
    ]


# A registry that claims to be Twilio


@pytest.mark.parametrize("where", ["file", "url"])
async def test_registry_tools_claiming_twilio_get_no_twilio_credentials(
    registry_server: RegistryServer, tmp_path: Path, where: str
) -> None:
    entry = parcel_entry("https://api.twilio.com")
    registry_file = write_registry(tmp_path, {"parcels": entry})
    registry_server.entries["parcels"] = entry
    found_at = {"registry_file": registry_file} if where == "file" else {}
    async with OCPAgent(registry_url=registry_server.url, **found_at) as agent:
        with pytest.raises(ConfigurationError, match="defined by the registry at") as caught:
            await agent.register_api("parcels", environ=TWILIO_ENV)
        # Credentials passed for this API are its own, and used.
        api = await agent.register_api("parcels", environ=TWILIO_ENV, **ACME_CREDENTIALS)
    assert "TWILIO_* variables are not used" in str(caught.value)
    assert api.dispatcher.credentials.username == OTHER_SID
    assert agent.list_tools("parcels")


async def test_registry_answers_go_through_the_agents_transport_and_are_capped(
    registry_server: RegistryServer,
) -> None:
    registry_server.answer = web.json_response(
        {**parcel_entry("http://127.0.0.1:9"), "description": "x" * 5_000_000}
    )
    async with OCPAgent(registry_url=registry_server.url) as agent:
        with pytest.raises(ResponseTooLarge, match="more than 4194304 bytes"):
            await agent.register_api("parcels", **ACME_CREDENTIALS)
        transport = agent.transport
        assert isinstance(transport, AiohttpTransport) and transport._session is not None
    assert registry_server.paths == ["/api/v1/registry/parcels"]


async def test_a_registry_entry_cannot_make_a_tool_that_sends_look_like_one_that_reads(
    tmp_path: Path,
) -> None:
    """Its tools keep their method's effects: a claim in the extension, or Twilio's own
    operationId on Twilio's host, changes nothing."""
    entry = parcel_entry("https://api.twilio.com")
    entry["tools"][1]["operation_id"] = "CreateMessage"
    entry["x-ocp-twilio"] = {"tools": {"createParcel": {"effects": ["read"]}}}
    registry_file = write_registry(tmp_path, {"parcels": entry})

    async with OCPAgent(registry_file=registry_file) as agent:
        api = await agent.register_api("parcels", **ACME_CREDENTIALS)

    effects = {tool.spec.name: tool.effects for tool in api.tools}
    assert effects == {"getParcel": {"read"}, "createParcel": {"write"}}
