"""A registry entry's auth_config: none, HTTP Basic, bearer, an API key in a header; from
register_api's arguments or the variables the entry names, and only to the entry's host."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import OCP_DATA, TWILIO_ENV, RecordingServer, RegistryServer

from ocp_twilio import ConfigurationError, OCPAgent, SpecError

SECRET = "s3cret-" + "k3y" * 6


def entry(base_url: str, auth_config: dict[str, Any], **extension: Any) -> dict[str, Any]:
    """An OCP registry entry of one tool that takes a header argument named like an API key."""
    document = {
        "name": "acme",
        "description": "Acme",
        "base_url": base_url,
        "auth_config": auth_config,
        "tools": [
            {
                "name": "getThing",
                "description": "One thing",
                "method": "GET",
                "path": "/things/{thing_id}",
                "parameters": {
                    "thing_id": {"type": "string", "required": True, "location": "path"},
                    "X_API_Key": {"type": "string", "required": False, "location": "header"},
                },
                "response_schema": {},
            }
        ],
        "x-ocp-twilio": {"tools": {"getThing": {"wire_names": {"X_API_Key": "X-API-Key"}}}},
    }
    if extension:
        document["x-ocp-twilio"].update(extension)
    return document


BASIC = "Basic " + base64.b64encode(f"acme-user:{SECRET}".encode()).decode()
CASES = {
    "none": ({"type": "none", "header_name": None}, {}, {}, {}),
    "basic": (
        {"type": "basic"},
        {"account_sid": "acme-user", "auth_token": SECRET},
        {},
        {"Authorization": BASIC},
    ),
    "basic from the entry's variables": (
        {"type": "http_basic"},
        {},
        {"auth_env": {"username": "ACME_USER", "password": "ACME_PASSWORD"}},
        {"Authorization": BASIC},
    ),
    "bearer": (
        {"type": "bearer_token"},
        {"token": SECRET},
        {},
        {"Authorization": f"Bearer {SECRET}"},
    ),
    "bearer from the entry's variable": (
        {"type": "bearer"},
        {},
        {"auth_env": {"token": "ACME_TOKEN"}},
        {"Authorization": f"Bearer {SECRET}"},
    ),
    "api key": (
        {"type": "api_key", "header_name": "X-API-Key"},
        {"api_key": SECRET},
        {},
        {"X-API-Key": SECRET},
    ),
    "api key from the entry's variable": (
        {"type": "api_key", "header_name": "X-API-Key"},
        {},
        {"auth_env": {"key": "ACME_KEY"}},
        {"X-API-Key": SECRET},
    ),
}
ENVIRON = {
    "ACME_USER": "acme-user",
    "ACME_PASSWORD": SECRET,
    "ACME_TOKEN": SECRET,
    "ACME_KEY": SECRET,
}


@pytest.mark.parametrize("case", CASES)
async def test_each_auth_type_sends_its_header_to_the_entrys_host_only(
    case: str, recording_server: RecordingServer, registry_server: RegistryServer
) -> None:
    auth_config, arguments, extension, expected = CASES[case]
    registry_server.entries["acme"] = entry(recording_server.url, auth_config, **extension)

    async with OCPAgent(registry_url=registry_server.url) as agent:
        await agent.register_api("acme", environ=ENVIRON, **arguments)
        # A header argument of the model's never replaces the API key.
        await agent.call_tool("getThing", {"thing_id": "T1", "X_API_Key": "the-models-own"})

    [request] = recording_server.requests
    sent = {name: request.headers.get(name) for name in ("Authorization", "X-API-Key")}
    if "X-API-Key" not in expected:
        expected = {**expected, "X-API-Key": "the-models-own"}
    assert sent == {"Authorization": None, "X-API-Key": None, **expected}
    assert request.path_qs == "/things/T1"
    # The registry got no credentials: nothing of them in any header it saw.
    assert registry_server.headers
    assert SECRET not in json.dumps(registry_server.headers)
    assert all("Authorization" not in headers for headers in registry_server.headers)


@pytest.mark.parametrize(
    ("auth_config", "arguments", "message"),
    [
        ({"type": "none"}, {"auth_token": SECRET}, "takes none auth .* auth_token= cannot be used"),
        ({"type": "bearer"}, {"api_key": SECRET}, "api_key= cannot be used: pass token="),
        ({"type": "bearer"}, {}, "pass token= to register_api or set ACME_TOKEN"),
        ({"type": "api_key", "header_name": "X-Key"}, {}, "pass api_key= to register_api"),
        ({"type": "basic"}, {}, "pass account_sid= with auth_token="),
    ],
)
async def test_missing_or_unusable_credentials_are_clear_errors_and_nothing_is_sent(
    auth_config: dict[str, Any],
    arguments: dict[str, str],
    message: str,
    recording_server: RecordingServer,
    registry_server: RegistryServer,
) -> None:
    extension = {"auth_env": {"token": "ACME_TOKEN"}} if auth_config["type"] == "bearer" else {}
    registry_server.entries["acme"] = entry(recording_server.url, auth_config, **extension)

    async with OCPAgent(registry_url=registry_server.url) as agent:
        with pytest.raises(ConfigurationError, match=message) as caught:
            await agent.register_api("acme", environ={}, **arguments)

    assert SECRET not in str(caught.value)
    assert recording_server.requests == []


@pytest.mark.parametrize(
    ("auth_config", "extension", "message"),
    [
        ({"type": "bearer"}, {"auth_env": {"token": "TWILIO_AUTH_TOKEN"}}, "auth_env/token"),
        ({"type": "api_key"}, {}, "'header_name' is a required property"),
        ({"type": "api_key", "header_name": "X Key"}, {}, "header_name"),
        ({"type": "oauth2"}, {}, "auth_config/type"),
    ],
)
async def test_entries_naming_twilios_variables_or_bad_auth_are_refused(
    auth_config: dict[str, Any],
    extension: dict[str, Any],
    message: str,
    recording_server: RecordingServer,
    registry_server: RegistryServer,
) -> None:
    registry_server.entries["acme"] = entry(recording_server.url, auth_config, **extension)

    async with OCPAgent(registry_url=registry_server.url) as agent:
        with pytest.raises(SpecError, match=message):
            await agent.register_api("acme", environ={"TWILIO_AUTH_TOKEN": SECRET})

    assert recording_server.requests == []


async def test_an_entry_in_ocp_pythons_shape_registers_and_calls_without_credentials(
    recording_server: RecordingServer, registry_server: RegistryServer
) -> None:
    httpbin = json.loads((OCP_DATA / "registry_entry_httpbin.json").read_text(encoding="utf-8"))
    registry_server.entries["httpbin"] = httpbin

    async with OCPAgent(registry_url=registry_server.url) as agent:
        await agent.register_api("httpbin", base_url=recording_server.url)
        await agent.call_tool("get_get", {})
        await agent.call_tool("post_post", {})

    assert [(r.method, r.path_qs) for r in recording_server.requests] == [
        ("GET", "/get"),
        ("POST", "/post"),
    ]
    assert all("Authorization" not in r.headers for r in recording_server.requests)
    assert [t.name for t in agent.list_tools("httpbin")] == ["get_get", "post_post"]


async def test_a_token_for_an_api_that_takes_basic_is_refused() -> None:
    spec = Path(__file__).parent / "specs" / "widgets.yaml"
    async with OCPAgent() as agent:
        with pytest.raises(ConfigurationError, match="token= is for APIs whose registry entry"):
            await agent.register_api("w", spec=spec, token=SECRET, environ=TWILIO_ENV)

    assert agent.list_tools() == []
