"""The lean HTTP/1.1 transport end to end, against real servers on 127.0.0.1.

Most tests talk to ``RawServer``, an asyncio server that reads each request and answers with the
exact bytes a test scripts, so that framings, broken answers and closes can be set up precisely,
and that sees when the client closes a connection. Where both transports should agree, the test
runs on both (the ``transport`` fixture of conftest).
"""

from __future__ import annotations

import asyncio
import gc
import json
import ssl
import struct
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socket import SO_LINGER, SOL_SOCKET
from threading import Thread
from typing import Any
from urllib.parse import parse_qsl

import pytest
import trustme
from conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CREATE_PATH,
    PAYMENT_BODY,
    TWILIO_ENV,
    UPDATE_PATH,
    RecordingServer,
    assert_default_update_sent,
    closed_port,
    create_arguments,
    header_spec,
    update_arguments,
)
from yarl import URL

from ocp_twilio import (
    USER_AGENT,
    ConfigurationError,
    InvalidArguments,
    OCPAgent,
    OCPError,
    RequestTimeout,
    ResponseTooLarge,
    RetryPolicy,
    TransportError,
)
from ocp_twilio.http1 import MAX_HEAD_BYTES, Http1Transport, _request_message
from ocp_twilio.transport import Answer, TransportName

FIXTURES = Path(__file__).parent / "fixtures" / "openapi"
UNKEYED_SPEC = Path(__file__).parent / "specs" / "unkeyed.yaml"
WIDGET_SID = "WG" + "ab" * 16
MAX_BODY = 1024
# Far beyond anything a passing test waits for: reaching it means a hang.
HANG_LIMIT = 5.0
FAST_RETRIES = RetryPolicy(max_retries=2, backoff_base=0.01, backoff_max=0.02, deadline=5.0)

# After the bytes of a reply, the server: reads the next request ("keep"), closes the connection
# ("close"), aborts it ("abort": a close without flushing), resets it ("reset": RST), or sends
# nothing more and waits for the client to go ("hold").
Then = str
Reply = tuple[bytes, Then]


def answer(
    body: bytes = b"{}",
    *,
    status: str = "200 OK",
    headers: Mapping[str, str] | None = None,
    length: bool = True,
) -> bytes:
    """An HTTP/1.1 answer's bytes; ``length=False`` leaves out Content-Length."""
    head = [f"HTTP/1.1 {status}", "Content-Type: application/json"]
    head += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if length:
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def chunked(*chunks: bytes, trailer: bytes = b"") -> bytes:
    """Chunked answer bytes: each chunk with its size line, the last one, trailer fields."""
    head = answer(headers={"Transfer-Encoding": "chunked"}, length=False)[: -len(b"{}")]
    body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
    return head + body + b"0\r\n" + trailer + b"\r\n"


OK: Reply = (answer(), "keep")
PAYMENT_ANSWER = answer(json.dumps(PAYMENT_BODY).encode(), status="202 Accepted")


@dataclass
class Seen:
    """One request as it reached the server: on which connection, its head and body bytes."""

    connection: int
    head: bytes
    body: bytes

    @property
    def request_line(self) -> str:
        return self.head.split(b"\r\n", 1)[0].decode()

    @property
    def headers(self) -> list[tuple[str, str]]:
        """(lower-case name, value) of every header line, repeats included."""
        lines = self.head.decode("utf-8", "surrogateescape").split("\r\n")[1:]
        pairs = [line.split(":", 1) for line in lines if line]
        return [(name.strip().lower(), value.strip()) for name, value in pairs]

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key == name.lower()]
        assert len(values) <= 1, f"{name} sent {len(values)} times"
        return values[0] if values else None


Respond = Callable[[Seen], Awaitable[Reply]]


@dataclass
class RawServer:
    """Answers every request with what ``respond`` returns; records requests and client closes."""

    respond: Respond
    seen: list[Seen] = field(default_factory=list)
    # One per connection, in the order they were accepted: set once the client has closed it.
    ended: list[asyncio.Event] = field(default_factory=list)
    writers: list[asyncio.StreamWriter] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    url: str = ""

    @property
    def connections(self) -> int:
        return len(self.ended)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        index = len(self.ended)
        ended = asyncio.Event()
        self.ended.append(ended)
        self.writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                seen = Seen(index, head, b"")
                seen.body = await reader.readexactly(int(seen.header("content-length") or 0))
                self.seen.append(seen)
                data, then = await self.respond(seen)
                writer.write(data)
                await writer.drain()
                if then == "close":
                    writer.close()
                    return
                if then == "abort":
                    writer.transport.abort()
                    return
                if then == "reset":  # linger 0: the close sends RST, not FIN
                    linger = struct.pack("ii", 1, 0)
                    writer.get_extra_info("socket").setsockopt(SOL_SOCKET, SO_LINGER, linger)
                    writer.transport.abort()
                    return
                if then == "hold":
                    while await reader.read(65536):
                        pass
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed (or reset) the connection
        ended.set()

    async def closed_by_client(self, connection: int) -> bool:
        """Whether the client closes this connection (waiting up to HANG_LIMIT for it)."""
        with suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.ended[connection].wait(), HANG_LIMIT)
        return self.ended[connection].is_set()


def always(*replies: Reply) -> Respond:
    """Each request gets the next reply; when they run out, the last one again."""
    queue = list(replies)

    async def respond(seen: Seen) -> Reply:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return respond


@asynccontextmanager
async def raw_server(
    respond: Respond, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[RawServer]:
    raw = RawServer(respond)
    server = await asyncio.start_server(raw.serve, "127.0.0.1", 0, ssl=ssl_context)
    port = server.sockets[0].getsockname()[1]
    raw.url = f"{'https' if ssl_context else 'http'}://127.0.0.1:{port}"
    try:
        yield raw
    finally:
        for writer in raw.writers:
            writer.close()
        server.close()
        await server.wait_closed()
        if raw.tasks:
            await asyncio.wait(raw.tasks, timeout=HANG_LIMIT)


@pytest.fixture
async def http1() -> AsyncIterator[Http1Transport]:
    transport = Http1Transport(4)
    try:
        yield transport
    finally:
        await transport.close()


async def send(
    transport: Http1Transport,
    server: RawServer,
    *,
    method: str = "GET",
    path: str = "/x",
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 2.0,
    max_body: int = MAX_BODY,
) -> Answer:
    """One exchange; a call still running after HANG_LIMIT fails the test."""
    url = URL(server.url + path, encoded=True)
    return await asyncio.wait_for(
        transport.send(method, url, headers or {}, body, timeout, max_body), HANG_LIMIT
    )


async def until(condition: Callable[[], object]) -> None:
    """Wait for ``condition`` to hold; failing the test if it still does not after HANG_LIMIT."""
    for _ in range(int(HANG_LIMIT / 0.005)):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the condition never came true")


async def failure(call: Awaitable[Any]) -> OCPError:
    with pytest.raises(OCPError) as caught:
        await call
    return caught.value


@contextmanager
def loop_errors() -> Iterator[list[str]]:
    """What the event loop reports through its exception handler (callbacks that raised)."""
    reports: list[str] = []
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _, context: reports.append(str(context.get("message"))))
    try:
        yield reports
    finally:
        loop.set_exception_handler(previous)


@contextmanager
def resource_warnings() -> Iterator[list[str]]:
    """ResourceWarnings of the block, garbage collected before it ends."""
    reports: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield reports
        gc.collect()
    reports.extend(str(w.message) for w in caught if issubclass(w.category, ResourceWarning))


# --- the same request on the wire from both transports ---------------------------------------

# Headers whose presence and value must not depend on the transport.
MATTERING = ("authorization", "accept", "user-agent", "content-type", "content-length", "host")

HEADER_SPEC = header_spec("Authorization", "User-Agent", "X-Trace", query=("Kind",))

# (api, tool, arguments): curated Payments tools, imported OpenAPI tools (form, query, header,
# JSON bodies, DELETE) and a spec with header arguments that may not replace the agent's own.
WIRE_CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("twilio", "createPayments", create_arguments(Description="Café order #42 & more")),
    ("twilio", "updatePayments", update_arguments()),
    (
        "fixture",
        "createWidget",
        {"Color": "red", "Parameter": {"mode": "ach"}, "Labels": ["a", "b"], "Enabled": True},
    ),
    (
        "fixture",
        "listWidget",
        {"DateCreatedBefore": "2024-05-01T00:00:00Z", "Tag": ["x", "y z"], "PageSize": 5},
    ),
    ("fixture", "deleteWidget", {"Sid": WIDGET_SID, "Force": True, "If-Match": "etag-1"}),
    ("fixture", "updateWidget", {"Sid": WIDGET_SID, "Settings": {"size": 3}, "Note": None}),
    (
        "things",
        "fetchThing",
        {"Authorization": "Bearer model", "User-Agent": "x", "X-Trace": "t1", "Kind": "a&b"},
    ),
]


async def wire_of(server: RawServer, transport: TransportName, spec: Path) -> list[Seen]:
    """What the server sees of WIRE_CALLS made by an agent on ``transport``."""
    before = len(server.seen)
    async with OCPAgent(transport=transport, retries=0) as agent:
        await agent.register_api("twilio", base_url=server.url, environ=TWILIO_ENV)
        await agent.register_api("fixture", spec=FIXTURES, base_url=server.url, environ=TWILIO_ENV)
        await agent.register_api("things", spec=spec, base_url=server.url, environ=TWILIO_ENV)
        for api, tool, arguments in WIRE_CALLS:
            await agent.call_tool(tool, arguments, api=api)
        assert agent.transport.connections_in_use == 0
    return server.seen[before:]


def mattering(seen: Seen) -> list[tuple[str, str]]:
    """The headers that matter, sorted; a Content-Length of 0 on a DELETE counts as none.

    aiohttp sends ``Content-Length: 0`` with a DELETE that has no body, http1 sends none (RFC 9110
    8.6: not for a method that does not anticipate content); to a server both mean no body.
    """
    extra = ("if-match", "x-trace")
    pairs = [(k, v) for k, v in seen.headers if k in MATTERING or k in extra]
    if seen.request_line.startswith("DELETE ") and ("content-length", "0") in pairs:
        pairs.remove(("content-length", "0"))
    return sorted(pairs)


async def test_both_transports_put_the_same_requests_on_the_wire(tmp_path: Path) -> None:
    spec = tmp_path / "headers.yaml"
    spec.write_text(HEADER_SPEC)

    async def respond(seen: Seen) -> Reply:
        return (PAYMENT_ANSWER if "/Payments" in seen.request_line else answer()), "keep"

    async with raw_server(respond) as server:
        by_aiohttp = await wire_of(server, "aiohttp", spec)
        by_http1 = await wire_of(server, "http1", spec)
        url = server.url

    assert len(by_http1) == len(by_aiohttp) == len(WIRE_CALLS)
    for ours, theirs in zip(by_http1, by_aiohttp, strict=True):
        assert ours.request_line == theirs.request_line
        assert mattering(ours) == mattering(theirs)
        assert ours.body == theirs.body
        # Nothing aiohttp would not send either (aiohttp adds Accept-Encoding).
        assert {k for k, _ in ours.headers} <= {k for k, _ in theirs.headers}
    # One kept-alive connection served every call.
    assert len({seen.connection for seen in by_http1}) == 1

    # And what both sent is right, not merely the same.
    create, update, form, listing, delete, put, things = by_http1
    host = URL(url).raw_host
    assert create.request_line == f"POST {CREATE_PATH} HTTP/1.1"
    assert ("Description", "Café order #42 & more") in parse_qsl(create.body.decode())
    assert update.request_line == f"POST {UPDATE_PATH} HTTP/1.1"
    headers = dict(update.headers)
    update_headers = {
        "Content-Type": headers["content-type"],
        "Accept": headers["accept"],
        "User-Agent": headers["user-agent"],
        "Authorization": headers["authorization"],
    }
    assert_default_update_sent(update_headers, parse_qsl(update.body.decode()))
    assert update.header("host") == f"{host}:{URL(url).port}"
    assert update.header("content-length") == str(len(update.body))
    assert form.header("content-type") == "application/x-www-form-urlencoded"
    assert listing.request_line == (
        f"GET /v1/Accounts/{ACCOUNT_SID}/Widgets.json"
        "?DateCreated%3C=2024-05-01T00:00:00Z&Tag=x&Tag=y+z&PageSize=5 HTTP/1.1"
    )
    assert (listing.header("content-length"), listing.body) == (None, b"")
    assert delete.request_line.startswith("DELETE ") and "?Force=true " in delete.request_line
    assert delete.header("if-match") == "etag-1"
    assert (delete.header("content-length"), delete.body) == (None, b"")
    assert put.header("content-type") == "application/json"
    assert json.loads(put.body) == {"Settings": {"size": 3}, "Note": None}
    assert things.request_line == "GET /v1/Thing.json?Kind=a%26b HTTP/1.1"
    assert things.header("x-trace") == "t1"
    assert things.header("user-agent") == USER_AGENT
    assert things.header("authorization") == update.header("authorization")
    assert AUTH_TOKEN not in things.head.decode()  # sent only base64-encoded, as Basic


def test_host_header_leaves_out_the_default_port() -> None:
    def host_of(url: str) -> bytes:
        message = _request_message("GET", URL(url), {}, None)
        return message.split(b"\r\n")[1]

    assert host_of("https://api.twilio.com/x") == b"Host: api.twilio.com"
    assert host_of("http://api.twilio.com/x") == b"Host: api.twilio.com"
    assert host_of("https://api.twilio.com:8443/x") == b"Host: api.twilio.com:8443"
    assert host_of("http://[::1]:8080/x") == b"Host: [::1]:8080"


@pytest.mark.parametrize(
    ("method", "body", "length"),
    [("GET", None, None), ("DELETE", None, None), ("POST", None, b"0"), ("PUT", b"ab", b"2")],
)
def test_content_length_is_sent_with_a_body_or_for_methods_that_carry_one(
    method: str, body: bytes | None, length: bytes | None
) -> None:
    message = _request_message(method, URL("http://h/x"), {}, body)
    head, _, sent = message.partition(b"\r\n\r\n")
    lengths = [line[16:] for line in head.split(b"\r\n") if line.startswith(b"Content-Length: ")]
    assert lengths == ([length] if length is not None else [])
    assert sent == (body or b"")


# --- TLS -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture(scope="module")
def client_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@asynccontextmanager
async def tls_agent(
    server: RawServer, ssl_context: ssl.SSLContext | None
) -> AsyncIterator[OCPAgent]:
    """An http1 agent on ``server``; its transport trusts ``ssl_context`` (None: the system)."""
    transport = Http1Transport(25, ssl_context=ssl_context)
    async with OCPAgent(transport=transport, retries=0) as agent:
        assert agent.transport is transport
        await agent.register_api("twilio", base_url=server.url, environ=TWILIO_ENV)
        yield agent


async def test_tls_with_a_trusted_test_ca(
    server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
) -> None:
    async with raw_server(always((PAYMENT_ANSWER, "keep")), server_tls) as server:
        assert server.url.startswith("https://")
        async with tls_agent(server, client_tls) as agent:
            assert await agent.call_tool("updatePayments", update_arguments()) == PAYMENT_BODY
            assert await agent.call_tool("updatePayments", update_arguments()) == PAYMENT_BODY
            assert agent.transport.connections_in_use == 0
        [first, second] = server.seen
        assert first.request_line == f"POST {UPDATE_PATH} HTTP/1.1"
        assert first.connection == second.connection == 0  # kept alive over TLS too
        assert await server.closed_by_client(0)  # aclose ended it


async def test_tls_refused_by_the_system_trust_store(server_tls: ssl.SSLContext) -> None:
    # The server's side of the failed handshake is reported to the loop: kept out of the output.
    with loop_errors():
        async with raw_server(always(OK), server_tls) as server, tls_agent(server, None) as agent:
            error = await failure(agent.call_tool("updatePayments", update_arguments()))
            assert agent.transport.connections_in_use == 0

    assert type(error) is TransportError
    assert error.nothing_sent
    assert "CERTIFICATE_VERIFY_FAILED" in str(error)
    assert isinstance(error.__cause__, ssl.SSLCertVerificationError)
    assert server.seen == []


async def test_tls_refuses_a_certificate_for_another_host(
    ca: trustme.CA, client_tls: ssl.SSLContext
) -> None:
    elsewhere = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("twilio.example").configure_cert(elsewhere)
    transport = Http1Transport(2, ssl_context=client_tls)
    with loop_errors():
        async with raw_server(always(OK), elsewhere) as server:
            error = await failure(send(transport, server))
            await transport.close()

    assert type(error) is TransportError and error.nothing_sent
    assert isinstance(error.__cause__, ssl.SSLCertVerificationError)
    assert server.seen == []


async def test_aclose_closes_tls_connections_without_resource_warnings(
    server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
) -> None:
    with resource_warnings() as reports:
        async with raw_server(always(OK), server_tls) as server:
            transport = Http1Transport(4, ssl_context=client_tls)
            await asyncio.gather(*(send(transport, server, path=f"/{i}") for i in range(3)))
            assert server.connections == 3
            await transport.close()
            assert all([await server.closed_by_client(i) for i in range(3)])
            del transport

    assert reports == []


# --- framing ---------------------------------------------------------------------------------


async def test_chunked_answer(http1: Http1Transport) -> None:
    reply = chunked(b'{"a": ', b"[1, 2]", b"}", trailer=b"X-Checksum: 1\r\n")
    async with raw_server(always((reply, "keep"))) as server:
        first = await send(http1, server)
        second = await send(http1, server)

    assert first == second == Answer(200, b'{"a": [1, 2]}', "application/json", None)
    assert [seen.connection for seen in server.seen] == [0, 0]  # its end is known: reused


@pytest.mark.parametrize(
    "framing",
    [{}, {"Transfer-Encoding": "identity"}],
    ids=["no length, no chunks", "transfer coding not chunked"],
)
async def test_answer_ended_by_the_connection(
    http1: Http1Transport, framing: dict[str, str]
) -> None:
    reply = answer(b'{"long": "' + b"x" * 3000 + b'"}', headers=framing, length=False)
    async with raw_server(always((reply, "close"))) as server:
        first = await send(http1, server, max_body=len(reply))
        second = await send(http1, server, max_body=len(reply))

    assert first.status == 200
    assert json.loads(first.body) == {"long": "x" * 3000}
    assert second == first
    assert [seen.connection for seen in server.seen] == [0, 1]
    assert http1.connections_in_use == 0
    assert not any(http1._idle.values())


@pytest.mark.parametrize(
    "interim",
    [
        b"HTTP/1.1 100 Continue\r\n\r\n",
        b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\nContent-Type: text/html\r\n\r\n"
        b"HTTP/1.1 102 Processing\r\n\r\n",
    ],
    ids=["100", "103 then 102"],
)
async def test_interim_answers_before_the_final_one(http1: Http1Transport, interim: bytes) -> None:
    reply = interim + answer(b'{"final": true}', status="201 Created")
    async with raw_server(always((reply, "keep"))) as server:
        first = await send(http1, server, method="POST", body=b"a=1")
        second = await send(http1, server, method="POST", body=b"a=2")

    assert first == second == Answer(201, b'{"final": true}', "application/json", None)
    assert [seen.connection for seen in server.seen] == [0, 0]


@pytest.mark.parametrize(
    "reply",
    [
        answer(headers={"Connection": "close"}),
        answer().replace(b"HTTP/1.1", b"HTTP/1.0", 1),
    ],
    ids=["Connection: close", "HTTP/1.0"],
)
async def test_answers_that_end_the_connection_are_not_reused(
    http1: Http1Transport, reply: bytes
) -> None:
    # The server keeps its side open: the client must not reuse, and must close, the connection.
    async with raw_server(always((reply, "keep"))) as server:
        assert (await send(http1, server)).body == b"{}"
        assert await server.closed_by_client(0)
        assert (await send(http1, server)).body == b"{}"

    assert [seen.connection for seen in server.seen] == [0, 1]


async def test_a_server_closing_an_idle_connection(http1: Http1Transport) -> None:
    async with raw_server(always((answer(), "close"))) as server:
        await send(http1, server)
        # Wait until the client has seen the close (the server side is already gone).
        [idle] = [c for cs in http1._idle.values() for c in cs]
        await until(lambda: idle.closed)
        assert await send(http1, server) == Answer(200, b"{}", "application/json", None)

    assert [seen.connection for seen in server.seen] == [0, 1]


async def test_keepalive_expiry_closes_the_stale_connection() -> None:
    transport = Http1Transport(4, keepalive=0.05)
    async with raw_server(always(OK)) as server:
        await send(transport, server)
        await asyncio.sleep(0.1)
        await send(transport, server)
        assert await server.closed_by_client(0)
        await transport.close()

    assert [seen.connection for seen in server.seen] == [0, 1]


async def test_expired_connections_below_a_fresh_one_are_closed(http1: Http1Transport) -> None:
    both_in = asyncio.Event()

    async def respond(seen: Seen) -> Reply:
        if len(server.seen) == 2:
            both_in.set()
        await asyncio.wait_for(both_in.wait(), HANG_LIMIT)  # two requests, two connections
        return OK

    async with raw_server(respond) as server:
        await asyncio.gather(send(http1, server), send(http1, server))
        [idle] = http1._idle.values()
        oldest, newest = idle
        oldest.idle_since -= http1.keepalive  # as if it had been idle for keepalive seconds
        await send(http1, server)
        used = server.seen[-1].connection
        assert await server.closed_by_client(1 - used)
        assert not server.ended[used].is_set()
        assert oldest.closed
        assert idle == [newest]


async def test_idle_connections_beyond_max_connections_are_closed() -> None:
    transport = Http1Transport(1)
    both_in = asyncio.Event()

    async def respond(seen: Seen) -> Reply:
        if len(server.seen) == 2:
            both_in.set()
        await asyncio.wait_for(both_in.wait(), HANG_LIMIT)
        return OK

    async with raw_server(respond) as server:
        await asyncio.gather(send(transport, server), send(transport, server))
        waits = [asyncio.ensure_future(ended.wait()) for ended in server.ended]
        _, pending = await asyncio.wait(waits, timeout=HANG_LIMIT, return_when="FIRST_COMPLETED")
        for wait in pending:
            wait.cancel()
        assert [ended.is_set() for ended in server.ended].count(True) == 1
        assert sum(len(idle) for idle in transport._idle.values()) == 1
        await transport.close()


async def test_unsolicited_bytes_close_an_idle_connection(http1: Http1Transport) -> None:
    async with raw_server(always(OK)) as server:
        await send(http1, server)
        server.writers[0].write(answer(b'{"stray": true}'))
        assert await server.closed_by_client(0)
        assert await send(http1, server) == Answer(200, b"{}", "application/json", None)

    assert [seen.connection for seen in server.seen] == [0, 1]


@pytest.mark.parametrize(
    "extra",
    [answer(b'{"stray": true}'), b"HTTP/1.1 299 Stray\r\nContent-Length: 50\r\n\r\n", b"junk"],
    ids=["a whole answer", "the head of one", "junk"],
)
async def test_bytes_after_the_answer_are_never_taken_for_the_next_one(
    http1: Http1Transport, extra: bytes
) -> None:
    async def respond(seen: Seen) -> Reply:
        if len(server.seen) == 1:
            return answer(b'{"n": 1}') + extra, "keep"  # in the same write as the answer
        return answer(b'{"n": 2}'), "keep"

    async with raw_server(respond) as server:
        assert (await send(http1, server)).body == b'{"n": 1}'
        assert await send(http1, server) == Answer(200, b'{"n": 2}', "application/json", None)
        assert await server.closed_by_client(0)

    assert [seen.connection for seen in server.seen] == [0, 1]


async def test_concurrent_calls_each_get_their_own_answer(http1: Http1Transport) -> None:
    async def respond(seen: Seen) -> Reply:
        await asyncio.sleep(0)
        path = seen.request_line.split()[1]
        return answer(json.dumps({"path": path}).encode()), "keep"

    async with raw_server(respond) as server:
        for _ in range(3):  # reusing the connections of the rounds before
            answers = await asyncio.gather(*(send(http1, server, path=f"/{i}") for i in range(20)))
            assert [json.loads(a.body)["path"] for a in answers] == [f"/{i}" for i in range(20)]
        assert http1.connections_in_use == 0

    # Each round keeps max_connections of its 20 connections for the next.
    assert server.connections == 20 + 2 * (20 - http1.max_connections)
    assert sum(len(idle) for idle in http1._idle.values()) <= http1.max_connections


# --- failures --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        b"HTTX/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
        b"HTTP/1.1 2xx OK\r\nContent-Length: 2\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
    ids=["protocol", "status", "negative length", "two lengths", "chunk size"],
)
async def test_malformed_answer(http1: Http1Transport, reply: bytes) -> None:
    async with raw_server(always((reply, "hold"))) as server:
        error = await failure(send(http1, server))
        assert await server.closed_by_client(0)

    assert type(error) is TransportError
    assert not error.nothing_sent
    assert http1.connections_in_use == 0


async def test_switching_protocols_is_a_transport_error(http1: Http1Transport) -> None:
    reply = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n"
    async with raw_server(always((reply, "hold"))) as server:
        with loop_errors() as errors:
            error = await failure(send(http1, server))
            assert await server.closed_by_client(0)

    assert type(error) is TransportError
    assert errors == []  # handled, not an exception escaping data_received
    assert http1.connections_in_use == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("X-Trace", "a\r\nX-Injected: 1"),
        ("X-Trace", "a\nb"),
        ("X-Trace", "a\rb"),
        ("X-Trace", "a\x00b"),
        ("X-Trace", "a\x1bb"),
        ("X-Trace", "a\x7fb"),
        ("X-Trace", "a\ud800b"),
        ("X-Tr ace", "a"),
        ("X-Trace:", "a"),
        ("X-Trace\r\nX-Injected", "a"),
        ("", "a"),
        # Framing headers: the client writes Host and Content-Length itself.
        ("Host", "evil.example"),
        ("content-length", "3"),
        ("Transfer-Encoding", "chunked"),
        ("Connection", "close"),
    ],
)
async def test_forbidden_headers_send_nothing_and_are_not_retried(
    http1: Http1Transport, name: str, value: str
) -> None:
    async with raw_server(always(OK)) as server:
        error = await failure(send(http1, server, headers={"Accept": "*/*", name: value}))
        # Control: a tab and non-ASCII text are allowed, and do reach the server.
        await send(http1, server, headers={"X-Control": "a\tcafé"})

    # A configuration fault, not a transport failure: the retry loop never repeats it.
    assert type(error) is ConfigurationError
    assert "nothing sent" in str(error)
    assert "\r" not in str(error) and "\n" not in str(error)
    # Nothing chained to it could carry the request head (and with it the Authorization).
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    assert len(server.seen) == server.connections == 1  # only the control
    assert b"X-Injected" not in server.seen[0].head
    assert http1.connections_in_use == 0


@pytest.mark.parametrize("value", ["t\r\nX-Evil: 1", "t\nX-Evil: 1", "t\x00", "t\x7f", "t\ud800"])
async def test_header_injection_through_a_tool_argument_sends_nothing(
    recording_server: RecordingServer, tmp_path: Path, transport: TransportName, value: str
) -> None:
    spec = tmp_path / "headers.yaml"
    spec.write_text(HEADER_SPEC)
    async with OCPAgent(transport=transport, retries=FAST_RETRIES) as agent:
        await agent.register_api(
            "twilio", spec=spec, base_url=recording_server.url, environ=TWILIO_ENV
        )
        error = await failure(
            agent.call_tool("fetchThing", {"X-Trace": value, "User-Agent": "fine\ttab"})
        )

    # Refused with the other argument checks, naming the argument; a tab is allowed.
    assert type(error) is InvalidArguments
    assert [e.path for e in error.errors] == [("X-Trace",)]
    # An unpaired surrogate is refused by the argument checks before the header rule looks.
    assert "control characters" in str(error) or "unpaired surrogate" in str(error)
    assert value not in str(error)
    assert recording_server.requests == []


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        # The body never comes: waiting for it would end in RequestTimeout instead.
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n", "1000000000 bytes"),
        # max_body bounds the body only; llhttp sets no bound on the status line and headers.
        (b"HTTP/1.1 200 OK\r\nX-Filler: " + b"a" * (MAX_HEAD_BYTES + 1), "head"),
    ],
    ids=["content-length over max_body", "head without end"],
)
async def test_too_large_is_refused_before_it_is_read(
    http1: Http1Transport, reply: bytes, said: str
) -> None:
    async with raw_server(always((reply, "hold"))) as server:
        error = await failure(send(http1, server, timeout=HANG_LIMIT - 1))
        assert await server.closed_by_client(0)

    assert type(error) is ResponseTooLarge
    assert said in str(error)
    assert http1.connections_in_use == 0


async def test_chunked_body_over_max_body(http1: Http1Transport) -> None:
    reply = chunked(*[b" " * 400] * 3)  # 1,200 bytes
    async with raw_server(always((reply, "keep"))) as server:
        error = await failure(send(http1, server))
        assert await server.closed_by_client(0)
        assert (await send(http1, server, max_body=1200)).body == b" " * 1200

    assert type(error) is ResponseTooLarge


@pytest.mark.parametrize(
    "reply",
    [(b"", "hold"), (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", "hold")],
    ids=["no answer", "body stalls"],
)
async def test_timeout(http1: Http1Transport, reply: Reply) -> None:
    timeout = 0.2
    async with raw_server(always(reply)) as server:
        started = time.monotonic()
        error = await failure(send(http1, server, timeout=timeout))
        elapsed = time.monotonic() - started
        assert await server.closed_by_client(0)

    assert type(error) is RequestTimeout
    assert not error.nothing_sent
    assert timeout * 0.9 <= elapsed < timeout + 2  # about the timeout; generous for slow CI
    assert http1.connections_in_use == 0


async def test_refused_connection_sent_nothing(http1: Http1Transport) -> None:
    url = URL(f"http://127.0.0.1:{closed_port()}/x")
    error = await failure(http1.send("GET", url, {}, None, 2.0, MAX_BODY))
    assert type(error) is TransportError
    assert error.nothing_sent
    assert http1.connections_in_use == 0


@pytest.mark.parametrize("then", ["close", "abort"])
@pytest.mark.parametrize(
    "reply",
    [
        b"",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Le",
    ],
    ids=["before the answer", "in a sized body", "in a chunked body", "in the head"],
)
async def test_connection_lost_mid_answer(http1: Http1Transport, reply: bytes, then: Then) -> None:
    async with raw_server(always((reply, then))) as server:
        error = await failure(send(http1, server))
    assert type(error) is TransportError and not error.nothing_sent
    assert http1.connections_in_use == 0
    assert not any(http1._idle.values())


async def test_a_cancelled_call_closes_its_connection(http1: Http1Transport) -> None:
    async with raw_server(always((b"", "hold"))) as server:
        call = asyncio.ensure_future(send(http1, server))
        await until(lambda: server.seen)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        assert await server.closed_by_client(0)

    assert http1.connections_in_use == 0
    assert not any(http1._idle.values())


@pytest.mark.parametrize(("keyed", "outcome"), [(True, "retried"), (False, TransportError)])
async def test_reused_connection_closed_unanswered(
    transport: TransportName, keyed: bool, outcome: Any
) -> None:
    # The race of keep-alive: the server drops the connection as the next request arrives.
    async def respond(seen: Seen) -> Reply:
        if len(server.seen) == 2:
            return b"", "close"
        return PAYMENT_ANSWER, "keep"

    tool, arguments = (
        ("updatePayments", update_arguments()) if keyed else ("createNote", {"Text": "x"})
    )
    async with (
        raw_server(respond) as server,
        OCPAgent(transport=transport, retries=FAST_RETRIES) as agent,
    ):
        spec = None if keyed else UNKEYED_SPEC
        await agent.register_api("twilio", spec=spec, base_url=server.url, environ=TWILIO_ENV)
        assert await agent.call_tool(tool, arguments) == PAYMENT_BODY
        try:
            result: Any = await asyncio.wait_for(agent.call_tool(tool, arguments), HANG_LIMIT)
        except OCPError as exc:
            result = exc
        assert agent.transport.connections_in_use == 0

    if outcome == "retried":
        assert result == PAYMENT_BODY
        assert [seen.connection for seen in server.seen] == [0, 0, 1]
    else:
        assert type(result) is outcome and not result.nothing_sent
        assert len(server.seen) == 2  # a POST without a key is never sent twice


async def test_http1_does_not_resend_on_a_reused_connection_by_itself(
    http1: Http1Transport,
) -> None:
    # aiohttp resends an idempotent request once when a reused connection drops; http1 leaves
    # every retry to the dispatcher, which knows whether a repeat is safe.
    async def respond(seen: Seen) -> Reply:
        return (b"", "close") if len(server.seen) == 2 else OK

    async with raw_server(respond) as server:
        await send(http1, server)
        error = await failure(send(http1, server))

    assert type(error) is TransportError and not error.nothing_sent
    assert len(server.seen) == 2


# --- closing ---------------------------------------------------------------------------------


async def test_aclose_closes_every_connection(transport: TransportName) -> None:
    all_in = asyncio.Event()

    async def respond(seen: Seen) -> Reply:
        if len(server.seen) == 3:
            all_in.set()
        await asyncio.wait_for(all_in.wait(), HANG_LIMIT)  # three requests, three connections
        return PAYMENT_ANSWER, "keep"

    with resource_warnings() as reports:
        async with raw_server(respond) as server:
            agent = OCPAgent(transport=transport)
            await agent.register_api("twilio", base_url=server.url, environ=TWILIO_ENV)
            calls = [agent.call_tool("updatePayments", update_arguments()) for _ in range(3)]
            assert await asyncio.gather(*calls) == [PAYMENT_BODY] * 3
            assert server.connections == 3
            assert not any(e.is_set() for e in server.ended)  # all kept alive until aclose
            await agent.aclose()
            assert all([await server.closed_by_client(i) for i in range(3)])
            assert agent.transport.connections_in_use == 0
            del agent

    assert reports == []


async def test_aclose_during_a_call_ended_by_the_connection(http1: Http1Transport) -> None:
    # The answer has no length: only the server's close could end it, not the client's own.
    reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + b'{"partial'
    async with raw_server(always((reply, "hold"))) as server:
        call = asyncio.ensure_future(send(http1, server))
        await until(lambda: http1._in_use)
        [connection] = http1._in_use
        await until(lambda: connection.headers_done and connection.chunks)  # part of the body
        await http1.close()
        error = await failure(call)
        assert await server.closed_by_client(0)

    assert type(error) is TransportError
    assert http1.connections_in_use == 0


async def test_unclosed_transport_is_reported() -> None:
    # Control for the tests above: connections left open are reported when the owner goes.
    with resource_warnings() as reports:
        async with raw_server(always(OK)) as server:
            transport = Http1Transport(2)
            await send(transport, server)
            del transport
            gc.collect()

    assert any("Unclosed <Http1Transport" in r for r in reports)


@pytest.mark.parametrize(("then", "orderly"), [("close", True), ("reset", False)])
async def test_a_body_framed_by_the_end_of_the_connection_needs_an_orderly_end(
    http1: Http1Transport, then: Then, orderly: bool
) -> None:
    reply = answer(b"[1, 2, 3]", length=False)
    async with raw_server(always((reply, then))) as server:
        if orderly:
            assert (await send(http1, server)).body == b"[1, 2, 3]"
        else:  # a reset may have cut the body short: never taken for the whole of it
            assert type(await failure(send(http1, server))) is TransportError
    assert not any(http1._idle.values())


async def test_close_during_a_call_keeps_its_connection_out_of_the_pool(
    http1: Http1Transport,
) -> None:
    connected, go_on = asyncio.Event(), asyncio.Event()
    connect = http1._connect

    async def slow_connect(url: URL, timeout: float) -> Any:
        connection = await connect(url, timeout)
        connected.set()
        await go_on.wait()  # close() runs here, between connecting and sending
        return connection

    http1._connect = slow_connect  # type: ignore[method-assign]
    async with raw_server(always(OK)) as server:
        call = asyncio.ensure_future(send(http1, server))
        await connected.wait()
        await http1.close()
        go_on.set()
        assert (await call).status == 200
        assert await server.closed_by_client(0)

    assert not any(http1._idle.values())


def test_a_second_event_loop_never_writes_on_the_first_loops_connections() -> None:
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, so that the first loop's connection stays

        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Thread(target=server.serve_forever, daemon=True).start()
    url = URL(f"http://127.0.0.1:{server.server_port}/pay")
    transport = Http1Transport(4)

    async def pay_and_close(body: bytes) -> Answer:
        try:
            return await transport.send("POST", url, {}, body, 2.0, MAX_BODY)
        finally:
            await transport.close()

    try:
        # The first loop ends with its connection still open: the agent was not closed in it.
        first = asyncio.run(transport.send("POST", url, {}, b"amount=1", 2.0, MAX_BODY))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # Written on the first loop's connection, the request would go out unanswered.
            second = asyncio.run(pay_and_close(b"amount=2"))
            gc.collect()
    finally:
        server.shutdown()
        server.server_close()

    assert (first.status, second.status) == (200, 200)
    assert received == [b"amount=1", b"amount=2"]
    # The first loop's connection, never closed by its agent, is reported as a leak.
    assert any(issubclass(w.category, ResourceWarning) for w in caught)


@pytest.mark.parametrize("how", ["close", "reset"])
async def test_a_connection_ended_by_the_server_at_once_fails_the_call_at_once(
    http1: Http1Transport, how: str
) -> None:
    async def end(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if how == "reset":
            linger = struct.pack("ii", 1, 0)
            writer.get_extra_info("socket").setsockopt(SOL_SOCKET, SO_LINGER, linger)
        writer.close()

    server = await asyncio.start_server(end, "127.0.0.1", 0)
    url = URL(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/pay")
    try:
        # Waiting for an answer on a connection that is gone would end in RequestTimeout.
        error = await failure(http1.send("POST", url, {}, b"x=1", HANG_LIMIT, MAX_BODY))
    finally:
        server.close()
    assert type(error) is TransportError
    assert http1.connections_in_use == 0
