"""The ``ocp-twilio`` commands tools, describe, call and sandbox, with their exit codes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.request import Request, urlopen

import pytest
from support.cli import assert_failed, run
from support.payments import CREATE_TOOL, DEFAULT_TOOLS, STATUS_TOOL, UPDATE_TOOL, WAIT_TOOL
from support.sandbox import CALLBACK, basic_auth, sandbox_in_thread

from ocp_twilio.cli.failures import ExitCode
from ocp_twilio.cli.known_tools import known_tools
from ocp_twilio.sandbox import Sandbox

CONSOLE_SCRIPT = Path(sys.executable).with_name("ocp-twilio")


@pytest.fixture(scope="module")
def running_sandbox() -> Iterator[Sandbox]:
    with sandbox_in_thread() as sandbox:
        yield sandbox


def test_tools_lists_every_tool() -> None:
    result = run("tools")
    assert result.exit_code == 0
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["NAME", "API", "OPERATION", "DESCRIPTION"]
    assert [row.split()[0] for row in rows] == DEFAULT_TOOLS
    assert rows[DEFAULT_TOOLS.index(STATUS_TOOL)].split()[2:4] == ["local", "getPaymentStatus"]


def test_tools_json() -> None:
    result = run("tools", "--json")
    assert result.exit_code == 0
    listed = json.loads(result.stdout)
    # The progress tools are answered in this process: no HTTP method or path.
    assert [t["name"] for t in listed] == DEFAULT_TOOLS
    shown = {t["name"]: (t["method"], t["path"] is None) for t in listed}
    assert [shown[name] for name in (CREATE_TOOL, UPDATE_TOOL, STATUS_TOOL, WAIT_TOOL)] == [
        ("POST", False),
        ("POST", False),
        (None, True),
        (None, True),
    ]


def test_describe_shows_arguments_schema_and_a_valid_example() -> None:
    result = run("describe", "updatePayments")
    assert result.exit_code == 0
    for phrase in (
        "IdempotencyKey",
        "Status (optional): one of complete, cancel",
        "Give exactly one of: Capture",
    ):
        assert phrase in result.stdout
    example_line = result.stdout.strip().splitlines()[-1]
    assert example_line.startswith(f"ocp-twilio call {UPDATE_TOOL} --json '")
    example = json.loads(example_line.split("--json ", 1)[1].strip("'"))
    known_tools().get("updatePayments").validate(example)


def test_describe_json() -> None:
    result = run("describe", "createPayments", "--json")
    assert result.exit_code == 0
    described = json.loads(result.stdout)
    assert described["input_schema"]["required"] == ["CallSid", "StatusCallback"]
    assert described["output_schema"]["type"] == "object"
    known_tools().get("createPayments").validate(described["example"])


def test_describe_unknown_tool_is_bad_input() -> None:
    assert_failed(run("describe", "updatePayment"), ExitCode.BAD_INPUT, "updatePayments")


def test_call_prints_the_result(running_sandbox: Sandbox) -> None:
    call_sid = running_sandbox.start_call()
    arguments = {"CallSid": call_sid, "IdempotencyKey": "cli-1", "StatusCallback": CALLBACK}
    result = run(
        "call", "createPayments", "--json", json.dumps(arguments), env=running_sandbox.environ()
    )
    assert result.exit_code == 0, result.output
    payment = json.loads(result.stdout)
    assert running_sandbox.payment(payment["sid"]).call_sid == call_sid


def test_call_with_typed_key_value_arguments(running_sandbox: Sandbox) -> None:
    call_sid = running_sandbox.start_call()
    result = run(
        "call", "createPayments",
        "--arg", f"CallSid={call_sid}", "--arg", "IdempotencyKey=cli-2",
        "--arg", f"StatusCallback={CALLBACK}", "--arg", "ChargeAmount=12.5",
        "--arg", "SecurityCode=false",
        env=running_sandbox.environ(),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    session = running_sandbox.payment(json.loads(result.stdout)["sid"])
    assert session.charge_amount == 12.5
    assert "security-code" not in session.required


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["--arg", "Capture=card-number"], "nothing was sent"),
        (["--json", "{not json"], "not valid JSON"),
        (["--json", "[1]"], "JSON object"),
        (["--arg", "Capture"], "KEY=VALUE"),
    ],
    ids=["invalid-argument", "bad-json", "json-not-object", "arg-without-value"],
)
def test_call_with_bad_input_exits_2_and_sends_nothing(
    running_sandbox: Sandbox, args: list[str], phrase: str
) -> None:
    received = running_sandbox.state.requests_received
    result = run("call", "updatePayments", *args, env=running_sandbox.environ())
    assert_failed(result, ExitCode.BAD_INPUT, phrase)
    assert running_sandbox.state.requests_received == received


def test_call_with_bad_input_exits_2_before_credentials_are_looked_at() -> None:
    assert_failed(run("call", "updatePayments", "--arg", "Capture=x"), ExitCode.BAD_INPUT)


def test_call_of_an_unknown_tool_exits_2() -> None:
    assert_failed(
        run("call", "createPayment", "--json", "{}"), ExitCode.BAD_INPUT, "createPayments"
    )


def test_call_answered_with_an_api_error_exits_3(running_sandbox: Sandbox) -> None:
    arguments = {"CallSid": "CA" + "0" * 32, "IdempotencyKey": "k", "StatusCallback": CALLBACK}
    result = run("call", "createPayments", "--json", json.dumps(arguments),
                 env=running_sandbox.environ())  # fmt: skip
    assert_failed(result, ExitCode.API_ERROR, "HTTP 404", "20404")


def test_call_without_an_answer_exits_4(unused_tcp_port: int) -> None:
    arguments = {"CallSid": "CA" + "0" * 32, "IdempotencyKey": "k", "StatusCallback": CALLBACK}
    env = {
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "secret-token-value",
        "TWILIO_BASE_URL": f"http://127.0.0.1:{unused_tcp_port}",
    }
    result = run("call", "createPayments", "--json", json.dumps(arguments), env=env)
    assert_failed(result, ExitCode.TRANSPORT_ERROR, "Connection failed")
    assert "secret-token-value" not in result.output


def test_call_without_credentials_exits_5() -> None:
    arguments = {"CallSid": "CA" + "0" * 32, "IdempotencyKey": "k", "StatusCallback": CALLBACK}
    result = run("call", "createPayments", "--json", json.dumps(arguments))
    assert_failed(result, ExitCode.CONFIGURATION, "TWILIO_ACCOUNT_SID")


def test_sandbox_on_a_busy_port_exits_4() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = run("sandbox", "--port", str(busy.getsockname()[1]))
    assert_failed(result, ExitCode.TRANSPORT_ERROR, "cannot listen on 127.0.0.1")


@pytest.mark.parametrize("option", ["--account-sid", "--api-key-sid"])
def test_sandbox_with_a_malformed_sid_exits_2(option: str) -> None:
    assert_failed(run("sandbox", option, "AC123"), ExitCode.BAD_INPUT, "32 hexadecimal")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "terminate"])
def test_sandbox_command_serves_until_stopped(stop: signal.Signals) -> None:
    server = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "sandbox", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")},
    )
    try:
        assert server.stdout is not None
        details = json.loads(server.stdout.readline())
        assert details["url"].startswith("http://127.0.0.1:")
        assert details["account_sid"].startswith("AC")
        result = _start_call(details["url"], details["account_sid"], details["auth_token"])
        assert result["status"] == "in-progress"
    finally:
        server.send_signal(stop)
        _, stderr = server.communicate(timeout=10)
    assert server.returncode == 0
    assert "POST /sandbox/calls -> 201" in stderr
    assert "Traceback" not in stderr


def test_sandbox_command_prints_credentials_for_humans() -> None:
    server = subprocess.Popen(
        [
            str(CONSOLE_SCRIPT),
            "sandbox",
            *("--account-sid", "AC" + "1" * 32, "--auth-token", "t0k"),
            *("--api-key-sid", "SK" + "2" * 32, "--api-key-secret", "s3cret"),
            *("--typing-delay", "0.2"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        lines = [server.stdout.readline() for _ in range(7)]
    finally:
        server.send_signal(signal.SIGINT)
        stdout, _ = server.communicate(timeout=10)
    text = "".join(lines) + stdout
    assert "Account SID: AC" + "1" * 32 in text
    assert "Auth token:  t0k" in text
    assert f"API key:     SK{'2' * 32} (secret s3cret)" in text
    assert "TWILIO_BASE_URL=http://127.0.0.1:" in text
    assert text.rstrip().endswith("Sandbox stopped.")
    assert server.returncode == 0


def _start_call(url: str, account_sid: str, auth_token: str) -> dict[str, str]:
    request = Request(
        url + "/sandbox/calls",
        data=b"",
        headers={"Authorization": basic_auth(account_sid, auth_token)},
    )
    with urlopen(request, timeout=5) as response:
        answer: dict[str, str] = json.loads(response.read())
        return answer
