"""The OCP context: its fields as OCP's context schema names them, history, headers, encoding."""

from __future__ import annotations

import base64
import json
import logging
import random
import re
from pathlib import Path

import jsonschema
import pytest
from support.credentials import TWILIO_ENV
from support.files import SPECS, ocp_schema

from ocp_twilio import (
    HISTORY_LIMIT,
    SESSION_LIMIT,
    APINotFound,
    ConfigurationError,
    OCPAgent,
    OCPContext,
    decode_header_text,
    decode_session,
)
from ocp_twilio.ocp.context import encode_session

# OCP's own context schema (tests/data/ocp, v0.8.0), with its formats (uri, date-time) checked.
_VALIDATOR = jsonschema.Draft7Validator(
    ocp_schema("ocp-context.json"), format_checker=jsonschema.FormatChecker()
)


def make_context(**fields: str) -> OCPContext:
    return OCPContext(
        agent_type="payment_assistant",
        user="alice",
        workspace="shop",
        current_goal="take a card payment",
        **fields,
    )


def test_the_context_has_ocps_fields_and_shape() -> None:
    context = make_context()
    context.add_api("twilio", "python:ocp_twilio.ocp.plugin:twilio_api")
    context.record_call("updatePayments", "twilio", "POST /x/{Sid}.json", "TwilioAPIError", 400)

    document = context.to_dict()

    _VALIDATOR.validate(document)
    assert document["agent_type"] == "payment_assistant"
    assert (document["user"], document["workspace"]) == ("alice", "shop")
    assert document["current_goal"] == "take a card payment"
    assert document["session"]["interaction_count"] == 1
    assert document["api_specs"] == {"twilio": "python:ocp_twilio.ocp.plugin:twilio_api"}
    assert document["history"] == [
        {
            "timestamp": context.history[0].timestamp.isoformat(),
            "action": "updatePayments",
            "api_endpoint": "POST /x/{Sid}.json",
            "result": "TwilioAPIError",
            "metadata": {"api": "twilio", "status": 400},
        }
    ]
    assert document["last_updated"] >= document["created_at"]


def test_each_context_has_its_own_id() -> None:
    assert make_context().context_id != make_context().context_id


def test_a_context_can_resume_a_known_id() -> None:
    context = OCPContext(context_id="ocp-0123456789abcdef")

    assert context.headers()["OCP-Context-ID"] == "ocp-0123456789abcdef"


def test_the_history_keeps_only_the_latest_calls_but_counts_all() -> None:
    context = make_context()
    for number in range(HISTORY_LIMIT + 5):
        context.record_call(f"tool{number}", "api", "GET /", "success")

    assert len(context.history) == HISTORY_LIMIT
    assert context.history[0].tool == "tool5"
    assert context.to_dict()["session"]["interaction_count"] == HISTORY_LIMIT + 5


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"context_id": "ocp-1234"}, "context_id 'ocp-1234' must be 'ocp-' and 8 to 60"),
        ({"context_id": "ocp-abcdef12\r\nX: y"}, "context_id 'ocp-abcdef12\\r\\nX: y' must"),
        ({"agent_type": "payment assistant"}, "agent_type 'payment assistant' must be"),
        ({"agent_type": "bot\n"}, "agent_type 'bot\\n' must be"),
        ({"context_id": "ocp-abcdef12\n"}, "context_id 'ocp-abcdef12\\n' must be"),
        ({"agent_type": ""}, "agent_type '' must be"),
        ({"user": "u" * 65}, "user must be 1 to 64 characters long"),
        ({"workspace": "w" * 129}, "workspace must be 1 to 128 characters long"),
        ({"current_goal": "g" * 257}, "current_goal must be 1 to 256 characters long"),
    ],
)
def test_values_outside_ocps_limits_are_refused(fields: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        OCPContext(**fields)  # type: ignore[arg-type]


def test_headers_carry_the_context() -> None:
    context = make_context()
    headers = context.headers()

    assert headers["OCP-Context-ID"] == context.context_id
    assert headers["OCP-Agent-Type"] == "payment_assistant"
    assert headers["OCP-Version"] == "1.0"
    assert headers["OCP-User"] == "alice"
    assert headers["OCP-Workspace"] == "shop"
    assert headers["OCP-Current-Goal"] == "take a card payment"
    assert decode_session(headers["OCP-Session"]) == context.to_dict()


def test_unset_optional_fields_send_no_header() -> None:
    headers = OCPContext().headers()

    assert set(headers) == {"OCP-Context-ID", "OCP-Agent-Type", "OCP-Version", "OCP-Session"}


def test_any_text_is_sent_as_ascii_and_comes_back_unchanged() -> None:
    goal = "Zahlung prüfen — 支払いを確認 🙂 100% sure"
    context = make_context()
    context.update_goal(goal)

    header = context.headers()["OCP-Current-Goal"]

    header.encode("latin-1")  # what http.client and most proxies require
    assert re.fullmatch(r"[ -~]+", header)
    assert decode_header_text(header) == goal
    assert decode_session(context.headers()["OCP-Session"])["current_goal"] == goal


def test_line_breaks_cannot_inject_headers() -> None:
    header = OCPContext(user="eve\r\nAuthorization: x").headers()["OCP-User"]

    assert "\r" not in header and "\n" not in header
    assert decode_header_text(header) == "eve\r\nAuthorization: x"


def test_large_sessions_are_gzipped_small_ones_are_not() -> None:
    small = encode_session({"context_id": "ocp-00000000"})
    large = encode_session({"history": [{"action": "updatePayments"}] * 200})

    assert not base64.b64decode(small).startswith(b"\x1f\x8b")
    assert base64.b64decode(large).startswith(b"\x1f\x8b")
    assert decode_session(large) == {"history": [{"action": "updatePayments"}] * 200}


def test_the_session_stays_within_8_kb_by_dropping_the_oldest_history() -> None:
    context = make_context()
    for number in range(HISTORY_LIMIT):
        # Incompressible tool names, so that only dropping history can make room.
        name = base64.b64encode(random.Random(number).randbytes(450)).decode()
        context.record_call(name, "api", "GET /", "success")

    session = context.headers()["OCP-Session"]

    assert len(session) <= SESSION_LIMIT
    kept = decode_session(session)["history"]
    assert 0 < len(kept) < HISTORY_LIMIT
    assert kept[-1]["action"] == context.history[-1].tool


def test_a_context_too_large_even_without_history_sends_no_session(
    caplog: pytest.LogCaptureFixture,
) -> None:
    context = make_context()
    for number in range(200):
        noise = random.Random(number).randbytes(30).hex()
        context.add_api(f"api{number}", f"https://registry.example/{noise}")

    with caplog.at_level(logging.WARNING, logger="ocp_twilio"):
        headers = context.headers()

    assert "OCP-Session" not in headers
    assert headers["OCP-Context-ID"] == context.context_id
    assert "OCP-Session left out" in caplog.text


@pytest.mark.parametrize(
    "value",
    ["not base64!", base64.b64encode(b"[1, 2]").decode(), base64.b64encode(b"\x1f\x8bxx").decode()],
)
def test_decode_session_refuses_what_is_not_a_session(value: str) -> None:
    with pytest.raises(ValueError, match="Not an OCP-Session value"):
        decode_session(value)


def test_the_context_is_plain_json() -> None:
    context = make_context()
    context.record_call("createPayments", "twilio", "POST /p", "success")

    assert json.loads(json.dumps(context.to_dict())) == context.to_dict()


# The agent's context against OCP's schema


async def test_an_api_of_several_spec_files_has_one_uri_each(tmp_path: Path) -> None:
    second = tmp_path / "dir with space" / "widgets.yaml"
    second.parent.mkdir()
    second.write_text((SPECS / "widgets.yaml").read_text().replace("test_service", "other"))
    async with OCPAgent() as agent:
        await agent.register_api("twilio", environ=TWILIO_ENV)
        await agent.register_api("w", spec=[SPECS / "widgets.yaml", second], environ=TWILIO_ENV)

        document = agent.context.to_dict()

    _VALIDATOR.validate(document)
    assert document["api_specs"]["w"] == (SPECS / "widgets.yaml").resolve().as_uri()
    assert document["api_specs"]["w-2"] == second.resolve().as_uri()  # "%20" for the space


async def test_registering_again_replaces_the_apis_uris() -> None:
    async with OCPAgent() as agent:
        await agent.register_api("w", spec=[SPECS / "widgets.yaml"] * 2, environ=TWILIO_ENV)
        await agent.register_api("w", spec=SPECS / "widgets.yaml", environ=TWILIO_ENV)

    assert list(agent.context.api_specs) == ["w"]


def test_the_schema_check_can_fail_on_a_uri_list() -> None:
    context = make_context()
    context.api_specs["w"] = "file:///a.yaml file:///b.yaml"  # what spec= lists once gave

    assert not _VALIDATOR.is_valid(context.to_dict())


@pytest.mark.parametrize("name", ["acme.v1", "my api", "", "café"])
async def test_api_names_outside_ocps_pattern_are_refused(name: str) -> None:
    async with OCPAgent() as agent:
        with pytest.raises(ConfigurationError, match=re.escape("^[a-zA-Z0-9_-]+$")):
            await agent.register_api(name, spec=SPECS / "widgets.yaml", environ=TWILIO_ENV)

        assert agent.list_tools() == []
    assert agent.context.api_specs == {}


async def test_a_second_files_key_that_another_api_holds_is_refused() -> None:
    async with OCPAgent() as agent:
        await agent.register_api("w-2", spec=SPECS / "widgets.yaml", environ=TWILIO_ENV)
        with pytest.raises(ConfigurationError, match="which API 'w-2' holds"):
            await agent.register_api("w", spec=[SPECS / "widgets.yaml"] * 2, environ=TWILIO_ENV)

        with pytest.raises(APINotFound):
            agent.list_tools("w")
    assert agent.context.api_specs == {"w-2": (SPECS / "widgets.yaml").resolve().as_uri()}
