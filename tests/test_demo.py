"""``ocp-twilio demo``: the whole payment through a real socket, and its exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CREATE_TOOL, UPDATE_TOOL

from ocp_twilio.cli import demo_flow, main
from ocp_twilio.sandbox import TEST_CARD

CONSOLE_SCRIPT = Path(sys.executable).with_name("ocp-twilio")
STEP_TITLES = [
    "Start a simulated live call (sandbox-only helper)",
    "Start a payment on the call",
    "A bad call: wrong field name, Capture and Status together",
    "Ask the caller for the payment-card-number",
    "Ask the caller for the expiration-date",
    "Ask the caller for the security-code",
    "Ask the caller for the postal-code",
    "Submit the payment",
]


def test_demo_takes_a_whole_payment() -> None:
    result = CliRunner().invoke(main, ["demo"])

    assert result.exit_code == 0, result.output
    out = result.stdout
    for number, title in enumerate(STEP_TITLES, start=1):
        assert f"{number}. {title}" in out
    assert "refused before sending (nothing reached the sandbox)" in out
    assert "give exactly one of Capture or Status" in out
    assert '"PaymentCardNumber": "xxxxxxxxxxxx1111"' in out
    assert '"Result": "success"' in out
    assert out.rstrip().endswith("Payment completed.")
    assert TEST_CARD.number not in result.output


def test_demo_json_for_machines() -> None:
    result = CliRunner().invoke(main, ["demo", "--json"])

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["completed"] is True
    steps = document["steps"]
    assert [s["title"] for s in steps] == STEP_TITLES
    assert [s["refused_before_sending"] for s in steps] == [False, False, True, *[False] * 5]
    assert [s["tool"] for s in steps[1:]] == [CREATE_TOOL, *[UPDATE_TOOL] * 6]
    assert all(s["error"] is None for i, s in enumerate(steps) if i != 2)
    assert steps[-1]["callback"]["Result"] == "success"
    assert steps[3]["sent"]["Capture"] == "payment-card-number"


def test_demo_exits_1_when_the_payment_does_not_complete(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(demo_flow, "CAPTURES", demo_flow.CAPTURES[:-1])  # no postal code

    result = CliRunner().invoke(main, ["demo"])

    assert result.exit_code == 1
    assert "HTTP 400 (Twilio error 64019)" in result.stdout
    assert "postal-code" in result.stdout
    assert "The payment did not complete." in result.stderr
    assert "Traceback" not in result.output


def test_installed_console_script_runs_the_demo() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    finished = subprocess.run(
        [str(CONSOLE_SCRIPT), "demo"], capture_output=True, text=True, timeout=60, env=env
    )
    assert finished.returncode == 0, finished.stderr
    assert "Payment completed." in finished.stdout
    assert finished.stderr == ""


def test_demo_exits_1_when_the_bad_call_is_not_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    original = demo_flow._Script.refused

    async def valid_instead(
        self: demo_flow._Script, title: str, tool: str, arguments: dict[str, str]
    ) -> bool:
        fixed = {k: v for k, v in arguments.items() if k != "Status"}
        return await original(self, title, tool, {**fixed, "Capture": "payment-card-number"})

    monkeypatch.setattr(demo_flow._Script, "refused", valid_instead)
    result = CliRunner().invoke(main, ["demo", "--json"])

    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["completed"] is False
    assert document["steps"][-1]["error"] == "not refused: the call succeeded"
    assert "Traceback" not in result.output
