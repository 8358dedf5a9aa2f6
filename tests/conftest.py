"""Shared fixtures: test credentials, a real recording HTTP server on 127.0.0.1, an agent on it."""

from __future__ import annotations

import asyncio
import base64
import gc
import inspect
import json
import socket
import subprocess
import sys
import threading
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest.mock import Mock

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestServer
from aioresponses import aioresponses
from aioresponses import core as aioresponses_core
from redis_support import REDIS_SERVER, RedisServer
from yarl import URL

from ocp_twilio import MockTransport, OCPAgent, Request, Response, __version__
from ocp_twilio._config import CACHE_DIR_ENV
from ocp_twilio.sandbox import Sandbox

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "tok-" + "5ecre7" * 5  # a known secret that tests search for in every output
CALL_SID = "CA" + "fedcba9876543210" * 2
PAYMENT_SID = "PK" + "00112233445566778899aabbccddeeff"
TWILIO_ENV = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}
SHARED_OAI = Path(__file__).resolve().parents[2] / "shared" / "twilio-oai"
# OCP's own schemas and a registry entry of its reference client (origin in its README.md).
OCP_DATA = Path(__file__).parent / "data" / "ocp"


def ocp_schema(name: str) -> dict[str, Any]:
    """One of OCP's schemas: ocp-tool.json or ocp-context.json."""
    return dict(json.loads((OCP_DATA / name).read_text(encoding="utf-8")))


# Tools are named ``{service}__{operation}``; the short names still find them while unambiguous.
UPDATE_TOOL = "api_v2010__updatePayments"
CREATE_TOOL = "api_v2010__createPayments"
QUALIFIED = {"updatePayments": UPDATE_TOOL, "createPayments": CREATE_TOOL}
# The payment progress tools, listed with the Pay operations (answered locally).
STATUS_TOOL = "api_v2010__getPaymentStatus"
WAIT_TOOL = "api_v2010__waitForPaymentUpdate"
PAY_TOOLS = [CREATE_TOOL, UPDATE_TOOL, STATUS_TOOL, WAIT_TOOL]

PAYMENT_BODY = {
    "account_sid": ACCOUNT_SID,
    "call_sid": CALL_SID,
    "sid": PAYMENT_SID,
    "date_created": "Wed, 18 Dec 2019 20:02:01 +0000",
    "date_updated": "Wed, 18 Dec 2019 20:02:01 +0000",
    "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{CALL_SID}/Payments/{PAYMENT_SID}.json",
}


def update_arguments(**overrides: Any) -> dict[str, Any]:
    """Valid updatePayments arguments, with overrides (None removes a key)."""
    defaults = {
        "CallSid": CALL_SID,
        "Sid": PAYMENT_SID,
        "IdempotencyKey": "order-42-expiry",
        "StatusCallback": "https://example.com/pay-status",
        "Capture": "expiration-date",
    }
    return _overridden(defaults, overrides)


def create_arguments(**overrides: Any) -> dict[str, Any]:
    """Valid createPayments arguments, with overrides (None removes a key)."""
    defaults = {
        "CallSid": CALL_SID,
        "IdempotencyKey": "order-42-start",
        "StatusCallback": "https://example.com/pay-status",
    }
    return _overridden(defaults, overrides)


def benchmark_json(script: str, *arguments: str) -> Any:
    """What ``benchmarks/{script} --json ARGUMENTS`` prints, decoded."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / script
    command = [sys.executable, str(path), *arguments, "--json"]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def _overridden(defaults: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = {**defaults, **overrides}
    return {k: v for k, v in merged.items() if v is not None}


def assert_default_update_sent(headers: Mapping[str, str], form: list[tuple[str, str]]) -> None:
    """The body and headers that update_arguments() must put on the wire."""
    assert form == [
        ("IdempotencyKey", "order-42-expiry"),
        ("StatusCallback", "https://example.com/pay-status"),
        ("Capture", "expiration-date"),
    ]
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"].startswith(f"ocp-twilio/{__version__} ")
    expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert headers["Authorization"] == f"Basic {expected}"


@dataclass
class Recorded:
    method: str
    path_qs: str
    headers: dict[str, str]
    body: bytes
    # Every header line as received, repeats included.
    raw_headers: tuple[tuple[bytes, bytes], ...] = ()

    @property
    def wire(self) -> bytes:
        """The request line's target, every header line and the body, as received."""
        lines = [self.path_qs.encode(), *(name + b": " + value for name, value in self.raw_headers)]
        return b"\r\n".join([*lines, b"", self.body])

    @property
    def form(self) -> list[tuple[str, str]]:
        from urllib.parse import parse_qsl

        return parse_qsl(self.body.decode(), keep_blank_values=True)


Responder = Callable[[web.Request], Any]


@dataclass
class RecordingServer:
    """A real aiohttp server that records every request and answers with ``respond``.

    ``respond`` returns a web.Response; by default a 202 with a payments resource.
    """

    server: TestServer
    requests: list[Recorded] = field(default_factory=list)
    respond: Responder = field(default=lambda request: web.json_response(PAYMENT_BODY, status=202))

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    def reply(
        self,
        status: int,
        body: Any = None,
        *,
        text: str | None = None,
        content_type: str = "application/json",
    ) -> None:
        """Answer every following request with this status and body."""
        payload = text if text is not None else json.dumps(body) if body is not None else ""
        self.respond = lambda request: web.Response(
            status=status, text=payload, content_type=content_type
        )


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


@asynccontextmanager
async def serve_recording(host: str = "127.0.0.1") -> AsyncIterator[RecordingServer]:
    """A RecordingServer on ``host`` (any 127.0.0.x: a host that is not the registry's)."""
    holder: list[RecordingServer] = []

    async def handle(request: web.Request) -> web.StreamResponse:
        recorder = holder[0]
        body = await request.read()
        headers = dict(request.headers)
        recorder.requests.append(
            Recorded(request.method, request.raw_path, headers, body, request.raw_headers)
        )
        response = recorder.respond(request)
        return await response if hasattr(response, "__await__") else response

    app = web.Application()
    # [\s\S]: the decoded path may hold a newline (%0A), which "." would not match.
    app.router.add_route("*", r"/{tail:[\s\S]*}", handle)
    server = TestServer(app, host=host)
    await server.start_server()
    holder.append(RecordingServer(server))
    try:
        yield holder[0]
    finally:
        await server.close()


@pytest.fixture
async def recording_server() -> AsyncIterator[RecordingServer]:
    async with serve_recording() as server:
        yield server


@pytest.fixture
async def agent(recording_server: RecordingServer) -> AsyncIterator[OCPAgent]:
    async with OCPAgent() as ocp_agent:
        await ocp_agent.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)
        yield ocp_agent


async def growth_between(*rounds: Callable[[], Awaitable[object]]) -> int:
    """The bytes Python still holds after the last of ``rounds`` beyond those after the first
    (run a round before, so that pools and caches are full)."""
    tracemalloc.start()
    try:
        kept = []
        for one_round in rounds:
            await one_round()
            gc.collect()
            kept.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    return kept[-1] - kept[0]


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


# --- shared by the core's test modules -------------------------------------------------------

TWILIO_API = "https://api.twilio.com"
UPDATE_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{CALL_SID}/Payments/{PAYMENT_SID}.json"
CREATE_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{CALL_SID}/Payments.json"
TWILIO_ERROR_404 = {
    "code": 20404,
    "message": "The requested resource was not found",
    "more_info": "https://www.twilio.com/docs/errors/20404",
    "status": 404,
}

# A spec of the project's format with what the Payments specs lack: a free-text path segment
# (to see quoting at work) and array arguments (repeated form and query pairs).
THINGS_SPEC = """
api: twilio
operations:
  - name: updateThing
    method: POST
    path: /v1/Things/{Name}.json
    parameters:
      - {name: Name, in: path, required: true, schema: {type: string}}
      - {name: Tag, in: query, schema: {type: array, items: {type: string}}}
      - {name: Color, in: body, schema: {type: array, items: {type: string}}}
      - {name: Count, in: body, schema: {type: integer}}
    response: {status: 200, schema: {type: object}}
"""


@dataclass
class SentRequest:
    """One request as sent: through a MockTransport, or intercepted by aioresponses."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None

    @property
    def form(self) -> list[tuple[str, str]]:
        from urllib.parse import parse_qsl

        return parse_qsl((self.body or b"").decode(), keep_blank_values=True)


def sent_requests(wire: Wire) -> list[SentRequest]:
    """Every request sent through ``wire``, in the order they were made."""
    return [
        SentRequest(r.method, str(r.url), dict(r.headers), r.body) for r in wire.transport.requests
    ]


class Wire:
    """A MockTransport giving one canned answer (202 and the payment by default) to every
    request, or raising a canned failure; its ``requests`` are what was sent."""

    def __init__(self) -> None:
        self.answer = Response.json(202, PAYMENT_BODY)
        self.failure: Exception | None = None
        self.transport = MockTransport(self._handle)

    def reply(
        self, status: int, payload: Any = None, *, body: bytes | None = None, **headers: str
    ) -> None:
        """Answer every following request with ``payload`` as JSON, or ``body`` as given."""
        if body is None:
            self.answer = Response.json(status, payload, headers)
        else:
            self.answer = Response(status, headers, body)

    def _handle(self, request: Request) -> Response:
        if self.failure is not None:
            raise self.failure
        return self.answer


@pytest.fixture
def wire() -> Wire:
    return Wire()


@pytest.fixture
async def wire_agent(wire: Wire) -> AsyncIterator[OCPAgent]:
    """An agent on Twilio's default host whose requests go to ``wire`` (a MockTransport).

    It makes one attempt per call: these tests are about request shape and error mapping; retries
    have tests/test_faults.py, against a real server.
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
    have tests/test_faults.py, against a real server.
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


@contextmanager
def served_in_a_thread(app: web.Application) -> Iterator[str]:
    """A real server on its own loop, for the CLI, which runs its own loop in the foreground."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    host, port = runner.addresses[0][:2]
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    try:
        yield f"http://{host}:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def closed_port() -> int:
    """A local port nothing listens on (bound once, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


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


@dataclass
class RegistryServer:
    """OCP's registry API on 127.0.0.1, under a path prefix as public registries have."""

    url: str = ""
    entries: dict[str, Any] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    answer: web.Response | None = None

    async def entry(self, request: web.Request) -> web.Response:
        self.paths.append(request.path_qs)
        self.headers.append(dict(request.headers))
        if self.answer is not None:
            return self.answer
        name = request.match_info["name"]
        if name not in self.entries:
            return web.json_response({"error": "not found"}, status=404)
        return web.json_response(self.entries[name])

    async def search(self, request: web.Request) -> web.Response:
        self.paths.append(request.path_qs)
        names = [n for n in self.entries if request.query["q"][:3] in n]
        return web.json_response({"results": [{"name": n} for n in names]})


@pytest.fixture
async def registry_server() -> AsyncIterator[RegistryServer]:
    registry = RegistryServer()
    app = web.Application()
    app.router.add_get("/api/v1/registry/{name}", registry.entry)
    app.router.add_get("/api/v1/search", registry.search)
    async with TestServer(app, host="127.0.0.1") as server:
        registry.url = str(server.make_url("/api/v1"))
        yield registry
