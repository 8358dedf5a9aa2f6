"""Real servers on 127.0.0.1: one that records every request, one that runs on a thread of its
own, and OCP's registry API; and a local port nothing listens on."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from support.answers import twilio_answer


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

    ``respond`` returns a web.Response; by default Twilio's resource for the path (answers.py).
    """

    server: TestServer
    requests: list[Recorded] = field(default_factory=list)
    respond: Responder = twilio_answer

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
