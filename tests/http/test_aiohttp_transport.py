"""The transport: no secret in an error's causes, proxies from the environment, one agent across
several ``asyncio.run``s. Real servers on 127.0.0.1 throughout (a proxy too)."""

from __future__ import annotations

import asyncio
import gc
import json
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from support.credentials import AUTH_TOKEN, TWILIO_ENV
from support.payments import PAYMENT_BODY, update_arguments
from support.secret_scan import assert_no_secrets
from support.servers import RecordingServer, served_in_a_thread

from ocp_twilio import AiohttpTransport, ConfigurationError, OCPAgent, TransportError

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY")


def chain(error: BaseException) -> list[BaseException]:
    """The error, its causes and contexts: all that a traceback or a log handler may show."""
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


@pytest.mark.parametrize(
    "answer",
    [b"HTTP/1.1 2x0 OK\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", b"\x16\x03\x01"],
    ids=["bad status", "bad length", "tls"],
)
async def test_a_malformed_answer_leaves_no_secret_in_the_error_or_its_causes(
    answer: bytes,
) -> None:
    async def reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(reply, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with OCPAgent(retries=0) as agent:
            await agent.register_api(
                "twilio", base_url=f"http://127.0.0.1:{port}", environ=TWILIO_ENV
            )
            with pytest.raises(TransportError) as caught:
                await agent.call_tool("updatePayments", update_arguments())
    finally:
        server.close()
        await server.wait_closed()
    # aiohttp's exception holds the Authorization header in its request_info: it must be gone.
    assert chain(caught.value) == [caught.value]
    shown = [str(caught.value), repr(caught.value), repr(vars(caught.value))]
    assert_no_secrets(shown)
    assert AUTH_TOKEN not in "".join(shown)


def test_one_agent_serves_one_asyncio_run_after_another() -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.02)  # so that calls queue on the in-flight cap
        return web.json_response(PAYMENT_BODY, status=202)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", slow)
    agent = OCPAgent(max_in_flight=1)

    async def three_calls() -> list[object]:
        calls = (agent.call_tool("updatePayments", update_arguments()) for _ in range(3))
        return list(await asyncio.gather(*calls))

    with served_in_a_thread(app) as url:
        asyncio.run(agent.register_api("twilio", base_url=url, environ=TWILIO_ENV))
        with warnings.catch_warnings():
            # Each run but the last ends with its connections open (not closed by the caller);
            # their warnings are the caller's to see, not what this test is about.
            warnings.simplefilter("ignore", ResourceWarning)
            results = [asyncio.run(three_calls()) for _ in range(3)]
            asyncio.run(agent.aclose())
            gc.collect()  # the earlier runs' sessions, while their warnings are ignored
    assert results == [[PAYMENT_BODY] * 3] * 3


@dataclass
class Proxy:
    """An HTTP proxy on 127.0.0.1 that answers every request itself and records its target."""

    url: str = ""
    targets: list[str] = field(default_factory=list)


@pytest.fixture
async def proxy() -> AsyncIterator[Proxy]:
    recorded = Proxy()

    async def answer(request: web.Request) -> web.Response:
        # A proxied request names its target host in Host, not the proxy's own.
        recorded.targets.append(f"{request.headers['Host']}{request.path}")
        return web.json_response(PAYMENT_BODY, status=202)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    async with TestServer(app, host="127.0.0.1") as server:
        recorded.url = str(server.make_url("")).rstrip("/")
        yield recorded


@pytest.fixture
def proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("no_proxy", "trust_env", "via_proxy"),
    [
        (None, True, True),  # loopback too goes through the proxy unless NO_PROXY names it
        ("127.0.0.1", True, False),
        ("example.com,127.0.0.1", True, False),
        ("example.com", True, True),
        (None, False, False),
    ],
)
async def test_the_proxy_of_the_environment_is_used(
    proxy: Proxy,
    proxy_env: pytest.MonkeyPatch,
    recording_server: RecordingServer,
    no_proxy: str | None,
    trust_env: bool,
    via_proxy: bool,
) -> None:
    proxy_env.setenv("HTTP_PROXY", proxy.url)
    if no_proxy is not None:
        proxy_env.setenv("NO_PROXY", no_proxy)
    async with OCPAgent(transport=AiohttpTransport(trust_env=trust_env)) as agent:
        await agent.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)
        for _ in range(2):
            assert await agent.call_tool("updatePayments", update_arguments()) == PAYMENT_BODY
    target = recording_server.url.removeprefix("http://")
    assert len(proxy.targets) == (2 if via_proxy else 0)
    assert all(t.startswith(f"{target}/2010-04-01/") for t in proxy.targets)
    assert len(recording_server.requests) == (0 if via_proxy else 2)


async def test_a_proxy_given_to_the_transport_wins_over_the_environment(
    proxy: Proxy, proxy_env: pytest.MonkeyPatch, recording_server: RecordingServer
) -> None:
    proxy_env.setenv("NO_PROXY", "*")
    async with OCPAgent(transport=AiohttpTransport(proxy=proxy.url)) as agent:
        await agent.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)
        await agent.call_tool("updatePayments", update_arguments())
    assert len(proxy.targets) == 1
    assert recording_server.requests == []


@pytest.mark.parametrize("proxy_url", ["ftp://proxy.example", "https://proxy.example:3128", "::"])
def test_a_bad_proxy_is_a_configuration_error(proxy_url: str) -> None:
    with pytest.raises(ConfigurationError, match="must be an http:// URL"):
        AiohttpTransport(proxy=proxy_url)


@dataclass
class TwoAnswerServer:
    """A raw HTTP/1.1 server on 127.0.0.1 that answers its first request twice: the stray
    second answer goes in the same write, or once the client has read the first (its connection
    then idle in the pool). Every other request gets one answer, its number in the body."""

    same_write: bool
    connections: int = 0
    requests: int = 0
    first_read: asyncio.Event = field(default_factory=asyncio.Event)
    stray_sent: asyncio.Event = field(default_factory=asyncio.Event)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.lower().split(b"\r\n")
                    if line.startswith(b"content-length:")
                )
                await reader.readexactly(length)
                self.requests += 1
                writer.write(answer(self.requests))
                if self.requests == 1:
                    if not self.same_write:
                        await writer.drain()
                        await self.first_read.wait()
                    writer.write(answer(0))  # the stray
                    self.stray_sent.set()
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


def answer(number: int) -> bytes:
    body = json.dumps({**PAYMENT_BODY, "sid": f"PK{number:032x}"}).encode()
    head = f"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
    return head.encode() + b"\r\n\r\n" + body


@pytest.mark.parametrize("same_write", [True, False], ids=["in one write", "while idle"])
async def test_a_stray_second_answer_never_reaches_the_next_call(same_write: bool) -> None:
    server = TwoAnswerServer(same_write)
    listening = await asyncio.start_server(server.serve, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    try:
        async with OCPAgent(retries=0) as agent:
            await agent.register_api(
                "twilio", base_url=f"http://127.0.0.1:{port}", environ=TWILIO_ENV
            )
            first = await agent.call_tool("updatePayments", update_arguments())
            server.first_read.set()
            await server.stray_sent.wait()
            await asyncio.sleep(0.05)  # lets the stray reach the idle connection (not a bound)
            second = await agent.call_tool("updatePayments", update_arguments())
            third = await agent.call_tool("updatePayments", update_arguments())
    finally:
        listening.close()
        await listening.wait_closed()
    assert [first["sid"], second["sid"], third["sid"]] == [f"PK{n:032x}" for n in (1, 2, 3)]
    # The connection that held the stray was closed, not reused; the new one was reused.
    assert server.connections == 2


async def test_a_connection_without_stray_data_is_reused(
    recording_server: RecordingServer,
) -> None:
    connections: set[object] = set()
    recording_server.respond = lambda request: (
        connections.add(request.transport),
        web.json_response(PAYMENT_BODY, status=202),
    )[1]
    async with OCPAgent() as agent:
        await agent.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)
        for _ in range(3):
            await agent.call_tool("updatePayments", update_arguments())
    assert len(recording_server.requests) == 3 and len(connections) == 1
