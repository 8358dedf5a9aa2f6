"""The transport seam: Request in, Response out; MockTransport; a transport or a session of the
caller's own; aiohttp's transport: its answer cap, and the connect timeout against a host that
accepts no connection (all on 127.0.0.1)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import aiohttp
import pytest
from aiohttp import web
from support.credentials import TWILIO_ENV
from support.payments import PAYMENT_BODY, UPDATE_PATH, update_arguments
from support.servers import RecordingServer
from yarl import URL

from ocp_twilio import (
    DEFAULT_CONNECT_TIMEOUT,
    AiohttpTransport,
    ConfigurationError,
    MockTransport,
    OCPAgent,
    Request,
    RequestTimeout,
    Response,
    ResponseTooLarge,
    Timeout,
    Transport,
)

REQUEST_ID = "RQ" + "0123456789abcdef" * 2


def get(url: str, *, connect: float | None = 5.0, attempt: float = 30.0) -> Request:
    return Request(
        method="GET",
        url=URL(url),
        headers={"Accept": "application/json"},
        body=None,
        timeout=attempt,
        connect_timeout=connect,
        max_body=1000,
    )


@pytest.fixture
def unanswering_port() -> Iterator[int]:
    """A port on 127.0.0.1 whose listener never accepts and whose backlog is full: a connect
    to it hangs (its SYN is dropped) as one to a dead host does, and is never refused."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):  # a backlog of 0 still queues one or two connections
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    try:
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


async def test_a_dead_host_fails_at_the_connect_timeout_not_the_attempts(
    unanswering_port: int,
) -> None:
    transport = AiohttpTransport()
    try:
        with pytest.raises(RequestTimeout) as caught:
            await transport.send(get(f"http://127.0.0.1:{unanswering_port}/", connect=0.3))
    finally:
        await transport.close()
    assert "connect timeout (0.3 s)" in str(caught.value)
    assert caught.value.nothing_sent  # so the retry policy may send it again, even a POST


async def test_the_agents_timeout_brings_its_connect_bound_to_every_call(
    unanswering_port: int,
) -> None:
    async with OCPAgent(timeout=Timeout(attempt=60, connect=0.3), retries=0) as agent:
        await agent.register_api(
            "twilio", base_url=f"http://127.0.0.1:{unanswering_port}", environ=TWILIO_ENV
        )
        with pytest.raises(RequestTimeout, match=r"within the connect timeout \(0\.3 s\)"):
            await agent.call_tool("updatePayments", update_arguments())


async def test_a_silent_server_fails_at_the_attempt_timeout(silent_server: str) -> None:
    transport = AiohttpTransport()
    try:
        with pytest.raises(RequestTimeout) as caught:
            await transport.send(get(silent_server, attempt=0.3))
    finally:
        await transport.close()
    assert "No complete answer within 0.3 s" in str(caught.value)
    assert not caught.value.nothing_sent  # the request went out: only an idempotent one is retried


def test_timeout_defaults_and_the_float_shorthand() -> None:
    assert Timeout().connect == DEFAULT_CONNECT_TIMEOUT == 5.0
    assert OCPAgent(timeout=12).timeout == Timeout(attempt=12.0, connect=5.0)
    assert OCPAgent().timeout == Timeout()


@pytest.mark.parametrize("bad", [{"connect": 0}, {"attempt": float("inf")}, {"connect": -1}])
def test_timeouts_must_be_positive_and_finite(bad: dict[str, float]) -> None:
    with pytest.raises(ConfigurationError, match=f"Timeout\\({next(iter(bad))}=\\)"):
        Timeout(**bad)


async def test_every_response_header_is_kept_case_insensitively(
    recording_server: RecordingServer,
) -> None:
    def respond(request: web.Request) -> web.Response:
        answer = web.json_response(PAYMENT_BODY, status=202)
        answer.headers["Twilio-Request-Id"] = REQUEST_ID
        answer.headers.add("X-Repeated", "one")
        answer.headers.add("X-Repeated", "two")
        return answer

    recording_server.respond = respond
    transport = AiohttpTransport()
    try:
        response = await transport.send(get(recording_server.url + UPDATE_PATH))
    finally:
        await transport.close()
    assert response.status == 202
    assert response.request_id == REQUEST_ID
    assert response.headers["twilio-request-id"] == REQUEST_ID
    assert response.headers.getall("x-repeated") == ["one", "two"]
    assert response.content_type == "application/json; charset=utf-8"
    assert response.retry_after is None


async def test_a_session_of_the_callers_own_is_used_and_left_open(
    recording_server: RecordingServer,
) -> None:
    async with aiohttp.ClientSession() as session:
        transport = AiohttpTransport(session=session)
        async with OCPAgent(transport=transport) as agent:
            await agent.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)
            assert await agent.call_tool("updatePayments", update_arguments()) == PAYMENT_BODY
        assert not session.closed  # the caller's: the agent did not close it
        assert len(recording_server.requests) == 1
    with pytest.raises(ConfigurationError, match=r"AiohttpTransport\(session=\) is closed"):
        await transport.send(get(recording_server.url))


def test_a_session_and_an_ssl_context_are_not_given_together() -> None:
    import ssl

    with pytest.raises(ConfigurationError, match="session= or ssl_context="):
        AiohttpTransport(session=object(), ssl_context=ssl.create_default_context())  # type: ignore[arg-type]


async def test_mock_transport_answers_with_a_plain_or_an_async_handler() -> None:
    seen: list[str] = []

    def plain(request: Request) -> Response:
        seen.append(request.method)
        return Response.json(202, PAYMENT_BODY, {"Twilio-Request-Id": REQUEST_ID})

    async def coroutine(request: Request) -> Response:
        return Response(400, {"Content-Type": "application/json"}, b'{"code": 21201}')

    for handler in (plain, coroutine):
        transport = MockTransport(handler)
        async with OCPAgent(transport=transport, retries=0) as agent:
            await agent.register_api("twilio", environ=TWILIO_ENV)
            try:
                result = await agent.call_tool("updatePayments", update_arguments())
            except Exception as error:  # the 400 of the coroutine handler
                result = error
        [request] = transport.requests
        assert str(request.url) == "https://api.twilio.com" + UPDATE_PATH
        assert "Authorization" in request.headers
        assert request.timeout == 30.0 and request.connect_timeout == 5.0
        if handler is plain:
            assert result == PAYMENT_BODY and seen == ["POST"]
        else:
            assert getattr(result, "code", None) == 21201


async def test_mock_transport_refuses_an_answer_over_the_cap() -> None:
    transport = MockTransport(lambda request: Response(200, {}, b"x" * 1001))
    with pytest.raises(ResponseTooLarge, match="1001 bytes exceeds the 1000-byte cap"):
        await transport.send(get("https://api.twilio.com/"))


async def test_a_handler_raising_a_transport_error_plays_a_failed_attempt() -> None:
    def fail(request: Request) -> Response:
        raise RequestTimeout("No complete answer within 1 s.")

    async with OCPAgent(transport=MockTransport(fail), retries=0) as agent:
        await agent.register_api("twilio", environ=TWILIO_ENV)
        with pytest.raises(RequestTimeout, match="within 1 s"):
            await agent.call_tool("updatePayments", update_arguments())


def test_a_requests_repr_holds_no_header() -> None:
    request = Request(
        method="POST",
        url=URL("https://api.twilio.com/x?Token=1"),
        headers={"Authorization": "Basic c2VjcmV0"},
        body=b"a=1",
        timeout=30.0,
        connect_timeout=5.0,
        max_body=10,
    )
    assert repr(request) == "<Request POST https://api.twilio.com/x>"


def test_a_request_is_made_by_keyword_only() -> None:
    with pytest.raises(TypeError):
        Request("GET", URL("https://api.twilio.com/"), {}, None, 30.0, 5.0, 10)  # type: ignore[misc]


def test_the_transport_protocol_asks_for_send_and_close_only() -> None:
    """What every transport of a caller's own must have: nothing a test alone would use."""
    assert {name for name in vars(Transport) if not name.startswith("_")} == {"send", "close"}


class _OwnTransport:
    """A caller's own transport, with only what the Transport protocol asks for."""

    async def send(self, request: Request) -> Response:
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                request.method, request.url, headers=request.headers, data=request.body
            ) as answer,
        ):
            return Response(answer.status, answer.headers, await answer.read())

    async def close(self) -> None:
        """Each send closes its own session."""


async def test_a_transport_of_the_callers_own_needs_only_send_and_close(
    recording_server: RecordingServer,
) -> None:
    async with OCPAgent(transport=_OwnTransport()) as agent:
        await agent.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)
        assert await agent.call_tool("updatePayments", update_arguments()) == PAYMENT_BODY
    [sent] = recording_server.requests
    assert (sent.method, sent.path_qs) == ("POST", UPDATE_PATH)


@pytest.mark.parametrize(
    ("size", "chunked", "refusal"),
    [
        (1000, False, None),  # at the cap: read whole
        (1000, True, None),
        (1001, False, "Response body of 1001 bytes exceeds the 1000-byte cap."),  # declared
        (1001, True, "Response body exceeds the 1000-byte cap."),  # counted as it comes
    ],
)
async def test_aiohttp_transport_caps_an_answer_by_its_length_or_as_it_comes(
    recording_server: RecordingServer, size: int, chunked: bool, refusal: str | None
) -> None:
    async def respond(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=200)
        if chunked:
            response.enable_chunked_encoding()
        else:
            response.content_length = size
        await response.prepare(request)
        for start in range(0, size, 100):
            await response.write(b"x" * min(100, size - start))
        await response.write_eof()
        return response

    recording_server.respond = respond
    transport = AiohttpTransport()
    try:
        if refusal is None:
            assert (await transport.send(get(recording_server.url))).body == b"x" * size
        else:
            with pytest.raises(ResponseTooLarge) as caught:
                await transport.send(get(recording_server.url))
            assert str(caught.value) == refusal
        assert transport.connections_in_use == 0
    finally:
        await transport.close()
