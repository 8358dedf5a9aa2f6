"""``ocp-twilio catalog``: the OCP registry entry and the framework lists, as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import CREATE_TOOL, PAY_TOOLS, UPDATE_TOOL

from ocp_twilio.cli import main

WIDGETS = str(Path(__file__).parent / "specs" / "widgets.yaml")

# The fields OCP's tool definition requires, and what its parameter entries may hold.
OCP_PARAMETER = {
    "type": "object",
    "required": ["type", "required", "location"],
    "properties": {
        "type": {"enum": ["string", "number", "integer", "boolean", "array", "object"]},
        "required": {"type": "boolean"},
        "location": {"enum": ["path", "query", "header", "body"]},
        "schema": {"type": "object"},
        "description": {"type": "string"},
        "default": {},
        "enum": {"type": "array"},
        "format": {"type": "string"},
        "items": {"type": "object"},
        "properties": {"type": "object"},
        "minimum": {"type": "number"},
        "maximum": {"type": "number"},
        "minLength": {"type": "integer"},
        "maxLength": {"type": "integer"},
        "pattern": {"type": "string"},
    },
    "additionalProperties": False,
}
OCP_TOOL = {
    "type": "object",
    "required": ["name", "description", "method", "path", "parameters", "response_schema"],
    "properties": {
        "name": {"type": "string", "pattern": "^[a-zA-Z][a-zA-Z0-9_]*$"},
        "description": {"type": "string", "minLength": 1},
        "method": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]},
        "path": {"type": "string", "pattern": "^/"},
        "operation_id": {"type": ["string", "null"]},
        "parameters": {
            "type": "object",
            "patternProperties": {"^[a-zA-Z][a-zA-Z0-9_]*$": OCP_PARAMETER},
            "additionalProperties": False,
        },
        "response_schema": {"type": "object"},
        "tags": {"type": ["array", "null"], "items": {"type": "string"}, "uniqueItems": True},
    },
    "additionalProperties": False,
}
OCP_ENTRY = {
    "type": "object",
    "required": ["name", "description", "base_url", "auth", "tools"],
    "properties": {
        "base_url": {"type": "string", "pattern": "^https://"},
        "auth": {"type": "object", "required": ["type"]},
        "tools": {"type": "array", "minItems": 1, "items": OCP_TOOL},
    },
}


def run(*args: str) -> Any:
    result = CliRunner().invoke(main, ["catalog", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize("spec", [(), ("--spec", WIDGETS)])
def test_ocp_entry_has_the_ocp_tool_fields(spec: tuple[str, ...]) -> None:
    entry = run(*spec)

    jsonschema.validate(entry, OCP_ENTRY)
    assert entry["name"] == "twilio"
    assert entry["base_url"] == "https://api.twilio.com"


def test_ocp_parameters_carry_location_type_and_requirement() -> None:
    [update] = run("--tools", "updatePayments")["tools"]  # a short name chooses the tool too

    assert update["name"] == UPDATE_TOOL
    assert update["method"] == "POST"
    assert update["path"].endswith("/Payments/{Sid}.json")
    assert update["parameters"]["Sid"]["location"] == "path"
    assert update["parameters"]["Capture"]["location"] == "body"
    assert update["parameters"]["Capture"]["type"] == "string"
    assert update["parameters"]["CallSid"]["required"] is True
    assert update["parameters"]["AccountSid"]["required"] is False  # filled from credentials
    assert update["response_schema"]["properties"]["sid"]["type"] == ["string", "null"]


def test_framework_lists_instead_of_the_entry() -> None:
    mcp = run("--format", "mcp", "--tags", "pay")
    openai = run("--format", "openai", "--strict", "--shape", "responses")
    anthropic = run("--format", "anthropic", "--tools", f"createPayments,{UPDATE_TOOL}")

    assert [t["name"] for t in mcp] == PAY_TOOLS
    assert all(t["strict"] is True and t["type"] == "function" for t in openai)
    assert [t["name"] for t in anthropic] == [CREATE_TOOL, UPDATE_TOOL]


def test_no_matching_tool_is_a_clear_failure() -> None:
    result = CliRunner().invoke(main, ["catalog", "--tags", "sms"])

    assert result.exit_code != 0
    assert "No tag named 'sms'" in result.output


def test_mcp_without_credentials_fails_before_serving(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET"):
        monkeypatch.delenv(name, raising=False)

    result = CliRunner().invoke(main, ["mcp"])

    assert result.exit_code != 0
    assert "TWILIO_ACCOUNT_SID" in result.output
