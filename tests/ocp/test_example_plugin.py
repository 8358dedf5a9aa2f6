"""A second API as a plugin: tests/data/example_plugin (Acme's YAML specs), installed and called."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from support.files import DATA
from support.servers import RecordingServer

from ocp_twilio import (
    ConfigurationError,
    InvalidArguments,
    OCPAgent,
    SpecError,
    decode_session,
)
from ocp_twilio.ocp.registry import installed_plugins

PLUGIN_SOURCE = DATA / "example_plugin"
SID = "AC" + "a1" * 16
TOKEN = "acme-" + "k3y" * 6


def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry_points: str) -> None:
    """What ``pip install`` of the plugin leaves behind: its package and its entry points."""
    dist_info = tmp_path / "acme_ocp-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-ocp\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text(f"[ocp.apis]\n{entry_points}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(PLUGIN_SOURCE))


@pytest.fixture
def acme_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install(tmp_path, monkeypatch, "acme = acme_ocp.plugin:acme_api")


@pytest.mark.usefixtures("acme_installed")
async def test_an_installed_plugin_is_found_and_called_end_to_end(
    recording_server: RecordingServer,
) -> None:
    assert installed_plugins()["acme"].value == "acme_ocp.plugin:acme_api"
    recording_server.reply(201, {"sid": "SH42", "status": "booked", "reference": "order-42"})

    async with OCPAgent(agent_type="shop_assistant", agent_goal="ship order 42") as agent:
        api = await agent.register_api(
            "acme", base_url=recording_server.url, account_sid=SID, auth_token=TOKEN
        )
        with pytest.raises(InvalidArguments, match="WeightGrams"):
            await agent.call_tool("createShipment", {"Reference": "order-42"})
        result = await agent.call_tool(
            "createShipment", {"Reference": "order-42", "WeightGrams": 1200}
        )

    assert result == {"sid": "SH42", "status": "booked", "reference": "order-42"}
    assert api.definition.description.startswith("Acme's shipping API")
    assert {t.name for t in agent.list_tools("acme")} == {
        "shipping_v1__createShipment",
        "shipping_v1__getShipment",
    }
    [request] = recording_server.requests  # the invalid call sent nothing
    assert (request.method, request.path_qs) == ("POST", "/v1/shipments")
    assert json.loads(request.body) == {"Reference": "order-42", "WeightGrams": 1200}
    assert request.headers["Authorization"] == (
        "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    )
    # Acme reads OCP headers, so its definition turns them on.
    session = decode_session(request.headers["OCP-Session"])
    assert session["agent_type"] == "shop_assistant"
    assert session["api_specs"] == {"acme": "python:acme_ocp.plugin:acme_api"}
    assert [(h["action"], h["result"]) for h in session["history"]] == [
        ("shipping_v1__createShipment", "InvalidArguments")
    ]


def test_without_installing_there_is_no_acme_plugin() -> None:
    assert "acme" not in installed_plugins()


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("acme_ocp.missing:acme_api", "Plugin 'acme' (acme_ocp.missing:acme_api) failed to load"),
        ("acme_ocp.plugin:Path", "must return an APIDefinition, not PosixPath"),
    ],
)
async def test_a_broken_plugin_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, message: str
) -> None:
    install(tmp_path, monkeypatch, f"acme = {target}")

    async with OCPAgent() as agent:
        with pytest.raises(ConfigurationError, match=re.escape(message)):
            await agent.register_api("acme", account_sid=SID, auth_token=TOKEN)


LOCAL_PLUGIN = """
from ocp_twilio import APIDefinition
from ocp_twilio.specs.model import LocalSpec

def local_api():
    return APIDefinition(
        name="local",
        description="Gives a local tool's spec where operations belong.",
        base_url="https://api.acme.example",
        load_operations=lambda: [LocalSpec(name="getThing")],
    )
"""


async def test_a_plugin_cannot_give_a_tool_without_an_operation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "local_plugin.py").write_text(LOCAL_PLUGIN)
    install(tmp_path, monkeypatch, "local = local_plugin:local_api")

    async with OCPAgent() as agent:
        with pytest.raises(SpecError, match="gave LocalSpec where OperationSpecs were expected"):
            await agent.register_api("local", account_sid=SID, auth_token=TOKEN)
        assert agent.list_tools() == []


@pytest.mark.usefixtures("acme_installed")
async def test_another_api_takes_any_user_name(recording_server: RecordingServer) -> None:
    async with OCPAgent() as agent:
        await agent.register_api(
            "acme", base_url=recording_server.url, account_sid="shop-7", auth_token=TOKEN
        )
        await agent.call_tool("getShipment", {"Sid": "SH42"})

    [request] = recording_server.requests
    expected = base64.b64encode(f"shop-7:{TOKEN}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"


async def test_twilio_still_wants_an_account_sid(recording_server: RecordingServer) -> None:
    async with OCPAgent() as agent:
        with pytest.raises(ConfigurationError, match="AC followed by 32"):
            await agent.register_api(
                "twilio", base_url=recording_server.url, account_sid="shop-7", auth_token=TOKEN
            )
