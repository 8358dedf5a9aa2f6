"""The auth token and API secret never show: not in reprs, errors, logs or results."""

from __future__ import annotations

import base64
import json
import logging
import traceback
from collections.abc import Iterable
from typing import Any

import pytest
from conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    TWILIO_ENV,
    TWILIO_ERROR_404,
    RecordingServer,
    closed_port,
    update_arguments,
)

from ocp_twilio import Credentials, OCPAgent, OCPError

API_KEY = "SK" + "abcdef0123456789" * 2
API_SECRET = "key-secret-" + "s3cr3t" * 4


def secret_forms(username: str, secret: str) -> list[str]:
    """The secret itself and the Basic header value that carries it."""
    pair = base64.b64encode(f"{username}:{secret}".encode()).decode()
    return [secret, pair]


SECRETS = [*secret_forms(ACCOUNT_SID, AUTH_TOKEN), *secret_forms(API_KEY, API_SECRET)]


def assert_no_secret(texts: Iterable[str]) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def exception_texts(error: BaseException) -> list[str]:
    """str, repr and the whole formatted traceback, chained causes included."""
    return [str(error), repr(error), "".join(traceback.format_exception(error))]


def log_texts(caplog: pytest.LogCaptureFixture) -> list[str]:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return [formatter.format(r) + repr(r.args) for r in caplog.records]


@pytest.mark.parametrize(
    ("arguments", "username", "secret"),
    [
        ({"auth_token": AUTH_TOKEN}, ACCOUNT_SID, AUTH_TOKEN),
        ({"api_key": API_KEY, "api_secret": API_SECRET}, API_KEY, API_SECRET),
    ],
)
def test_credentials_repr_hides_the_secret(
    arguments: dict[str, str], username: str, secret: str
) -> None:
    credentials = Credentials.create(ACCOUNT_SID, **arguments)

    assert_no_secret([repr(credentials), str(credentials), f"{credentials}"])
    assert ACCOUNT_SID in repr(credentials)
    # Control: the secret is really held, so the checks above look at something that has it.
    assert credentials.authorization == "Basic " + secret_forms(username, secret)[1]


@pytest.mark.parametrize(
    "credentials",
    [{"auth_token": AUTH_TOKEN}, {"api_key": API_KEY, "api_secret": API_SECRET}],
)
async def test_agent_tool_and_api_reprs(
    recording_server: RecordingServer, credentials: dict[str, str]
) -> None:
    async with OCPAgent() as agent:
        registered = await agent.register_api(
            "twilio",
            base_url=recording_server.url,
            environ={"TWILIO_ACCOUNT_SID": ACCOUNT_SID},
            **credentials,
        )
        await agent.call_tool("updatePayments", update_arguments())
        objects: list[Any] = [
            agent,
            registered,
            registered.dispatcher,
            registered.definition,
            agent.transport,
            *agent.list_tools(),
        ]
        assert_no_secret(text for obj in objects for text in (repr(obj), str(obj)))
        assert_no_secret([repr(vars(agent))])


async def test_success_call_logs_and_result(
    recording_server: RecordingServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with OCPAgent() as agent:
        await agent.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)
        with caplog.at_level(logging.DEBUG):
            result = await agent.call_tool("updatePayments", update_arguments())

    assert caplog.records, "a call is expected to log at least its outcome"
    assert_no_secret(log_texts(caplog))
    assert_no_secret([json.dumps(result), repr(result)])
    # Control: the secret did go out, in the header, to the server.
    assert SECRETS[1] in recording_server.requests[0].headers["Authorization"]


async def failure(agent: OCPAgent, **call: Any) -> OCPError:
    with pytest.raises(OCPError) as caught:
        await agent.call_tool("updatePayments", update_arguments(), **call)
    return caught.value


@pytest.mark.parametrize("kind", ["api_error", "html_error", "timeout", "refused", "invalid"])
async def test_failures_keep_the_secret_out(
    recording_server: RecordingServer,
    silent_server: str,
    caplog: pytest.LogCaptureFixture,
    kind: str,
) -> None:
    base_url = {
        "timeout": silent_server,
        "refused": f"http://127.0.0.1:{closed_port()}",
    }.get(kind, recording_server.url)
    if kind == "api_error":
        recording_server.reply(404, TWILIO_ERROR_404)
    if kind == "html_error":
        recording_server.reply(500, text="<h1>oops</h1>", content_type="text/html")

    async with OCPAgent(timeout=0.2) as agent:
        await agent.register_api("twilio", base_url=base_url, environ=TWILIO_ENV)
        with caplog.at_level(logging.DEBUG):
            if kind == "invalid":
                # The token pasted into a wrong field must not be echoed back.
                with pytest.raises(OCPError) as caught:
                    await agent.call_tool(
                        "updatePayments", update_arguments(StatusCallback=AUTH_TOKEN)
                    )
                error = caught.value
            else:
                error = await failure(agent)

    assert_no_secret(exception_texts(error))
    assert_no_secret(log_texts(caplog))


@pytest.mark.parametrize(
    "environ",
    [
        {"TWILIO_AUTH_TOKEN": AUTH_TOKEN},
        {"TWILIO_ACCOUNT_SID": "AC-bad", "TWILIO_AUTH_TOKEN": AUTH_TOKEN},
        {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_API_SECRET": API_SECRET},
    ],
)
async def test_configuration_errors_keep_the_secret_out(environ: dict[str, str]) -> None:
    async with OCPAgent() as agent:
        with pytest.raises(OCPError) as caught:
            await agent.register_api("twilio", environ=environ)

    assert_no_secret(exception_texts(caught.value))
