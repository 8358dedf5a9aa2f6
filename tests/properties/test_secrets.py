"""The auth token and API secret never show: not in reprs, errors, logs or results."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import traceback
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence, Set
from typing import Any

import pytest
from support.credentials import ACCOUNT_SID, AUTH_TOKEN, TWILIO_ENV
from support.payments import TWILIO_ERROR_404, update_arguments
from support.servers import RecordingServer, closed_port

from ocp_twilio import (
    Credentials,
    MockTransport,
    OCPAgent,
    OCPError,
    Request,
    Response,
    TransportError,
)

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


def captured_locals(error: BaseException) -> list[str]:
    """What an error tracker that records local variables (Sentry's include_local_variables)
    keeps of ``error``: every local of every frame in its traceback and in those of its causes
    and contexts, shown by repr, with mappings and sequences walked as such trackers walk them."""
    shown: list[str] = []
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]
        frame = current.__traceback__
        while frame is not None:
            shown += [text for value in frame.tb_frame.f_locals.values() for text in walked(value)]
            frame = frame.tb_next
    return shown


def walked(value: Any, depth: int = 5) -> Iterable[str]:
    yield repr(value)
    if depth == 0 or isinstance(value, (str, bytes)):
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from walked(key, depth - 1)
            yield from walked(item, depth - 1)
    elif isinstance(value, (Sequence, Set)):
        for item in value:
            yield from walked(item, depth - 1)


def test_captured_locals_would_see_a_header_held_in_a_local() -> None:
    # Control: the walk finds the secret where a frame holds it, in a mapping or a cause's frame.
    def send(headers: Mapping[str, str]) -> None:
        raise OCPError("failed")

    def call() -> None:
        try:
            send({"Authorization": f"Basic {SECRETS[1]}"})
        except OCPError:
            raise ValueError("again") from None

    with pytest.raises(ValueError) as caught:
        call()
    assert any(SECRETS[1] in text for text in captured_locals(caught.value))


class BrokenTransport(MockTransport):
    """Fails every send the way a transport of the user's own might: a TransportError raised
    while handling the lower failure (so that it is the context), or any other exception."""

    def __init__(self, raised: type[Exception]) -> None:
        super().__init__(lambda request: Response(500))
        self.raised = raised

    async def send(self, request: Request) -> Response:
        self.requests.append(request)
        try:
            raise ConnectionResetError("reset by peer")
        except ConnectionResetError:
            raise self.raised("the connection broke")  # noqa: B904  # the context is the point


async def failed_call(agent: OCPAgent) -> BaseException:
    """The exception of a call, caught here: its traceback starts in this frame, not the test's
    (whose recording server holds the header it was sent)."""
    with pytest.raises(Exception) as caught:
        await agent.call_tool("updatePayments", update_arguments())
    return caught.value


@pytest.fixture
async def hanging_up_server() -> AsyncIterator[tuple[str, list[bytes]]]:
    """A TCP server on 127.0.0.1 that reads a request and closes the connection unanswered;
    yields its base URL and the requests' heads."""
    heads: list[bytes] = []

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heads.append(await reader.readuntil(b"\r\n\r\n"))
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", heads
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize(
    "kind",
    [
        "api_error",
        "not_json",
        "too_large",
        "refused",
        "timeout",
        "hung_up",
        "transport_error",
        "other_error",
    ],
)
async def test_no_frame_of_a_failed_call_holds_the_secret_in_its_locals(
    recording_server: RecordingServer,
    silent_server: str,
    hanging_up_server: tuple[str, list[bytes]],
    kind: str,
) -> None:
    base_url = {
        "timeout": silent_server,
        "refused": f"http://127.0.0.1:{closed_port()}",
        "hung_up": hanging_up_server[0],
    }.get(kind, recording_server.url)
    if kind == "api_error":
        recording_server.reply(404, TWILIO_ERROR_404)
    if kind == "not_json":  # a ResponseValidationError whose context is the JSON failure
        recording_server.reply(200, text="<h1>paid</h1>", content_type="application/json")
    if kind == "too_large":
        recording_server.reply(200, text="x" * 5000, content_type="application/json")
    transport = {
        "transport_error": BrokenTransport(TransportError),
        "other_error": BrokenTransport(RuntimeError),
    }.get(kind)
    async with OCPAgent(
        timeout=0.2, retries=0, max_response_bytes=1000, transport=transport
    ) as agent:
        await agent.register_api("twilio", base_url=base_url, environ=TWILIO_ENV)
        error = await failed_call(agent)
    # Control: the secret went to the transport, or on the wire.
    if transport is not None:
        assert SECRETS[1] in transport.requests[0].headers["Authorization"]
    elif kind == "hung_up":
        assert SECRETS[1].encode() in hanging_up_server[1][0]
    elif kind not in ("refused", "timeout"):
        assert SECRETS[1] in recording_server.requests[0].headers["Authorization"]
    assert_no_secret(captured_locals(error))
