"""A real aiohttp server on 127.0.0.1 that answers each request with the next scripted fault."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from ocp_twilio import AiohttpTransport, OCPAgent
from support.payments import PAYMENT_BODY

ERROR_BODY = {
    "code": 20500,
    "message": "Internal server error",
    "more_info": "https://www.twilio.com/docs/errors/20500",
    "status": 500,
}
HTML_PAGE = "<html><body><h1>502 Bad Gateway</h1></body></html>"


@dataclass
class FaultServer:
    """Each request takes the next fault from ``script``; when it is empty the answer is ``ok``."""

    script: deque[str] = field(default_factory=deque)
    hits: list[str] = field(default_factory=list)
    huge_size: int = 64 * 1024
    # Set at teardown so that slow handlers end with the test.
    release: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    def then(self, *faults: str) -> FaultServer:
        self.script.extend(faults)
        return self

    async def handle(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        fault = self.script.popleft() if self.script else "ok"
        self.hits.append(fault)
        return await _FAULTS[fault](self, request)


async def _ok(server: FaultServer, request: web.Request) -> web.StreamResponse:
    return web.json_response(PAYMENT_BODY, status=202)


def _error(status: int, retry_after: str | None = None) -> Any:
    async def respond(server: FaultServer, request: web.Request) -> web.StreamResponse:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        body = {**ERROR_BODY, "status": status, "code": 20429 if status == 429 else 20500}
        return web.json_response(body, status=status, headers=headers)

    return respond


async def _reset_before_response(server: FaultServer, request: web.Request) -> web.StreamResponse:
    assert request.transport is not None
    request.transport.abort()
    return web.Response()


async def _reset_after_response_starts(
    server: FaultServer, request: web.Request
) -> web.StreamResponse:
    response = web.StreamResponse(status=202, headers={"Content-Length": "1000"})
    response.content_type = "application/json"
    await response.prepare(request)
    await response.write(b'{"sid": "PK')
    assert request.transport is not None
    request.transport.abort()
    return response


async def _truncated_body(server: FaultServer, request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(status=202, headers={"Content-Length": "1000"})
    response.content_type = "application/json"
    await response.prepare(request)
    await response.write(json.dumps(PAYMENT_BODY).encode()[:50])
    assert request.transport is not None
    request.transport.close()
    return response


async def _slow_headers(server: FaultServer, request: web.Request) -> web.StreamResponse:
    with suppress(asyncio.TimeoutError):
        await asyncio.wait_for(server.release.wait(), 10)
    return web.json_response(PAYMENT_BODY, status=202)


def _body(status: int, text: str, content_type: str) -> Any:
    async def respond(server: FaultServer, request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, text=text, content_type=content_type)

    return respond


async def _huge(server: FaultServer, request: web.Request) -> web.StreamResponse:
    return web.Response(status=200, body=b" " * server.huge_size, content_type="application/json")


async def _huge_chunked(server: FaultServer, request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(status=200)
    response.content_type = "application/json"
    response.enable_chunked_encoding()
    await response.prepare(request)
    for _ in range(server.huge_size // 4096 + 1):
        await response.write(b" " * 4096)
    await response.write_eof()
    return response


_FAULTS: dict[str, Any] = {
    "ok": _ok,
    "429": _error(429),
    "429 retry-after 1": _error(429, "1"),
    "429 retry-after 3600": _error(429, "3600"),
    "500": _error(500),
    "502": _error(502),
    "503": _error(503),
    "503 retry-after 0": _error(503, "0"),
    "504": _error(504),
    "reset before response": _reset_before_response,
    "reset after response starts": _reset_after_response_starts,
    "truncated body": _truncated_body,
    "slow headers": _slow_headers,
    "invalid json": _body(200, '{"sid": "PK', "application/json"),
    "html error page": _body(502, HTML_PAGE, "text/html"),
    "empty 200": _body(200, "", "application/json"),
    "wrong content type": _body(200, json.dumps(PAYMENT_BODY), "text/plain"),
    "huge body": _huge,
    "huge chunked body": _huge_chunked,
}
FAULT_NAMES = tuple(_FAULTS)


@asynccontextmanager
async def fault_server() -> AsyncIterator[FaultServer]:
    faults = FaultServer()

    async def handle(request: web.Request) -> web.StreamResponse:
        return await faults.handle(request)  # looked up per request: tests may wrap it

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    faults.url = str(server.make_url("")).rstrip("/")
    try:
        yield faults
    finally:
        faults.release.set()
        await server.close()


def connections_in_use(agent: OCPAgent) -> int:
    """Connections the agent's aiohttp transport has handed out and not taken back (0 when none
    leak): a count of AiohttpTransport's own, not of the Transport protocol."""
    transport = agent.transport
    assert isinstance(transport, AiohttpTransport)
    return transport.connections_in_use
