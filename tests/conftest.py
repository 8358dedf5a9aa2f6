"""Shared fixtures: an isolated cache, a real recording HTTP server on 127.0.0.1, agents on it, on
a MockTransport, on aioresponses and on the sandbox, redis-server, and OCP's registry API.

What the tests share besides fixtures is in tests/support/."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from unittest.mock import Mock

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestServer
from aioresponses import aioresponses
from aioresponses import core as aioresponses_core
from support.credentials import TWILIO_ENV
from support.oauth import TokenServer
from support.redis_server import REDIS_SERVER, RedisServer
from support.servers import RecordingServer, RegistryServer, serve_recording
from support.wire import Wire
from yarl import URL

from ocp_twilio import OCPAgent
from ocp_twilio._config import CACHE_DIR_ENV
from ocp_twilio.sandbox import Sandbox


@pytest.fixture(autouse=True)
def isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test gets its own empty user cache: nothing synced, no catalog from elsewhere.

    An ``environ=`` given to register_api stands for the whole environment, the cache directory
    included: TWILIO_ENV names it, and a mapping that does not falls back to the user cache
    directory, which XDG_CACHE_HOME puts under the test's own folder too."""
    root = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv(CACHE_DIR_ENV, str(root))
    monkeypatch.setitem(TWILIO_ENV, CACHE_DIR_ENV, str(root))
    monkeypatch.setenv("XDG_CACHE_HOME", str(root / "user-cache"))
    return root


@pytest.fixture
async def recording_server() -> AsyncIterator[RecordingServer]:
    async with serve_recording() as server:
        yield server


@pytest.fixture
async def token_server(recording_server: RecordingServer) -> TokenServer:
    """The recording server playing Twilio's OAuth token endpoint and an API that takes its
    access tokens."""
    return TokenServer(recording_server)


@pytest.fixture
async def agent(recording_server: RecordingServer) -> AsyncIterator[OCPAgent]:
    async with OCPAgent() as ocp_agent:
        await ocp_agent.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)
        yield ocp_agent


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A fresh redis-server for the test, stopped (by its pid) at teardown."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; .ci/run does)")
    # Persistence on: the restart and outage tests stop the server and start it again.
    server = RedisServer(tmp_path / "redis", appendonly=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def wire() -> Wire:
    return Wire()


@pytest.fixture
async def wire_agent(wire: Wire) -> AsyncIterator[OCPAgent]:
    """An agent on Twilio's default host whose requests go to ``wire`` (a MockTransport).

    It makes one attempt per call: these tests are about request shape and error mapping; retries
    have tests/properties/test_faults.py, against a real server.
    """
    async with OCPAgent(retries=0, transport=wire.transport) as ocp_agent:
        await ocp_agent.register_api("twilio", environ=TWILIO_ENV)
        yield ocp_agent


class _ResponseWithStreamWriter(ClientResponse):
    """aiohttp 3.14 made ``stream_writer`` required; aioresponses 0.7.x does not pass it yet
    (pnuckowski/aioresponses#289), so its canned responses get a stand-in."""

    def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", Mock(output_size=0))
        super().__init__(method, url, **kwargs)


@pytest.fixture
def mocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[aioresponses]:
    """aioresponses: nothing reaches the network, every request is recorded."""
    if "stream_writer" in inspect.signature(ClientResponse.__init__).parameters:
        monkeypatch.setattr(aioresponses_core, "ClientResponse", _ResponseWithStreamWriter)
    with aioresponses() as mock:
        yield mock


@pytest.fixture
async def mocked_agent(mocked: aioresponses) -> AsyncIterator[OCPAgent]:
    """An agent on Twilio's default host, with aioresponses in front of it.

    It makes one attempt per call: these tests are about request shape and error mapping; retries
    have tests/properties/test_faults.py, against a real server.
    """
    # aioresponses intercepts aiohttp's client only.
    async with OCPAgent(retries=0) as ocp_agent:
        await ocp_agent.register_api("twilio", environ=TWILIO_ENV)
        yield ocp_agent


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """A TCP server on 127.0.0.1 that accepts requests and never answers; yields its base URL."""
    writers: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        while await reader.read(65536):
            pass

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """The embedded Twilio Payments sandbox on 127.0.0.1, fresh credentials each time."""
    async with Sandbox() as running:
        yield running


@pytest.fixture
async def sandbox_agent(sandbox: Sandbox) -> AsyncIterator[OCPAgent]:
    """An agent pointed at the sandbox; responses must match the operations' schemas."""
    async with OCPAgent(response_validation="strict") as ocp_agent:
        await ocp_agent.register_api("twilio", environ=sandbox.environ())
        yield ocp_agent


@pytest.fixture
async def registry_server() -> AsyncIterator[RegistryServer]:
    registry = RegistryServer()
    app = web.Application()
    app.router.add_get("/api/v1/registry/{name}", registry.entry)
    app.router.add_get("/api/v1/search", registry.search)
    async with TestServer(app, host="127.0.0.1") as server:
        registry.url = str(server.make_url("/api/v1"))
        yield registry
