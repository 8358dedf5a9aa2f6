"""The operator's policy on every way in of the command: ``policy check`` before it is put in
force, ``call --policy`` and ``mcp --policy`` (over stdio) with it in force."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import mcp_types as types
import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import stdio_client
from support.cli import assert_failed, mcp_over_stdio, run
from support.credentials import TWILIO_ENV
from support.payments import CREATE_TOOL, UPDATE_TOOL, update_arguments
from support.policy import MESSAGING_SPEC
from support.sandbox import CALLBACK, sandbox_in_thread
from support.servers import RecordingServer

from ocp_twilio.cli.failures import ExitCode
from ocp_twilio.sandbox import Sandbox

# Which tools each rule selects among the Messages spec's.
POLICY = """\
deny: [effect:delete]
require_approval: [effect:contacts-person]
pin:
  createMessage: {From: "+15005550006"}
"""


@pytest.fixture(scope="module")
def running_sandbox() -> Iterator[Sandbox]:
    with sandbox_in_thread() as sandbox:
        yield sandbox


def written(tmp_path: Path, text: str, name: str = "policy.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_check_lists_each_rule_with_its_tools_and_pins(tmp_path: Path) -> None:
    policy = written(tmp_path, POLICY)
    wide = {"COLUMNS": "200"}  # no row is cut to the terminal's width
    result = run("policy", "check", policy, "--spec", str(MESSAGING_SPEC), env=wide)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith("policy.yaml: 3 rules over 7 registered tools.")
    rows = {line.split()[0]: line for line in lines[2:5]}
    assert (
        "effect:delete" in rows["deny[0]"] and "1 tool: api_v2010__deleteMessage" in rows["deny[0]"]
    )
    assert "(policy.yaml line 1)" in rows["deny[0]"]
    assert "2 tools: api_v2010__createMessage, api_v2010__createCall" in rows["require_approval[0]"]
    assert "1 tool: api_v2010__createMessage" in rows["pin.createMessage"]
    assert lines[5] == "Pinned for api_v2010__createMessage, so left out of its schema: From."


def test_check_flags_a_rule_that_selects_nothing(tmp_path: Path) -> None:
    policy = written(tmp_path, POLICY + "allow: [sendFax, effect:contacts-person]\n")

    result = run("policy", "check", policy, "--spec", str(MESSAGING_SPEC))

    assert result.exit_code == ExitCode.CONFIGURATION, result.output
    [empty] = [line for line in result.stdout.splitlines() if "NOTHING" in line]
    assert empty.startswith("allow[0] (policy.yaml line 5)") and "sendFax" in empty
    assert "1 tool" in result.stdout  # the other rules are listed as ever
    assert result.stderr.startswith("error: 1 rule(s) select no registered tool: allow[0]")
    assert "remove the rule" in result.stderr


@pytest.mark.parametrize(
    ("text", "name", "phrases"),
    [
        ("deny: [effect:delete]\nrequire_aproval: [effect:spends-money]\n", "policy.yaml",
         ["require_aproval", "line 2", "require_approval"]),
        ('deny = ["effect:delete"]\n\n[limits]\nrates = 3\n', "policy.toml", ["limits", "line"]),
        ("pin:\n  updatePayments: {Capture: 12}\n", "policy.yaml", ["Capture", "updatePayments"]),
    ],
    ids=["unknown-key", "toml-wrong-type", "pin-not-of-its-schema"],
)  # fmt: skip
def test_check_of_a_policy_that_cannot_be_used_exits_5(
    tmp_path: Path, text: str, name: str, phrases: list[str]
) -> None:
    result = run("policy", "check", written(tmp_path, text, name))
    assert_failed(result, ExitCode.CONFIGURATION, "Policy rule", *phrases)


@pytest.mark.parametrize("given_by", ["--policy", "OCP_TWILIO_POLICY"])
def test_call_refused_by_the_policy_exits_6_and_sends_nothing(
    running_sandbox: Sandbox, tmp_path: Path, given_by: str
) -> None:
    policy = written(tmp_path, f"deny: [{CREATE_TOOL}]\n")
    arguments = {"CallSid": "CA" + "0" * 32, "IdempotencyKey": "k", "StatusCallback": CALLBACK}
    options = ["--policy", policy] if given_by == "--policy" else []
    environ = {
        **running_sandbox.environ(),
        **({"OCP_TWILIO_POLICY": policy} if not options else {}),
    }
    received = running_sandbox.state.requests_received

    result = run("call", CREATE_TOOL, "--json", json.dumps(arguments), *options, env=environ)

    assert_failed(
        result, ExitCode.REFUSED, f"{CREATE_TOOL} was refused by the operator's policy", "deny[0]"
    )
    assert running_sandbox.state.requests_received == received


async def test_mcp_with_a_policy_refuses_over_stdio(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    policy = written(tmp_path, f"deny: [{UPDATE_TOOL}]\nrequire_approval: [{CREATE_TOOL}]\n")
    environ = {**TWILIO_ENV, "TWILIO_BASE_URL": recording_server.url}
    arguments = {"CallSid": "CA" + "0" * 32, "IdempotencyKey": "k", "StatusCallback": CALLBACK}
    async with (
        stdio_client(mcp_over_stdio(environ, "--policy", policy)) as (read, write),
        ClientSession(read, write) as session,  # declares no elicitation: nobody to ask
    ):
        await session.initialize()
        listed = await listed_names(session)
        denied = await session.call_tool(UPDATE_TOOL, update_arguments())
        unasked = await session.call_tool(CREATE_TOOL, arguments)

    assert recording_server.requests == []
    assert UPDATE_TOOL not in listed and CREATE_TOOL in listed  # denied always: not offered
    for result, phrase in (
        (denied, f"the policy denies {UPDATE_TOOL}"),
        (unasked, "cannot ask a person"),
    ):
        assert result.is_error is True
        content = result.content[0]
        assert isinstance(content, types.TextContent)
        assert "refused by the operator's policy" in content.text and phrase in content.text


async def listed_names(session: ClientSession) -> set[str]:
    names: set[str] = set()
    cursor: str | None = None
    while True:
        page = await session.list_tools(params=types.PaginatedRequestParams(cursor=cursor))
        names.update(tool.name for tool in page.tools)
        if page.next_cursor is None:
            return names
        cursor = page.next_cursor
