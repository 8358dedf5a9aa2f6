"""register_api's keywords travel as one APIOptions: checked when made, secrets never shown, and
four of them overriding the agent's call settings for that API alone."""

from __future__ import annotations

import pytest
from support.credentials import ACCOUNT_SID, AUTH_TOKEN, TWILIO_ENV
from support.files import SPECS
from support.servers import RecordingServer

from ocp_twilio import ConfigurationError, OCPAgent, ResponseValidation, RetryPolicy, Timeout
from ocp_twilio.registration.options import APIOptions, CallSettings

SECRET_VARIABLE = "ACME_SECRET"
DEFAULTS = CallSettings(
    timeout=Timeout(10),
    response_validation=ResponseValidation.WARN,
    retries=RetryPolicy(max_retries=1),
    max_response_bytes=1000,
)


def test_no_secret_is_shown_in_the_options() -> None:
    environ = {**TWILIO_ENV, SECRET_VARIABLE: "s3cret-from-the-environment"}
    options = APIOptions(
        "acme",
        credentials={"account_sid": "shop-7", "auth_token": AUTH_TOKEN},
        credential_variables={"api_secret": SECRET_VARIABLE},
        environ=environ,
    )
    assert options.credentials == {
        "account_sid": "shop-7",
        "auth_token": AUTH_TOKEN,
        "api_secret": "s3cret-from-the-environment",
    }
    shown = repr(options)
    assert shown.startswith("APIOptions(name='acme'")
    for secret in (AUTH_TOKEN, "s3cret-from-the-environment", ACCOUNT_SID):
        assert secret not in shown


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ({"name": "two words"}, "API name 'two words' must match"),
        ({"base_url": 5}, "base_url must be text, not int"),
        ({"status_callback": "ftp://example.com/x"}, "absolute http"),
        ({"credentials": {"auth_token": b"bytes"}}, "auth_token must be text"),
    ],
)
def test_bad_options_are_refused_when_made(given: dict[str, object], problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        APIOptions(**{"name": "acme", **given})  # type: ignore[arg-type]


def test_an_api_overrides_the_agents_settings_only_where_it_gives_a_value() -> None:
    assert APIOptions("acme").settings(DEFAULTS) == DEFAULTS
    # Empty and zero values override nothing, as register_api has always read them.
    unset = APIOptions("acme", response_validation="", max_response_bytes=0)
    assert unset.settings(DEFAULTS) == DEFAULTS
    overridden = APIOptions(
        "acme", timeout=2, response_validation="strict", retries=0, max_response_bytes=10
    ).settings(DEFAULTS)
    assert overridden == CallSettings(
        timeout=Timeout(2),
        response_validation=ResponseValidation.STRICT,
        retries=RetryPolicy.of(0),
        max_response_bytes=10,
    )
    with pytest.raises(ConfigurationError, match="response_validation must be one of"):
        APIOptions("acme", response_validation="loose").settings(DEFAULTS)


async def test_each_api_is_called_with_its_own_settings(
    recording_server: RecordingServer,
) -> None:
    async with OCPAgent(timeout=7, retries=2, max_response_bytes=5000) as agent:
        own = await agent.register_api(
            "tight",
            spec=SPECS,
            base_url=recording_server.url,
            environ=TWILIO_ENV,
            timeout=3,
            retries=0,
            response_validation="strict",
            max_response_bytes=100,
        )
        shared = await agent.register_api(
            "loose", spec=SPECS, base_url=recording_server.url, environ=TWILIO_ENV
        )

    assert (own.dispatcher.timeout, own.dispatcher.retries) == (Timeout(3), RetryPolicy.of(0))
    assert own.dispatcher.response_validation is ResponseValidation.STRICT
    assert own.dispatcher.max_response_bytes == 100
    assert (shared.dispatcher.timeout, shared.dispatcher.retries) == (
        Timeout(7),
        RetryPolicy.of(2),
    )
    assert shared.dispatcher.response_validation is ResponseValidation.WARN
    assert shared.dispatcher.max_response_bytes == 5000
