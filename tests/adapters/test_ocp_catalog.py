"""The OCP catalog: every tool valid by OCP's own schema, OCP names, and entries that round-trip
(catalog -> registry file or URL -> register_api -> the built-in tools' requests, byte for byte)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from support.credentials import ACCOUNT_SID, AUTH_TOKEN, TWILIO_ENV
from support.files import SHARED_OAI, ocp_schema
from support.payments import OPERATION_TOOLS, create_arguments, update_arguments
from support.servers import RecordingServer, RegistryServer

from ocp_twilio import OCPAgent, load_api, ocp_catalog
from ocp_twilio.adapters.catalog import entry_name, tool_names
from ocp_twilio.cli import main
from ocp_twilio.ocp.tool_format import camel_case, parameter_names
from ocp_twilio.tools.tool import Tool

OCP_TOOL = jsonschema.Draft7Validator(ocp_schema("ocp-tool.json"))
CREDENTIALS = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}


def invalid_tools(catalog: dict[str, Any]) -> list[str]:
    return [
        f"{entry['name']}.{tool['name']}"
        for entry in catalog["apis"].values()
        for tool in entry["tools"]
        if not OCP_TOOL.is_valid(tool)
    ]


def test_the_curated_tools_are_valid_ocp_tools_named_as_ocps_registry_names_them() -> None:
    catalog = ocp_catalog(*load_api())

    [entry] = catalog["apis"].values()
    assert invalid_tools(catalog) == []
    assert [t["name"] for t in entry["tools"]] == [name.split("__")[1] for name in OPERATION_TOOLS]
    update = entry["x-ocp-twilio"]["tools"]["updatePayments"]
    assert update["body_encoding"] == "form"
    assert update["from_credentials"] == {"AccountSid": "account_sid"}
    assert update["response_status"] == 202


def test_the_check_can_fail() -> None:
    [entry] = ocp_catalog(*load_api())["apis"].values()
    entry["tools"][0]["name"] = "api_v2010__createPayments"  # the agent's own name
    entry["tools"][1]["parameters"]["Limits.ChannelMembers"] = {"type": "string"}

    assert len(invalid_tools({"apis": {"twilio": entry}})) == 2


@pytest.mark.skipif(not SHARED_OAI.is_dir(), reason=f"Twilio's OpenAPI files not at {SHARED_OAI}")
def test_every_imported_tool_is_a_valid_ocp_tool_with_ocp_parameter_names() -> None:
    catalog = ocp_catalog(*load_api("twilio", SHARED_OAI))

    tools = [t for entry in catalog["apis"].values() for t in entry["tools"]]
    assert len(tools) == 1447
    assert invalid_tools(catalog) == []
    assert catalog["apis"]["twilio"]["base_url"] == "https://api.twilio.com"
    assert catalog["apis"]["twilio_messaging_v1"]["base_url"] == "https://messaging.twilio.com"
    chat = catalog["apis"]["twilio_chat_v2"]["x-ocp-twilio"]["tools"]["updateChannel"]
    assert chat["wire_names"]["X_Twilio_Webhook_Enabled"] == "X-Twilio-Webhook-Enabled"


def test_names_follow_the_documented_rule() -> None:
    assert camel_case("UpdatePayments") == "updatePayments"
    assert camel_case("list-call_feedback.summary") == "listCallFeedbackSummary"
    assert camel_case("2fa") == "op2fa"


def test_operations_that_share_a_name_get_a_stable_suffix(tmp_path: Path) -> None:
    spec = tmp_path / "things.yaml"
    spec.write_text(
        "api: things\noperations:\n"
        "  - {name: fetch_thing, method: GET, path: /v2/things}\n"
        "  - {name: fetch-thing, method: GET, path: /v1/things}\n",
        encoding="utf-8",
    )
    _, tools = load_api("things", spec)

    first, second = tool_names(list(tools))
    # /v1 sorts first and keeps the name; the other ends with a hash of "GET /v2/things".
    assert second == "fetchThing"
    assert re.fullmatch("fetchThing[0-9a-f]{8}", first)
    assert tool_names(list(reversed(tools))) == [second, first]


# Round trips: the same requests as the built-in tools


async def registered_from_catalog(
    how: str, catalog: dict[str, Any], tmp_path: Path, registry: RegistryServer, base_url: str
) -> OCPAgent:
    """An agent with the catalog's entries registered as "cat_{name}" (the plugin owns
    "twilio"), from a registry file or URL."""
    entries = {f"cat_{name}": entry for name, entry in catalog["apis"].items()}
    if how == "file":
        registry_file = tmp_path / "registry.json"
        registry_file.write_text(json.dumps({"apis": entries}), encoding="utf-8")
        agent = OCPAgent(registry_file=registry_file)
    else:
        registry.entries.update(entries)
        agent = OCPAgent(registry_url=registry.url)
    for name in entries:
        await agent.register_api(name, base_url=base_url, **CREDENTIALS)
    return agent


def wire(server: RecordingServer) -> list[tuple[Any, ...]]:
    return [(r.method, r.path_qs, sorted(r.headers.items()), r.body) for r in server.requests]


@pytest.mark.parametrize("how", ["file", "url"])
async def test_payments_from_the_catalog_send_what_the_built_in_tools_send(
    how: str, recording_server: RecordingServer, registry_server: RegistryServer, tmp_path: Path
) -> None:
    calls = [("createPayments", create_arguments()), ("updatePayments", update_arguments())]
    async with OCPAgent() as built_in:
        await built_in.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)
        for name, arguments in calls:
            await built_in.call_tool(name, arguments)
    expected = wire(recording_server)
    recording_server.requests.clear()

    printed = CliRunner().invoke(main, ["catalog"])  # what a user would list
    catalog = json.loads(printed.output)
    async with await registered_from_catalog(
        how, catalog, tmp_path, registry_server, recording_server.url
    ) as agent:
        for name, arguments in calls:
            await agent.call_tool(name, arguments)

    assert wire(recording_server) == expected
    assert expected[1][3].startswith(b"IdempotencyKey=order-42-expiry&StatusCallback=")
    # OCP's names; the Pay operations bring the progress tools, answered in this process (the
    # message and call status tools come only with api_v2010's own, which the catalog's are not).
    assert [t.name for t in agent.list_tools()] == [
        *(name.split("__")[1] for name in OPERATION_TOOLS),
        "getPaymentStatus",
        "waitForPaymentUpdate",
    ]


def sample_value(schema: dict[str, Any]) -> Any:
    """A value valid by one argument's schema, for the shapes the sample below meets."""
    pattern = re.fullmatch(r"\^([A-Z]{2})\[0-9a-fA-F\]\{32\}\$", str(schema.get("pattern", "")))
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "enum" in schema:
        return next(v for v in schema["enum"] if v is not None)
    if pattern:
        return pattern.group(1) + "0123456789abcdef" * 2
    if "boolean" in kinds:
        return True
    if "integer" in kinds:
        return 7
    if schema.get("format") == "date-time":
        return "2024-05-01T10:00:00Z"
    return "a b&c=d.é"  # escaping shows on the wire


# Operations whose wire names OCP cannot carry: query inequalities, dotted body keys, header
# parameters, and a body key that collides with a path parameter's name.
TRICKY = {
    ("twilio", "listCall"): ["StartTimeBefore", "StartTimeAfter"],
    ("twilio", "createSiprec"): ["Parameter1.Name", "Parameter1.Value"],
    ("twilio", "updateIncomingPhoneNumber"): ["body_AccountSid"],
    ("twilio_chat_v1", "updateService"): ["Notifications.NewMessage.Enabled"],
    ("twilio_chat_v2", "updateChannel"): ["X-Twilio-Webhook-Enabled", "FriendlyName"],
    ("twilio_flex_v1", "listConfiguredPlugin"): ["Flex-Metadata"],
    ("twilio_flex_v1", "updateConfiguration"): [],  # a JSON body without parameters: "{}"
}


@pytest.mark.skipif(not SHARED_OAI.is_dir(), reason=f"Twilio's OpenAPI files not at {SHARED_OAI}")
async def test_imported_tools_with_tricky_wire_names_round_trip(
    recording_server: RecordingServer, registry_server: RegistryServer, tmp_path: Path
) -> None:
    definition, tools = load_api("twilio", SHARED_OAI)
    chosen: dict[tuple[str, str], Tool] = {}
    for entry, listed in _by_entry(tools).items():
        for tool, ocp_name in zip(listed, tool_names(listed), strict=True):
            if (entry, ocp_name) in TRICKY:
                chosen[entry, ocp_name] = tool
    assert sorted(chosen) == sorted(TRICKY)

    arguments = {key: _arguments(tool, TRICKY[key]) for key, tool in chosen.items()}
    async with OCPAgent() as built_in:
        await built_in.register_api(
            "twilio", spec=SHARED_OAI, base_url=recording_server.url, environ=TWILIO_ENV
        )
        for key, tool in chosen.items():
            await built_in.call_tool(tool.name, arguments[key])
    expected = wire(recording_server)
    recording_server.requests.clear()

    entries = {entry for entry, _ in TRICKY}
    picked = [t for t in tools if entry_name("twilio", t.spec.service) in entries]
    catalog = ocp_catalog(definition, picked)
    async with await registered_from_catalog(
        "url", catalog, tmp_path, registry_server, recording_server.url
    ) as agent:
        for (entry, ocp_name), tool in chosen.items():
            names = parameter_names(tool)
            ocp_arguments = {names[k]: v for k, v in arguments[entry, ocp_name].items()}
            await agent.call_tool(ocp_name, ocp_arguments, api=f"cat_{entry}")

    assert wire(recording_server) == expected
    sent = "\n".join(f"{path} {body!r}" for _, path, _, body in expected)
    for wire_name in ("StartTime%3C=", "Parameter1.Name=", "Notifications.NewMessage.Enabled="):
        assert wire_name in sent
    assert any(("X-Twilio-Webhook-Enabled", "true") in headers for _, _, headers, _ in expected)


@pytest.mark.skipif(not SHARED_OAI.is_dir(), reason=f"Twilio's OpenAPI files not at {SHARED_OAI}")
async def test_every_imported_tool_reads_back_as_the_same_operation(tmp_path: Path) -> None:
    definition, tools = load_api("twilio", SHARED_OAI)
    catalog = ocp_catalog(definition, tools)
    different = []
    async with OCPAgent() as agent:
        for entry, listed in _by_entry(tools).items():
            # A file per entry: register_api reads the whole registry file on every lookup.
            name = f"cat_{entry}"  # the plugin owns "twilio"
            agent.registry_file = tmp_path / f"{entry}.json"
            agent.registry_file.write_text(json.dumps({"apis": {name: catalog["apis"][entry]}}))
            await agent.register_api(name, **CREDENTIALS)
            for tool, ocp_name in zip(listed, tool_names(listed), strict=True):
                back = agent.get_tool(ocp_name, api=name)
                if _shape(back) != _shape(tool, parameter_names(tool)):
                    different.append(f"{entry}.{ocp_name}")

    assert different == []
    assert sum(len(listed) for listed in _by_entry(tools).values()) == 1447


def _shape(tool: Tool, names: dict[str, str] | None = None) -> tuple[Any, ...]:
    """What decides the request: method, body encoding, and each parameter's OCP name, wire
    name, location and source (a path parameter's wire name is its OCP name)."""
    named = names or {p.name: p.name for p in tool.spec.parameters}
    parameters = sorted(
        (
            named[p.name],
            named[p.name] if p.location == "path" else p.sent_as,
            p.location,
            p.from_credentials,
        )
        for p in tool.spec.parameters
    )
    groups = tuple(tuple(named[n] for n in group) for group in tool.spec.exactly_one_of)
    return tool.spec.method, tool.spec.body_encoding, tuple(parameters), groups


def _by_entry(tools: tuple[Tool, ...]) -> dict[str, list[Tool]]:
    grouped: dict[str, list[Tool]] = {}
    for tool in tools:
        if not tool.local:
            grouped.setdefault(entry_name("twilio", tool.spec.service), []).append(tool)
    return grouped


def _arguments(tool: Tool, tricky: list[str]) -> dict[str, Any]:
    schema = tool.input_schema
    wanted = [*schema.get("required", ()), *tricky]
    return {name: sample_value(schema["properties"][name]) for name in dict.fromkeys(wanted)}
