"""``ocp-twilio demo --scenario reminder``: the agent texts a reminder, learns of its delivery and
the person's answer from its receiver, and calls where the text cannot arrive; over real sockets,
against the sandbox's scripted recipients. Its output holds no secret."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from click.testing import CliRunner
from support.sandbox import started_sandboxes

from ocp_twilio.cli import demo_command, main

SEND = "api_v2010__createMessage"
PLACE_CALL = "api_v2010__createCall"
WAIT_FOR_MESSAGE = "api_v2010__waitForMessageStatus"
WAIT_FOR_CALL = "api_v2010__waitForCallStatus"
WAIT_FOR_REPLY = "api_v2010__waitForReply"
ANY_SID = re.compile(r"\b[A-Z]{2}[0-9a-f]{32}\b")


def reminded(recipient: str) -> tuple[int, dict[str, Any], list[dict[str, Any]]]:
    """The exit code, the JSON document and the agent's calls of one run."""
    result = CliRunner().invoke(
        main, ["demo", "--scenario", "reminder", "--recipient", recipient, "--json"]
    )
    document = json.loads(result.stdout)
    return result.exit_code, document, [c for s in document["steps"] for c in s["calls"]]


def test_a_confirming_person_is_texted_once_and_their_c_is_read() -> None:
    code, document, calls = reminded("confirms")

    assert code == 0 and document["reached"] is True and document["reply"] == "C"
    assert [c["tool"] for c in calls][:1] == [SEND]
    assert {c["tool"] for c in calls} == {SEND, WAIT_FOR_MESSAGE, WAIT_FOR_REPLY}
    assert [c["answer"]["status"] for c in calls if c["tool"] == WAIT_FOR_MESSAGE][
        -1
    ] == "delivered"
    assert all(c["error"] is None for c in calls)
    # The library, not the agent, fills the callback the application owns.
    assert not any("StatusCallback" in c["sent"] for c in calls)


def test_a_landline_sees_30006_and_is_called_instead() -> None:
    code, document, calls = reminded("landline")

    assert code == 0 and document["reached"] is True
    [undelivered] = [
        c["answer"] for c in calls if c["tool"] == WAIT_FOR_MESSAGE and c["answer"]["final"]
    ]
    assert undelivered["status"] == "undelivered" and undelivered["error"]["code"] == "30006"
    assert "landline" in undelivered["error"]["what_to_do"]
    assert [c["tool"] for c in calls].count(PLACE_CALL) == 1
    statuses = [c["answer"]["status"] for c in calls if c["tool"] == WAIT_FOR_CALL]
    assert statuses[-1] == "completed" and "in-progress" in statuses
    assert not any({"StatusCallback", "StatusCallbackEvent"} & set(c["sent"]) for c in calls)


def test_a_stop_is_read_as_an_opt_out() -> None:
    code, document, _ = reminded("stops")

    assert code == 0 and document["reply"] == "STOP" and "opted out" in document["message"]


def test_a_person_reached_neither_by_text_nor_by_call_exits_1_saying_why() -> None:
    result = CliRunner().invoke(
        main, ["demo", "--scenario", "reminder", "--recipient", "unreachable"]
    )

    assert result.exit_code == 1
    assert "30003" in result.stdout and "-> createCall" in result.stdout
    assert result.stderr.startswith(
        "error: the reminder did not reach the person: The call ended failed"
    )
    assert "Traceback" not in result.output


def test_the_reminder_shows_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    started = started_sandboxes(monkeypatch, demo_command)
    for extra in ([], ["--json"]):
        result = CliRunner().invoke(main, ["demo", "--scenario", "reminder", *extra])

        assert result.exit_code == 0, result.output
        sandbox = started.pop()
        for secret in (sandbox.auth_token, sandbox.api_key_secret):
            assert secret not in result.output
        # Beside the sids, no 32 hex digits (an Auth Token or an API secret) show.
        assert re.findall(r"[0-9a-f]{32}", ANY_SID.sub("<sid>", result.output)) == []


def test_the_console_is_the_payment_demos_alone() -> None:
    result = CliRunner().invoke(main, ["demo", "--scenario", "reminder", "--console"])

    assert result.exit_code != 0 and "--console plays the payment's caller" in result.output
