"""register_api reads the TWILIO_* variables of the process environment, and the variables the
user names in credential_variables=, through a real socket."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from support.credentials import ACCOUNT_SID, AUTH_TOKEN, TWILIO_ENV
from support.payments import (
    CALL_SID,
    PAYMENT_BODY,
    PAYMENT_SID,
    assert_default_update_sent,
    update_arguments,
)
from support.servers import RecordingServer

from ocp_twilio import ConfigurationError, OCPAgent


async def test_credentials_and_base_url_from_the_environment(
    recording_server: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in {**TWILIO_ENV, "TWILIO_BASE_URL": recording_server.url}.items():
        monkeypatch.setenv(key, value)

    async with OCPAgent() as agent:
        await agent.register_api("twilio")
        result = await agent.call_tool("updatePayments", update_arguments())

    assert result == PAYMENT_BODY
    [request] = recording_server.requests
    assert request.method == "POST"
    assert request.path_qs == (
        f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{CALL_SID}/Payments/{PAYMENT_SID}.json"
    )
    assert_default_update_sent(request.headers, request.form)


PROD_SID = "AC" + "5" * 32
PROD_TOKEN = "prod-" + "t0k3n" * 5
PROD = {"account_sid": "PROD_TWILIO_SID", "auth_token": "PROD_TWILIO_TOKEN"}


async def test_credentials_from_variables_the_user_names(
    recording_server: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """credential_variables= fills the arguments from the variables named, in place of TWILIO_*."""
    monkeypatch.setenv("PROD_TWILIO_SID", PROD_SID)
    monkeypatch.setenv("PROD_TWILIO_TOKEN", PROD_TOKEN)
    for key, value in TWILIO_ENV.items():
        monkeypatch.setenv(key, value)

    async with OCPAgent() as agent:
        await agent.register_api("twilio", base_url=recording_server.url, credential_variables=PROD)
        await agent.call_tool("updatePayments", update_arguments())

    [request] = recording_server.requests
    basic = base64.b64encode(f"{PROD_SID}:{PROD_TOKEN}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {basic}"
    assert request.path_qs.startswith(f"/2010-04-01/Accounts/{PROD_SID}/")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            {"credential_variables": {"account_sid": "PROD_TWILIO_SID", "auth_token": "UNSET"}},
            r"not set in environ= or the process environment: UNSET \(for auth_token=\)",
        ),
        (
            {"credential_variables": {"password": "PROD_TWILIO_TOKEN"}},
            "keys must be credential arguments of register_api .* not \\['password'\\]",
        ),
        (
            {"credential_variables": {"auth_token": ""}},
            r"credential_variables\['auth_token'\] must be the name of an environment variable",
        ),
        ({"credential_variables": ["PROD_TWILIO_TOKEN"]}, "must map credential arguments"),
        (
            {"credential_variables": PROD, "auth_token": "explicit"},
            "auth_token= is given both as an argument and in credential_variables",
        ),
    ],
)
async def test_credential_variables_that_cannot_be_used_are_clear_errors(
    arguments: dict[str, Any], message: str, recording_server: RecordingServer
) -> None:
    environ = {"PROD_TWILIO_SID": PROD_SID, "PROD_TWILIO_TOKEN": PROD_TOKEN, **TWILIO_ENV}
    async with OCPAgent() as agent:
        with pytest.raises(ConfigurationError, match=message) as caught:
            await agent.register_api(
                "twilio", base_url=recording_server.url, environ=environ, **arguments
            )

    assert PROD_TOKEN not in str(caught.value)
    assert AUTH_TOKEN not in str(caught.value)
    assert agent.list_tools() == []
