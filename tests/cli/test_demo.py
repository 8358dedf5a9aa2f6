"""``ocp-twilio demo``: the agent takes the payment from what its receiver hears, over real sockets.

The sandbox plays Twilio and the caller and calls the agent's receiver back, signed; the agent
uses its tools only. Its output shows masked values only, never the caller's digits or a secret.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support.payments import CREATE_TOOL, UPDATE_TOOL, WAIT_TOOL
from support.sandbox import started_sandboxes

from ocp_twilio import OCPAgent
from ocp_twilio.cli import demo_agent, demo_command, main
from ocp_twilio.cli.demo_agent import AgentCall, take_payment
from ocp_twilio.cli.demo_caller import CALLERS
from ocp_twilio.sandbox import INVALID_CARD, SILENT, TEST_CARD, Sandbox

CONSOLE_SCRIPT = Path(sys.executable).with_name("ocp-twilio")
STEP_TITLES = [
    "Start a payment on the call",
    "Ask the caller for the payment-card-number",
    "Read the error: The card number was not valid: ask the caller to enter it again, "
    "then capture payment-card-number again.",
    "Ask the caller for the payment-card-number again",
    "Ask the caller for the expiration-date",
    "Ask the caller for the security-code",
    "Ask the caller for the postal-code",
    "Every field is entered: submit the payment",
]
# Every digit string a caller keys in, in any of the demo's scripts.
CALLER_DIGITS = {
    TEST_CARD.number,
    *(entry for _, script in CALLERS.values() for e in script.values() for entry in e),
} - {"hang-up", "silent"}
SID = re.compile(r"(AC|CA|PK|SK)[0-9a-f]{32}")


def leaks(output: str, secrets: tuple[str, ...] = ()) -> list[str]:
    """What in ``output`` shows a caller's digits, a 12+ digit run or a secret (sids set aside:
    their 32 hex digits may hold a long run of decimal ones)."""
    text = SID.sub("<sid>", output)
    found = [d for d in CALLER_DIGITS if d in output]
    found += re.findall(r"\d(?:[ -]?\d){11,}", text)
    found += re.findall(r"[0-9a-f]{32}", text)  # an Auth Token or API secret is 32 hex digits
    return found + [s for s in secrets if s in output]


def test_the_console_script_takes_the_payment_and_shows_what_the_agent_sees() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    finished = subprocess.run(
        [str(CONSOLE_SCRIPT), "demo"], capture_output=True, text=True, timeout=60, env=env
    )

    assert finished.returncode == 0, finished.stderr
    assert finished.stderr == ""
    out = finished.stdout
    for number, title in enumerate(STEP_TITLES, start=1):
        assert f"\n{number}. {title}\n" in out
    assert re.search(r"The agent's StatusCallback receiver: http://127\.0\.0\.1:\d+/", out)
    assert "the caller keys in a wrong card number first, then the right one" in out
    assert "waitForPaymentUpdate: the caller is typing the payment-card-number: xxxxxxx\n" in out
    assert '"error": {"type": "invalid-card-number"' in out
    assert '"card_number": "xxxxxxxxxxxx4242"' in out
    last = out.rstrip().splitlines()[-1]
    assert re.fullmatch(r"Result success, confirmation code SANDBOX-[0-9A-F]{8}", last)
    assert leaks(out) == []


def test_the_demo_shows_no_digits_and_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    started = started_sandboxes(monkeypatch, demo_command)
    for arguments in (["demo"], ["demo", "--json"]):
        result = CliRunner().invoke(main, arguments)

        assert result.exit_code == 0, result.output
        sandbox = started.pop()
        assert leaks(result.output, (sandbox.auth_token, sandbox.api_key_secret)) == []


def test_the_json_document_holds_every_call_of_the_agent() -> None:
    result = CliRunner().invoke(main, ["demo", "--json"])

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["completed"] is True
    assert re.fullmatch(r"SANDBOX-[0-9A-F]{8}", document["confirmation_code"])
    steps = document["steps"]
    assert [s["title"] for s in steps] == STEP_TITLES
    calls = [c for s in steps for c in s["calls"]]
    # The agent's path: the Pay tools and the progress tool, nothing of the sandbox.
    assert {c["tool"] for c in calls} == {CREATE_TOOL, UPDATE_TOOL, WAIT_TOOL}
    assert all(c["error"] is None for c in calls)
    # The library, not the agent, fills the arguments the application owns.
    assert not any({"StatusCallback", "IdempotencyKey"} & set(c["sent"]) for c in calls)
    waits = [c["answer"] for c in calls if c["tool"] == WAIT_TOOL]
    assert any(w["typing"] for w in waits)  # the PartialResult callbacks reached the agent
    errors = [w["error"]["type"] for w in waits if "error" in w]
    assert errors == ["invalid-card-number"]
    assert waits[-1]["result"]["result"] == "success"


@pytest.mark.parametrize(
    ("caller", "said"),
    [
        ("hangs-up", "The payment ended with Result caller-hung-up: The caller hung up"),
        (
            "declined-card",
            "The payment ended with Result payment-connector-error: The payment processor "
            "refused the payment (card is declined)",
        ),
    ],
)
def test_a_payment_that_fails_exits_1_saying_why(caller: str, said: str) -> None:
    result = CliRunner().invoke(main, ["demo", "--caller", caller])

    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: the payment did not complete: {said}")
    assert "Result success" not in result.stdout
    assert "Traceback" not in result.output
    assert leaks(result.output) == []


def test_an_unknown_caller_is_refused_with_the_choices() -> None:
    result = CliRunner().invoke(main, ["demo", "--caller", "nobody"])

    assert result.exit_code == 2
    assert "'typo-then-right', 'hangs-up', 'declined-card'" in result.stderr


class Recorder:
    def __init__(self) -> None:
        self.titles: list[str] = []
        self.calls: list[AgentCall] = []

    def intends(self, title: str) -> None:
        self.titles.append(title)

    def saw(self, call: AgentCall) -> None:
        self.calls.append(call)


async def pay_with(caller: dict[str, list[str]]) -> tuple[demo_agent.Outcome, Recorder]:
    async with Sandbox(typing_delay=0.001) as sandbox, OCPAgent() as agent:
        await agent.register_api("twilio", environ=sandbox.environ())
        async with agent.serve_status_callbacks(auth_token=sandbox.auth_token):
            recorder = Recorder()
            return await take_payment(agent, sandbox.start_call(caller), recorder), recorder


async def test_the_agent_gives_up_on_a_field_after_three_asks() -> None:
    outcome, recorder = await pay_with({"payment-card-number": [INVALID_CARD] * 3})

    assert not outcome.completed
    assert outcome.message == "payment-card-number was asked for 3 times; giving up."
    asks = [t for t in recorder.titles if t.startswith("Ask the caller")]
    assert len(asks) == 3


async def test_a_silent_caller_is_asked_again_from_the_timeout_sentence() -> None:
    outcome, recorder = await pay_with({"expiration-date": [SILENT]})

    assert outcome.completed
    read = "Read the error: The caller entered nothing in time"
    assert any(t.startswith(read) for t in recorder.titles)
    assert "Ask the caller for the expiration-date again" in recorder.titles


def imported_modules(module: Any) -> set[str]:
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_agent_side_never_imports_the_sandbox() -> None:
    assert not any("sandbox" in name for name in imported_modules(demo_agent))
