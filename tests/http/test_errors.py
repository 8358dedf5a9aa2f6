"""Every failure of call_tool is an OCPError with what the caller needs to act on."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema
import pytest
from aioresponses import aioresponses
from support.credentials import TWILIO_ENV
from support.payments import (
    PAYMENT_BODY,
    TWILIO_API,
    TWILIO_ERROR_404,
    UPDATE_PATH,
    UPDATE_TOOL,
    update_arguments,
)
from support.servers import RecordingServer, closed_port
from support.specs import THINGS_SPEC

from ocp_twilio import (
    ConfigurationError,
    OCPAgent,
    OCPError,
    RequestTimeout,
    ResponseValidationError,
    SpecError,
    ToolNotFound,
    TransportError,
    TwilioAPIError,
)
from ocp_twilio.adapters._calls import call_for_model
from ocp_twilio.sandbox import Sandbox
from ocp_twilio.tools.offer import Offer

PAY_ERROR = {
    "code": 64018,
    "message": "Exactly one of Capture or Status must be set",
    "more_info": "https://www.twilio.com/docs/errors/64018",
    "status": 400,
}
# Long enough that no error message may show it whole.
PAD = "p" * 5_000
CARD = "4111111111111111"
BROKEN_PAYMENT = {**PAYMENT_BODY, "sid": "XX123", "date_created": "yesterday"}


async def test_twilio_error_body_becomes_twilio_api_error(
    mocked: aioresponses, mocked_agent: OCPAgent
) -> None:
    mocked.post(TWILIO_API + UPDATE_PATH, status=404, payload=TWILIO_ERROR_404)

    with pytest.raises(TwilioAPIError) as caught:
        await mocked_agent.call_tool("updatePayments", update_arguments())

    error = caught.value
    assert (error.status, error.code) == (404, 20404)
    assert error.message == "The requested resource was not found"
    assert error.more_info == "https://www.twilio.com/docs/errors/20404"
    assert error.tool == UPDATE_TOOL
    assert "HTTP 404" in str(error) and "20404" in str(error) and error.more_info in str(error)


async def test_pay_error_through_a_real_socket(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    recording_server.reply(400, PAY_ERROR)

    with pytest.raises(TwilioAPIError) as caught:
        await agent.call_tool("updatePayments", update_arguments())

    assert (caught.value.status, caught.value.code) == (400, 64018)
    assert caught.value.message == PAY_ERROR["message"]
    assert len(recording_server.requests) == 1


@pytest.mark.parametrize(
    ("status", "body", "content_type", "expected"),
    [
        (500, "", "application/json", "empty error body"),
        (503, "   \n", "text/plain", "empty error body"),
        (502, "<html><body>Bad Gateway</body></html>", "text/html", "non-JSON error body"),
        (401, "[1, 2]", "application/json", "JSON but not in Twilio's error shape (an array)"),
        (
            429,
            '{"detail": "slow down"}',
            "application/json",
            "error body is JSON but not in Twilio's error shape (an object without code or "
            'message): \'{"detail": "slow down"}\'',
        ),
        (400, "null", "application/json", "JSON but not in Twilio's error shape (a lone value)"),
    ],
)
async def test_error_without_a_twilio_body_is_still_clear(
    mocked: aioresponses,
    mocked_agent: OCPAgent,
    status: int,
    body: str,
    content_type: str,
    expected: str,
) -> None:
    mocked.post(TWILIO_API + UPDATE_PATH, status=status, body=body, content_type=content_type)

    with pytest.raises(TwilioAPIError) as caught:
        await mocked_agent.call_tool("updatePayments", update_arguments())

    assert caught.value.status == status
    assert caught.value.code is None
    assert caught.value.more_info is None
    assert expected in caught.value.message
    assert f"HTTP {status}" in str(caught.value)


@pytest.mark.parametrize(
    ("body", "content_type", "says"),
    [
        (
            json.dumps({"error": "invalid_client", "client_secret": "s3cr3t-value", "pad": PAD}),
            "application/json",
            "error body is JSON but not in Twilio's error shape (an object without code or "
            'message): \'{"error": "invalid_client", "client_secret": "***"',
        ),
        (
            json.dumps([{"error": "x", "card": CARD}, PAD]),
            "application/json",
            "error body is JSON but not in Twilio's error shape (an array): "
            '\'[{"error": "x", "card": "xxxxxxxxxxxx1111"}',
        ),
        # A card number across the cut of the text shown is masked whole all the same.
        ("e" * 190 + " " + CARD + " " + PAD, "text/plain", "non-JSON error body: 'eeee"),
    ],
)
async def test_an_error_body_not_in_twilios_shape_is_named_bounded_and_masked(
    agent: OCPAgent, recording_server: RecordingServer, body: str, content_type: str, says: str
) -> None:
    recording_server.reply(400, text=body, content_type=content_type)

    with pytest.raises(TwilioAPIError) as caught:
        await agent.call_tool("updatePayments", update_arguments())

    message = str(caught.value)
    assert says in message
    assert message.endswith("...")
    assert len(message) < 400  # the start of a 5,000-character body, never all of it
    assert "s3cr3t" not in message and CARD[:12] not in message and "11111" not in message
    assert (caught.value.status, caught.value.code) == (400, None)


async def test_error_body_with_a_code_but_no_more_info(
    mocked: aioresponses, mocked_agent: OCPAgent
) -> None:
    mocked.post(TWILIO_API + UPDATE_PATH, status=401, payload={"code": 20003, "status": 401})

    with pytest.raises(TwilioAPIError) as caught:
        await mocked_agent.call_tool("updatePayments", update_arguments())

    assert (caught.value.code, caught.value.more_info) == (20003, None)
    assert caught.value.message == "no message"


async def test_connection_refused_is_a_transport_error() -> None:
    async with OCPAgent() as agent:
        await agent.register_api(
            "twilio", base_url=f"http://127.0.0.1:{closed_port()}", environ=TWILIO_ENV
        )
        with pytest.raises(TransportError) as caught:
            await agent.call_tool("updatePayments", update_arguments())

    assert not isinstance(caught.value, RequestTimeout)
    assert "Connection failed" in str(caught.value)


async def test_per_call_timeout(silent_server: str, caplog: pytest.LogCaptureFixture) -> None:
    async with OCPAgent() as agent:
        await agent.register_api("twilio", base_url=silent_server, environ=TWILIO_ENV)
        with pytest.raises(RequestTimeout) as caught:
            await agent.call_tool("updatePayments", update_arguments(), timeout=0.2)

    assert isinstance(caught.value, TransportError)
    assert isinstance(caught.value, TimeoutError)
    assert "0.2 s" in str(caught.value)
    # A call's own timeout bounds the whole call: no time is left to try again.
    assert not [r for r in caplog.records if "retry" in r.getMessage()]


@pytest.mark.parametrize("where", ["agent", "register_api"])
async def test_default_timeout_is_settable(silent_server: str, where: str) -> None:
    agent_timeout = {"timeout": 0.2} if where == "agent" else {}
    api_timeout = {"timeout": 0.2} if where == "register_api" else {}
    async with OCPAgent(**agent_timeout) as agent:
        await agent.register_api(
            "twilio", base_url=silent_server, environ=TWILIO_ENV, **api_timeout
        )
        with pytest.raises(RequestTimeout) as caught:
            await agent.call_tool("updatePayments", update_arguments())

    assert "within 0.2 s" in str(caught.value)  # the setting, not the 30 s default, applied


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), "5", True])
async def test_unusable_timeouts_are_configuration_errors(
    agent: OCPAgent, recording_server: RecordingServer, timeout: Any
) -> None:
    with pytest.raises(ConfigurationError, match="positive, finite number of seconds"):
        OCPAgent(timeout=timeout)
    with pytest.raises(ConfigurationError, match="positive, finite number of seconds"):
        await agent.register_api(
            "twilio", base_url=recording_server.url, environ=TWILIO_ENV, timeout=timeout
        )
    with pytest.raises(ConfigurationError, match="positive, finite number of seconds"):
        await agent.call_tool("updatePayments", update_arguments(), timeout=timeout)

    assert recording_server.requests == []


@pytest.mark.parametrize(
    "raised",
    [
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientPayloadError("truncated"),
        aiohttp.ClientOSError(104, "Connection reset by peer"),
        aiohttp.ServerTimeoutError("read timeout"),
        aiohttp.InvalidURL("http://["),
        asyncio.TimeoutError(),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_no_aiohttp_exception_escapes(
    mocked: aioresponses, mocked_agent: OCPAgent, raised: Exception
) -> None:
    mocked.post(TWILIO_API + UPDATE_PATH, exception=raised)

    with pytest.raises(TransportError) as caught:
        await mocked_agent.call_tool("updatePayments", update_arguments())

    # Not kept as cause or context: aiohttp's exceptions may hold the Authorization header.
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    timed_out = isinstance(raised, asyncio.TimeoutError)
    assert isinstance(caught.value, RequestTimeout) == timed_out


async def test_a_broken_schema_in_a_spec_is_a_spec_error(tmp_path: Path) -> None:
    spec = tmp_path / "things.yaml"
    spec.write_text(THINGS_SPEC.replace("{type: integer}", "{type: whole-number}"))

    async with OCPAgent() as agent:
        await agent.register_api("twilio", spec=spec, environ=TWILIO_ENV)
        with pytest.raises(SpecError) as caught:
            await agent.call_tool("updateThing", {"Name": "lamp", "Count": 3})

    assert "updateThing" in str(caught.value)
    assert not isinstance(caught.value, jsonschema.exceptions.SchemaError)


async def test_strict_response_validation_raises(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    await agent.register_api(
        "twilio", base_url=recording_server.url, environ=TWILIO_ENV, response_validation="strict"
    )
    recording_server.reply(202, BROKEN_PAYMENT)

    with pytest.raises(ResponseValidationError) as caught:
        await agent.call_tool("updatePayments", update_arguments())

    error = caught.value
    assert {e.path for e in error.errors} == {("sid",), ("date_created",)}
    assert error.body == BROKEN_PAYMENT
    assert "date-time-rfc-2822" in str(error)


async def test_warn_logs_and_returns(
    recording_server: RecordingServer, caplog: pytest.LogCaptureFixture
) -> None:
    recording_server.reply(202, BROKEN_PAYMENT)
    async with OCPAgent() as agent:  # warn is the default
        await agent.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)
        with caplog.at_level(logging.WARNING, logger="ocp_twilio"):
            result = await agent.call_tool("updatePayments", update_arguments())

    assert result == BROKEN_PAYMENT
    [record] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert record.name == "ocp_twilio"
    message = record.getMessage()
    assert UPDATE_TOOL in message and "sid:" in message and "date_created:" in message


async def test_off_returns_without_a_word(
    recording_server: RecordingServer, caplog: pytest.LogCaptureFixture
) -> None:
    recording_server.reply(202, BROKEN_PAYMENT)
    async with OCPAgent(response_validation="off") as agent:
        await agent.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)
        with caplog.at_level(logging.DEBUG, logger="ocp_twilio"):
            result = await agent.call_tool("updatePayments", update_arguments())

    assert result == BROKEN_PAYMENT
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.parametrize("mode", ["strict", "warn", "off"])
async def test_non_json_success_body(recording_server: RecordingServer, mode: str) -> None:
    recording_server.reply(202, text="<html>Accepted</html>", content_type="text/html")
    async with OCPAgent(response_validation=mode) as agent:
        await agent.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)
        with pytest.raises(ResponseValidationError) as caught:
            await agent.call_tool("updatePayments", update_arguments())

    assert "not JSON" in str(caught.value)


async def test_empty_success_body_is_an_empty_result(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    recording_server.reply(204)

    assert await agent.call_tool("updatePayments", update_arguments()) == {}


def test_unknown_response_validation_mode() -> None:
    with pytest.raises(ConfigurationError, match="strict, warn, off"):
        OCPAgent(response_validation="loud")


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [("updatePayment", "updatePayments"), ("createpayments", "createPayments")],
)
async def test_tool_not_found_suggests_close_names(
    agent: OCPAgent, recording_server: RecordingServer, name: str, suggestion: str
) -> None:
    with pytest.raises(ToolNotFound) as caught:
        await agent.call_tool(name, update_arguments())

    assert suggestion in caught.value.suggestions
    assert "Did you mean:" in str(caught.value) and suggestion in str(caught.value)
    assert recording_server.requests == []
    with pytest.raises(ToolNotFound):
        agent.get_tool(name)


async def test_tool_not_found_without_close_names(agent: OCPAgent) -> None:
    with pytest.raises(ToolNotFound) as caught:
        await agent.call_tool("sendFax", {})

    assert caught.value.suggestions == ()
    assert str(caught.value) == "No tool named 'sendFax'."
    assert isinstance(caught.value, LookupError)


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        ({}, ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET"]),
        ({"TWILIO_AUTH_TOKEN": "t"}, ["TWILIO_ACCOUNT_SID"]),
        ({"TWILIO_ACCOUNT_SID": TWILIO_ENV["TWILIO_ACCOUNT_SID"]}, ["TWILIO_AUTH_TOKEN"]),
        (
            {"TWILIO_ACCOUNT_SID": TWILIO_ENV["TWILIO_ACCOUNT_SID"], "TWILIO_API_KEY": "SK1"},
            ["TWILIO_API_SECRET"],
        ),
        ({**TWILIO_ENV, "TWILIO_ACCOUNT_SID": "ACME"}, ["TWILIO_ACCOUNT_SID"]),
    ],
)
async def test_missing_credentials_name_the_variables(
    environ: dict[str, str], names: list[str]
) -> None:
    async with OCPAgent() as agent:
        with pytest.raises(ConfigurationError) as caught:
            await agent.register_api("twilio", environ=environ)

    for name in names:
        assert name in str(caught.value)
    assert agent.list_tools() == []


async def test_process_environment_is_the_default_source(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET"):
        monkeypatch.delenv(name, raising=False)

    async with OCPAgent() as agent:
        with pytest.raises(ConfigurationError, match="TWILIO_ACCOUNT_SID"):
            await agent.register_api("twilio")


@pytest.mark.parametrize(
    "failure",
    ["api_error", "invalid", "not_found", "transport", "response"],
)
async def test_every_failure_is_an_ocp_error(
    mocked: aioresponses, mocked_agent: OCPAgent, failure: str
) -> None:
    await mocked_agent.register_api("twilio", environ=TWILIO_ENV, response_validation="strict")
    responses: dict[str, dict[str, Any]] = {
        "api_error": {"status": 404, "payload": TWILIO_ERROR_404},
        "transport": {"exception": aiohttp.ClientConnectionError("refused")},
        "response": {"status": 202, "payload": BROKEN_PAYMENT},
    }
    mocked.post(TWILIO_API + UPDATE_PATH, **responses.get(failure, {"status": 202}))
    name = "updatePayment" if failure == "not_found" else "updatePayments"
    arguments = update_arguments(Sid="PK1") if failure == "invalid" else update_arguments()

    with pytest.raises(OCPError):
        await mocked_agent.call_tool(name, arguments)


async def test_twilio_api_error_names_the_request_for_support(
    sandbox: Sandbox, sandbox_agent: OCPAgent
) -> None:
    missing = update_arguments(CallSid=sandbox.start_call(), Sid="PK" + "0" * 32)

    with pytest.raises(TwilioAPIError) as caught:
        await sandbox_agent.call_tool("updatePayments", missing)
    offer = Offer(sandbox_agent.list_tools())
    outcome = await call_for_model(sandbox_agent, offer, "updatePayments", missing)

    request_id = caught.value.request_id
    assert request_id is not None and re.fullmatch(r"RQ[0-9a-f]{32}", request_id)
    assert f"(request {request_id})" in str(caught.value)
    assert outcome.error is not None and re.search(r"\(request RQ[0-9a-f]{32}\)", outcome.error)
    assert "call again" not in outcome.error  # a 404 is not temporary
