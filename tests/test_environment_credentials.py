"""register_api reads the TWILIO_* variables of the process environment, through a real socket."""

from __future__ import annotations

import pytest
from conftest import (
    ACCOUNT_SID,
    CALL_SID,
    PAYMENT_BODY,
    PAYMENT_SID,
    TWILIO_ENV,
    RecordingServer,
    assert_default_update_sent,
    update_arguments,
)

from ocp_twilio import OCPAgent


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
