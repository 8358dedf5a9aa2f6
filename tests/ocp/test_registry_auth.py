"""A registry entry's auth_config: none, HTTP Basic, bearer, an API key in a header; from
register_api's arguments, the variables the user names for them, or those a registry file (the
user's own) names; and only to the entry's host."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.files import OCP_DATA, SPECS
from support.servers import RecordingServer, RegistryServer

from ocp_twilio import ConfigurationError, InvalidArguments, OCPAgent, SpecError

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


def registry_file(tmp_path: Path, acme: dict[str, Any]) -> Path:
    """A registry file of the user's, holding ``acme``."""
    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump({"apis": {"acme": acme}}))
    return path


BASIC = "Basic " + base64.b64encode(f"acme-user:{SECRET}".encode()).decode()
API_KEY = {"type": "api_key", "header_name": "X-API-Key"}
CASES = {
    "none": ({"type": "none", "header_name": None}, {}, {}),
    "basic": (
        {"type": "basic"},
        {"account_sid": "acme-user", "auth_token": SECRET},
        {"Authorization": BASIC},
    ),
    "basic from the user's variables": (
        {"type": "http_basic"},
        {"credential_variables": {"account_sid": "ACME_USER", "auth_token": "ACME_PASSWORD"}},
        {"Authorization": BASIC},
    ),
    "bearer": ({"type": "bearer_token"}, {"token": SECRET}, {"Authorization": f"Bearer {SECRET}"}),
    "bearer from the user's variable": (
        {"type": "bearer"},
        {"credential_variables": {"token": "ACME_TOKEN"}},
        {"Authorization": f"Bearer {SECRET}"},
    ),
    "api key": (API_KEY, {"api_key": SECRET}, {"X-API-Key": SECRET}),
    "api key from the user's variable": (
        API_KEY,
        {"credential_variables": {"api_key": "ACME_KEY"}},
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
    auth_config, arguments, expected = CASES[case]
    registry_server.entries["acme"] = entry(recording_server.url, auth_config)

    async with OCPAgent(registry_url=registry_server.url) as agent:
        await agent.register_api("acme", environ=ENVIRON, **arguments)
        await agent.call_tool("getThing", {"thing_id": "T1"})

    [request] = recording_server.requests
    sent = {name: request.headers.get(name) for name in ("Authorization", "X-API-Key")}
    assert sent == {"Authorization": None, "X-API-Key": None, **expected}
    assert request.path_qs == "/things/T1"
    # The registry got no credentials: nothing of them in any header it saw.
    assert registry_server.headers
    assert SECRET not in json.dumps(registry_server.headers)
    assert all("Authorization" not in headers for headers in registry_server.headers)


async def test_the_api_key_header_is_no_argument_of_the_model(
    recording_server: RecordingServer, registry_server: RegistryServer
) -> None:
    """A header parameter named like the entry's key header is left out of the tool: the model
    never sees it, and an argument of that name is refused as unknown, nothing sent."""
    registry_server.entries["acme"] = entry(recording_server.url, API_KEY)
    registry_server.entries["bearer"] = entry(recording_server.url, {"type": "bearer"})

    async with OCPAgent(registry_url=registry_server.url) as agent:
        await agent.register_api("acme", api_key=SECRET)
        await agent.register_api("bearer", token=SECRET)
        keyed, other = (
            agent.get_tool("getThing", api="acme"),
            agent.get_tool("getThing", api="bearer"),
        )
        with pytest.raises(InvalidArguments, match="X_API_Key"):
            await agent.call_tool("getThing", {"thing_id": "T1", "X_API_Key": "x"}, api="acme")
        assert recording_server.requests == []
        # Where the key travels elsewhere, the header is an argument like any other.
        await agent.call_tool("getThing", {"thing_id": "T2", "X_API_Key": "mine"}, api="bearer")

    assert list(keyed.input_schema["properties"]) == ["thing_id"]
    assert list(other.input_schema["properties"]) == ["thing_id", "X_API_Key"]
    [request] = recording_server.requests
    assert request.headers["X-API-Key"] == "mine"
    assert request.headers["Authorization"] == f"Bearer {SECRET}"


FILE_CASES = {
    "basic": (
        {"type": "basic"},
        {"username": "ACME_USER", "password": "ACME_PASSWORD"},
        {"Authorization": BASIC},
    ),
    "bearer": ({"type": "bearer"}, {"token": "ACME_TOKEN"}, {"Authorization": f"Bearer {SECRET}"}),
    "api key": (API_KEY, {"key": "ACME_KEY"}, {"X-API-Key": SECRET}),
}


@pytest.mark.parametrize("case", FILE_CASES)
async def test_a_registry_files_entry_may_name_the_variables_that_hold_its_credentials(
    case: str, tmp_path: Path, recording_server: RecordingServer
) -> None:
    """The user wrote or chose the file, so its entry may say where the credentials are."""
    auth_config, auth_env, expected = FILE_CASES[case]
    acme = entry(recording_server.url, auth_config, auth_env=auth_env)

    async with OCPAgent(registry_file=registry_file(tmp_path, acme)) as agent:
        await agent.register_api("acme", environ=ENVIRON)
        await agent.call_tool("getThing", {"thing_id": "T1"})

    [request] = recording_server.requests
    sent = {name: request.headers.get(name) for name in ("Authorization", "X-API-Key")}
    assert sent == {"Authorization": None, "X-API-Key": None, **expected}


@pytest.mark.parametrize(
    ("auth_config", "arguments", "message"),
    [
        ({"type": "none"}, {"auth_token": SECRET}, "takes none auth .* auth_token= cannot be used"),
        ({"type": "bearer"}, {"api_key": SECRET}, "api_key= cannot be used: pass token="),
        (
            {"type": "bearer"},
            {},
            r"pass token= to register_api, or .* credential_variables=\{'token': 'YOUR_VARIABLE'\}",
        ),
        ({"type": "api_key", "header_name": "X-Key"}, {}, "pass api_key= to register_api"),
        ({"type": "basic"}, {}, "pass account_sid= with auth_token="),
        (
            {"type": "bearer"},
            {"credential_variables": {"api_key": "ACME_KEY"}},
            "api_key= cannot be used: pass token=",
        ),
    ],
)
async def test_missing_or_unusable_credentials_are_clear_errors_and_nothing_is_sent(
    auth_config: dict[str, Any],
    arguments: dict[str, Any],
    message: str,
    recording_server: RecordingServer,
    registry_server: RegistryServer,
) -> None:
    registry_server.entries["acme"] = entry(recording_server.url, auth_config)

    async with OCPAgent(registry_url=registry_server.url) as agent:
        with pytest.raises(ConfigurationError, match=message) as caught:
            await agent.register_api("acme", environ={"ACME_KEY": SECRET}, **arguments)

    assert SECRET not in str(caught.value)
    assert recording_server.requests == []


async def test_a_registry_files_missing_variable_is_named(
    tmp_path: Path, recording_server: RecordingServer
) -> None:
    acme = entry(recording_server.url, {"type": "bearer"}, auth_env={"token": "ACME_TOKEN"})

    async with OCPAgent(registry_file=registry_file(tmp_path, acme)) as agent:
        with pytest.raises(ConfigurationError, match="or set ACME_TOKEN; the TWILIO_"):
            await agent.register_api("acme", environ={})

    assert recording_server.requests == []


@pytest.mark.parametrize(
    "auth_env", [{"token": "TWILIO_AUTH_TOKEN"}, {"token": "OCP_TWILIO_MCP_TOKEN"}]
)
async def test_registry_files_naming_the_librarys_own_variables_are_refused(
    auth_env: dict[str, str], tmp_path: Path, recording_server: RecordingServer
) -> None:
    acme = entry(recording_server.url, {"type": "bearer"}, auth_env=auth_env)

    async with OCPAgent(registry_file=registry_file(tmp_path, acme)) as agent:
        with pytest.raises(SpecError, match="auth_env/token"):
            await agent.register_api("acme", environ={auth_env["token"]: SECRET})

    assert recording_server.requests == []


@pytest.mark.parametrize("source", ["file", "url"])
@pytest.mark.parametrize(
    ("auth_config", "message"),
    [
        ({"type": "api_key"}, "'header_name' is a required property"),
        ({"type": "api_key", "header_name": "X Key"}, "header_name"),
        ({"type": "oauth2"}, "auth_config/type"),
    ],
)
async def test_entries_with_bad_auth_are_refused(
    source: str,
    auth_config: dict[str, Any],
    message: str,
    tmp_path: Path,
    recording_server: RecordingServer,
    registry_server: RegistryServer,
) -> None:
    acme = entry(recording_server.url, auth_config)
    registry_server.entries["acme"] = acme
    where: dict[str, Any] = (
        {"registry_file": registry_file(tmp_path, acme)}
        if source == "file"
        else {"registry_url": registry_server.url}
    )

    async with OCPAgent(**where) as agent:
        with pytest.raises(SpecError, match=message):
            await agent.register_api("acme", api_key=SECRET)

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


async def test_a_token_beside_basic_credentials_is_refused() -> None:
    spec = SPECS / "widgets.yaml"
    async with OCPAgent() as agent:
        with pytest.raises(ConfigurationError, match="one kind of credentials: token= cannot go"):
            await agent.register_api("w", spec=spec, token=SECRET, auth_token=SECRET)

    assert agent.list_tools() == []
