"""``ocp-twilio catalog``: the OCP registry entry and the framework lists, as JSON."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from support.files import SPECS, ocp_schema
from support.payments import CREATE_TOOL, PAY_TOOLS, UPDATE_TOOL

from ocp_twilio.cli import main

WIDGETS = str(SPECS / "widgets.yaml")

# OCP's own tool schema (tests/data/ocp, v0.8.0), not a restatement of it.
OCP_TOOL = jsonschema.Draft7Validator(ocp_schema("ocp-tool.json"))


def run(*args: str) -> Any:
    result = CliRunner().invoke(main, ["catalog", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize(
    ("spec", "name"), [((), "twilio"), (("--spec", WIDGETS), "twilio_test_service")]
)
def test_ocp_entries_hold_tools_valid_by_ocps_schema(spec: tuple[str, ...], name: str) -> None:
    [entry] = run(*spec)["apis"].values()

    for tool in entry["tools"]:
        OCP_TOOL.validate(tool)
    assert entry["name"] == name
    assert entry["base_url"] == "https://api.twilio.com"
    assert entry["auth_config"]["type"] == "basic"


def test_ocp_parameters_carry_location_type_and_requirement() -> None:
    [update] = run("--tools", "updatePayments")["apis"]["twilio"]["tools"]  # a short name too

    assert update["name"] == "updatePayments"
    assert update["method"] == "POST"
    assert update["path"].endswith("/Payments/{Sid}.json")
    assert update["parameters"]["Sid"]["location"] == "path"
    assert update["parameters"]["Capture"]["location"] == "body"
    assert update["parameters"]["Capture"]["type"] == "string"
    assert update["parameters"]["CallSid"]["required"] is True
    # Required for any OCP client; this library's fills it from the credentials (the extension).
    assert update["parameters"]["AccountSid"]["required"] is True
    assert update["response_schema"]["properties"]["sid"]["type"] == ["string", "null"]


def test_framework_lists_instead_of_the_entry() -> None:
    mcp = run("--format", "mcp", "--tags", "pay")
    openai = run("--format", "openai", "--strict", "--shape", "responses")
    anthropic = run("--format", "anthropic", "--tools", f"createPayments,{UPDATE_TOOL}")

    assert [t["name"] for t in mcp] == PAY_TOOLS
    assert all(t["strict"] is True and t["type"] == "function" for t in openai)
    assert [t["name"] for t in anthropic] == [CREATE_TOOL, UPDATE_TOOL]


def test_no_matching_tool_is_a_clear_failure() -> None:
    result = CliRunner().invoke(main, ["catalog", "--tags", "fax"])

    assert result.exit_code != 0
    assert "No tag named 'fax'" in result.output


def test_mcp_without_credentials_fails_before_serving(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET"):
        monkeypatch.delenv(name, raising=False)

    result = CliRunner().invoke(main, ["mcp"])

    assert result.exit_code != 0
    assert "TWILIO_ACCOUNT_SID" in result.output
