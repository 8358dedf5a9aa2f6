"""Twilio OAuth client credentials and bearer tokens for spec APIs, against a real server on
127.0.0.1 that plays both Twilio's token endpoint and an API that takes its access tokens."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import traceback
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import pytest
from support.credentials import ACCOUNT_SID, AUTH_TOKEN
from support.oauth import CLIENT_ID, CLIENT_SECRET, TokenServer, bearer_spec, token_form
from support.servers import RecordingServer, serve_recording

from ocp_twilio import (
    ConfigurationError,
    MockTransport,
    OCPAgent,
    OCPError,
    RegisteredAPI,
    Response,
    TransportError,
    TwilioAPIError,
)
from ocp_twilio._config import TOKEN_MAX_LIFETIME
from ocp_twilio.http.oauth import _token_of

CLIENT = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}


async def register_things(agent: OCPAgent, url: str, tmp_path: Path) -> RegisteredAPI:
    return await agent.register_api(
        "things", spec=bearer_spec(tmp_path), base_url=url, environ={}, **CLIENT
    )


@pytest.fixture
async def agent(token_server: TokenServer, tmp_path: Path) -> AsyncIterator[OCPAgent]:
    async with OCPAgent(retries=0) as ocp_agent:
        await register_things(ocp_agent, token_server.url, tmp_path)
        yield ocp_agent


async def test_one_token_fetch_serves_many_concurrent_calls(
    agent: OCPAgent, token_server: TokenServer
) -> None:
    results = await asyncio.gather(*(agent.call_tool("listThing", {}) for _ in range(20)))

    assert results == [{"sid": "TH" + "0" * 32}] * 20
    assert len(token_server.token_requests) == 1
    assert token_form(token_server) == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    # The secret goes in the token request's body only; no Authorization header goes with it.
    assert "Authorization" not in token_server.token_requests[0].headers
    assert {r.headers["Authorization"] for r in token_server.api_requests} == {"Bearer tok-1"}


async def test_an_expired_token_is_fetched_again(
    agent: OCPAgent, token_server: TokenServer
) -> None:
    token_server.expires_in = 0  # expired as soon as it is issued

    await agent.call_tool("listThing", {})
    await agent.call_tool("listThing", {})

    assert len(token_server.token_requests) == 2
    assert [r.headers["Authorization"] for r in token_server.api_requests] == [
        "Bearer tok-1",
        "Bearer tok-2",
    ]


async def test_a_401_fetches_a_new_token_and_sends_a_get_once_more(
    agent: OCPAgent, token_server: TokenServer
) -> None:
    await agent.call_tool("listThing", {})
    token_server.refused.add("tok-1")  # revoked at Twilio before it expired

    await agent.call_tool("listThing", {})

    assert [(r.method, r.headers["Authorization"]) for r in token_server.api_requests] == [
        ("GET", "Bearer tok-1"),
        ("GET", "Bearer tok-1"),
        ("GET", "Bearer tok-2"),
    ]
    assert len(token_server.token_requests) == 2


async def test_a_post_refused_with_401_is_not_sent_again_but_the_next_call_has_a_new_token(
    agent: OCPAgent, token_server: TokenServer
) -> None:
    await agent.call_tool("listThing", {})
    token_server.refused.add("tok-1")

    # A 401 may come from a proxy after the POST went through: it is the call's answer.
    with pytest.raises(TwilioAPIError) as caught:
        await agent.call_tool("createThing", {})
    assert caught.value.status == 401
    assert await agent.call_tool("createThing", {}) == {"sid": "TH" + "0" * 32}

    assert [(r.method, r.headers["Authorization"]) for r in token_server.api_requests] == [
        ("GET", "Bearer tok-1"),
        ("POST", "Bearer tok-1"),
        ("POST", "Bearer tok-2"),
    ]
    assert len(token_server.token_requests) == 2


async def test_a_second_401_is_the_answer(agent: OCPAgent, token_server: TokenServer) -> None:
    token_server.refused.update({"tok-1", "tok-2", "tok-3"})

    with pytest.raises(TwilioAPIError) as caught:
        await agent.call_tool("listThing", {})

    assert caught.value.status == 401
    # One refresh, once: two GETs, two tokens, then the 401 is the call's answer.
    assert [r.method for r in token_server.api_requests] == ["GET", "GET"]
    assert len(token_server.token_requests) == 2


async def test_an_operation_whose_security_is_empty_gets_no_credentials(
    agent: OCPAgent, token_server: TokenServer
) -> None:
    await agent.call_tool("fetchPublic", {})

    assert token_server.token_requests == []
    assert "Authorization" not in token_server.api_requests[0].headers


async def test_client_credentials_come_from_the_environment(
    token_server: TokenServer, tmp_path: Path
) -> None:
    environ = {"TWILIO_CLIENT_ID": CLIENT_ID, "TWILIO_CLIENT_SECRET": CLIENT_SECRET}
    async with OCPAgent() as agent:
        await agent.register_api(
            "things", spec=bearer_spec(tmp_path), base_url=token_server.url, environ=environ
        )
        await agent.call_tool("listThing", {})

    assert token_form(token_server)["client_secret"] == CLIENT_SECRET
    assert token_server.api_requests[0].headers["Authorization"] == "Bearer tok-1"


async def test_a_given_token_is_sent_as_it_is(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    recording_server.reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
    async with OCPAgent(retries=0) as agent:
        await agent.register_api(
            "things", spec=bearer_spec(tmp_path), base_url=recording_server.url, token="given"
        )
        with pytest.raises(TwilioAPIError):
            await agent.call_tool("createThing", {})

    # Nothing to refresh it from: the 401 is the answer, and the POST went once.
    assert [(r.method, r.headers["Authorization"]) for r in recording_server.requests] == [
        ("POST", "Bearer given")
    ]


async def test_basic_credentials_for_a_bearer_operation_send_nothing(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    async with OCPAgent() as agent:
        await agent.register_api(
            "things",
            spec=bearer_spec(tmp_path),
            base_url=recording_server.url,
            account_sid=ACCOUNT_SID,
            auth_token=AUTH_TOKEN,
        )
        with pytest.raises(ConfigurationError, match="client_id= and client_secret="):
            await agent.call_tool("listThing", {})

    assert recording_server.requests == []


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({"client_id": CLIENT_ID}, "need both client_id= and client_secret="),
        ({**CLIENT, "auth_token": AUTH_TOKEN}, "cannot go with auth_token="),
        ({**CLIENT, "token": "t"}, "token= cannot go with client_id=, client_secret="),
    ],
)
async def test_incomplete_or_mixed_credentials_are_refused(
    given: dict[str, str], words: str, tmp_path: Path
) -> None:
    async with OCPAgent() as agent:
        with pytest.raises(ConfigurationError, match=words) as caught:
            await agent.register_api("things", spec=bearer_spec(tmp_path), environ={}, **given)

    assert CLIENT_SECRET not in str(caught.value)


async def test_the_token_goes_to_no_other_host(tmp_path: Path) -> None:
    """An operation whose server is not Twilio's is refused before a token is even fetched; a
    MockTransport stands in for Twilio, so that nothing can leave the machine."""
    transport = MockTransport(lambda request: Response.json(200, {"access_token": "tok"}))
    async with serve_recording() as elsewhere:
        spec = tmp_path / "spec.yaml"
        spec.write_text(
            "api: twilio\nserver: https://api.twilio.com\noperations:\n"
            "  - {name: fetchGood, method: GET, path: /v1/Good}\n"
            f"  - {{name: fetchEvil, method: GET, path: /v1/Evil, server: '{elsewhere.url}'}}\n"
        )
        async with OCPAgent(transport=transport) as agent:
            await agent.register_api("twilio", spec=spec, environ={}, **CLIENT)
            with pytest.raises(ConfigurationError, match="Refused to send fetchEvil"):
                await agent.call_tool("fetchEvil", {})
            await agent.call_tool("fetchGood", {})

    assert elsewhere.requests == []
    # Control: the good operation fetched its token from Twilio's endpoint and used it there.
    assert [str(r.url) for r in transport.requests] == [
        "https://oauth.twilio.com/v2/token",
        "https://api.twilio.com/v1/Good",
    ]
    assert transport.requests[1].headers["Authorization"] == "Bearer tok"


def secret_texts(error: BaseException) -> list[str]:
    return [str(error), repr(error), "".join(traceback.format_exception(error))]


def assert_hidden(texts: Iterable[str], *secrets: str) -> None:
    for text in texts:
        for secret in (CLIENT_SECRET, *secrets):
            assert secret not in text


@pytest.mark.parametrize("status", [401, 503])
async def test_the_secret_and_token_stay_out_of_errors_logs_and_reprs(
    token_server: TokenServer, tmp_path: Path, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    async with OCPAgent(retries=0) as agent:
        registered = await register_things(agent, token_server.url, tmp_path)
        with caplog.at_level(logging.DEBUG):
            result = await agent.call_tool("listThing", {})
            token_server.refused.add("tok-1")
            token_server.token_status = status
            with pytest.raises(OCPError) as caught:
                await agent.call_tool("listThing", {})

    assert isinstance(caught.value, ConfigurationError if status == 401 else TransportError)
    assert "the call was not sent" in str(caught.value)
    dispatcher = registered.dispatcher
    objects: list[Any] = [agent, registered, dispatcher, dispatcher.tokens, result]
    assert_hidden(
        [
            *secret_texts(caught.value),
            *(f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records),
            *(repr(obj) for obj in [*objects, *registered.tools, *vars(agent).values()]),
            json.dumps(result),
        ],
        "tok-1",
    )
    # Control: the secret and the token did go out, where they belong.
    assert token_form(token_server)["client_secret"] == CLIENT_SECRET
    assert token_server.api_requests[0].headers["Authorization"] == "Bearer tok-1"


def test_how_long_a_token_is_kept() -> None:
    now = 1_700_000_000.0
    claims = base64.urlsafe_b64encode(json.dumps({"exp": now + 600}).encode()).decode()
    jwt = f"eyJhbGciOiJIUzI1NiJ9.{claims.rstrip('=')}.sig"

    def kept(answer: str) -> float:
        return _token_of(answer.encode(), now)[1]

    assert kept(json.dumps({"access_token": jwt, "expires_in": 5})) == 600  # exp wins
    assert kept('{"access_token": "t", "expires_in": 120}') == 120
    # Twilio's published example of expires_in is a timestamp in milliseconds.
    assert kept('{"access_token": "t", "expires_in": 1438315200000}') == TOKEN_MAX_LIFETIME
    assert kept('{"access_token": "t", "expires_in": NaN}') == TOKEN_MAX_LIFETIME
    assert kept('{"access_token": "t"}') == TOKEN_MAX_LIFETIME
    assert kept('{"access_token": "t", "expires_in": -5}') == 0


@pytest.mark.parametrize(
    "answer",
    [b"", b"<html>", b'{"access_token": ""}', b'{"access_token": "a\\r\\nX-Evil: 1"}', b"[]"],
)
def test_an_unusable_token_answer_is_a_transport_error(answer: bytes) -> None:
    with pytest.raises(TransportError, match="without a usable access_token") as caught:
        _token_of(answer, 0.0)

    assert caught.value.nothing_sent
