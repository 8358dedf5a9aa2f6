"""A lean HTTP/1.1 client: keep-alive connections and httptools' parser (llhttp), nothing more.

aiohttp's client spends about 75 µs of CPU on a request, most of a validated call's cost; this
one a fraction of that (``benchmarks/bench_calls.py``). It does only what a Twilio call needs:
one request at a time per connection, bodies sent with Content-Length, answers framed by
Content-Length, chunks or the end of the connection, and TLS with the system's trust store.
No proxies, redirects, cookies or compression: the dispatcher uses none of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import ssl
import sys
import warnings
from collections.abc import Awaitable, Callable, Mapping

from httptools import HttpParserError, HttpParserUpgrade, HttpResponseParser
from yarl import URL

from .errors import ConfigurationError, RequestTimeout, ResponseTooLarge, TransportError
from .transport import FORBIDDEN_IN_HEADER_VALUE, FRAMING_HEADERS, Answer

__all__ = ["DEFAULT_KEEPALIVE", "MAX_HEAD_BYTES", "Http1Transport"]

# Seconds an unused connection is kept for the next call, as aiohttp's keepalive_timeout.
DEFAULT_KEEPALIVE = 15.0
# Status line and headers of an answer: Twilio's are about 1 KB, aiohttp refuses some 4 MB.
MAX_HEAD_BYTES = 64 * 1024
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# RFC 9110 5.1: a header name is a token.
_BAD_NAME = re.compile(r"[^!#$%&'*+\-.^_`|~0-9A-Za-z]").search
_Origin = tuple[str, str, int]
_Made = tuple[asyncio.BaseTransport, "_Connection"]


class Http1Transport:
    """Connections per host, opened on demand and kept ``keepalive`` seconds for the next call.

    ``max_connections`` unused connections are kept per host; the agent's ``max_in_flight``
    bounds those in use. ``ssl_context`` replaces the system's trust store (for tests, proxies
    that inspect TLS, or pinned roots).
    """

    def __init__(
        self,
        max_connections: int,
        *,
        ssl_context: ssl.SSLContext | None = None,
        keepalive: float = DEFAULT_KEEPALIVE,
    ) -> None:
        self.max_connections = max_connections
        self.keepalive = keepalive
        self._ssl_context = ssl_context
        self._idle: dict[_Origin, list[_Connection]] = {}
        self._in_use: set[_Connection] = set()
        # Connections belong to the loop that opened them; another loop starts afresh.
        self._loop: asyncio.AbstractEventLoop | None = None
        # Bumped by close(): a call begun before it must not pool its connection afterwards.
        self._generation = 0

    def __repr__(self) -> str:
        return f"<Http1Transport max_connections={self.max_connections}>"

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        # As aiohttp's session: the event loop keeps open connections alive, so only their
        # owner, when collected, can tell that nobody closed them.
        open_connections = sum(not c.closed for c in self._idle_connections())
        if open_connections or self._in_use:
            _warn(f"Unclosed {self!r}: call aclose() on its agent", ResourceWarning, source=self)

    @property
    def connections_in_use(self) -> int:
        return len(self._in_use)

    async def send(
        self,
        method: str,
        url: URL,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
        max_body: int,
    ) -> Answer:
        message = _request_message(method, url, headers, body)
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._forget_connections_of_another_loop(loop)
        generation = self._generation
        deadline = loop.time() + timeout
        origin = (url.scheme, url.raw_host or "", url.port or 0)
        connection = self._idle_connection(origin, loop.time())
        if connection is None:
            connection = await self._connect(url, timeout)
        self._in_use.add(connection)
        try:
            answer = await connection.exchange(message, deadline, timeout, max_body, method)
        except BaseException:
            connection.close()  # its state is unknown: never reused
            raise
        finally:
            self._in_use.discard(connection)
        idle = self._idle.setdefault(origin, [])
        if (
            connection.reusable
            and generation == self._generation
            and len(idle) < self.max_connections
        ):
            connection.idle_since = loop.time()
            idle.append(connection)
        else:
            connection.close()
        return answer

    async def close(self) -> None:
        self._generation += 1
        connections = [*self._idle_connections(), *self._in_use]
        self._idle.clear()
        own_loop = asyncio.get_running_loop() is self._loop
        for connection in connections:
            if own_loop:
                connection.close()
            else:
                connection.abandon()
        if connections:
            await asyncio.sleep(0)  # let the loop run the transports' connection_lost

    def _forget_connections_of_another_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """A write on a connection of another (likely closed) loop would go out unanswered: the
        request sent, the caller told it timed out. Such connections are dropped unused."""
        for connection in self._idle_connections():
            connection.abandon()
        self._idle.clear()
        self._in_use.clear()
        self._loop = loop

    def _idle_connection(self, origin: _Origin, now: float) -> _Connection | None:
        """The most recently used open connection to ``origin``; stale ones are closed."""
        idle = self._idle.get(origin)
        # Oldest first: the top may have been closed by the server, the bottom may have expired.
        if idle and not (self._fresh(idle[-1], now) and self._fresh(idle[0], now)):
            for connection in idle:
                if not self._fresh(connection, now):
                    connection.close()
            idle[:] = [c for c in idle if not c.closed]
        return idle.pop() if idle else None

    def _fresh(self, connection: _Connection, now: float) -> bool:
        return connection.usable and now - connection.idle_since < self.keepalive

    def _idle_connections(self) -> list[_Connection]:
        return [c for idle in self._idle.values() for c in idle]

    async def _connect(self, url: URL, timeout: float) -> _Connection:
        host, port = url.raw_host or "", url.port or 0
        secure = url.scheme == "https"
        loop = asyncio.get_running_loop()
        connecting = loop.create_connection(
            _Connection,
            host,
            port,
            ssl=self._tls() if secure else None,
            server_hostname=host if secure else None,
            happy_eyeballs_delay=0.25,
        )
        try:
            _, connection = await _within(connecting, timeout)
        except asyncio.TimeoutError as exc:
            raise RequestTimeout(
                f"No connection to {host}:{port} within {timeout:.3g} s.", nothing_sent=True
            ) from exc
        except OSError as exc:  # refused, unreachable, unknown host, TLS refused (SSLError)
            reason = exc.strerror or type(exc).__name__
            raise TransportError(
                f"Connection failed: cannot reach {host}:{port}: {reason}.", nothing_sent=True
            ) from exc
        return connection

    def _tls(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()  # made once: it costs milliseconds
        return self._ssl_context


async def _within(connecting: Awaitable[_Made], timeout: float) -> _Made:
    """``connecting``'s result within ``timeout``. asyncio.timeout where there is one: before
    3.12, wait_for loses a cancellation that lands as the connection is made, and the request
    would then be sent although its call was cancelled."""
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(timeout):
            return await connecting
    return await asyncio.wait_for(connecting, timeout)  # pragma: no cover - Python 3.10


def _request_message(
    method: str, url: URL, headers: Mapping[str, str], body: bytes | None
) -> bytes:
    """The request as it goes on the wire; a header that could split or reframe it is refused."""
    lines = [f"{method} {url.raw_path_qs} HTTP/1.1\r\nHost: {url.host_port_subcomponent}\r\n"]
    for name, value in headers.items():
        if (
            not name
            or _BAD_NAME(name)
            or FORBIDDEN_IN_HEADER_VALUE(value)
            or name.lower() in FRAMING_HEADERS
        ):
            raise ConfigurationError(
                f"Header {name!r} is not one this client may send as given (a framing header, "
                "or a character HTTP forbids there, or an unpaired surrogate); nothing sent."
            )
        lines.append(f"{name}: {value}\r\n")
    if body is not None or method in _BODY_METHODS:
        lines.append(f"Content-Length: {len(body or b'')}\r\n")
    lines.append("\r\n")
    # Encodes: the target and host are ASCII (yarl), names tokens, values free of surrogates.
    head = "".join(lines).encode()
    return head + body if body else head


class _Connection(asyncio.Protocol):
    """One connection and the answer it is waiting for; httptools calls the ``on_*`` methods."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = HttpResponseParser(self)
        self.closed = False
        self.reusable = False
        self.idle_since = 0.0
        self.waiter: asyncio.Future[Answer] | None = None
        self.max_body = 0
        self.expect_body = True
        self._reset()

    def _reset(self) -> None:
        """Forget the answer read so far (a new request, or a 1xx answer before the final one)."""
        self.chunks: list[bytes] = []
        self.size = 0
        self.content_type: str | None = None
        self.retry_after: str | None = None
        self.framed = False  # Content-Length or chunked; else the body ends with the connection
        self.headers_done = False
        self.head_size = 0
        self.answered = False

    async def exchange(
        self, message: bytes, deadline: float, timeout: float, max_body: int, method: str
    ) -> Answer:
        assert self.transport is not None
        if self.closed or self.transport.is_closing():
            # asyncio would drop the write silently, and the answer never come.
            raise TransportError("Connection ended before the request was sent.", nothing_sent=True)
        loop = asyncio.get_running_loop()
        self._reset()
        self.max_body = max_body
        self.expect_body = method != "HEAD"
        self.reusable = False
        waiter: asyncio.Future[Answer] = loop.create_future()
        self.waiter = waiter
        self.transport.write(message)
        timer = loop.call_at(deadline, self._time_out, timeout)
        try:
            return await waiter
        finally:
            timer.cancel()
            self.waiter = None

    @property
    def usable(self) -> bool:
        """Open, and not about to close (an end read, connection_lost not yet run)."""
        return not self.closed and self.transport is not None and not self.transport.is_closing()

    def close(self) -> None:
        self.closed = True
        self.reusable = False
        if self.transport is not None:
            self.transport.close()

    def abandon(self) -> None:
        """Close a connection of another event loop, as far as that loop still allows."""
        self.closed = True
        self.reusable = False
        if self.transport is not None:
            try:
                self.transport.abort()
            except RuntimeError:  # its loop is closed: at least let the server see the end
                with contextlib.suppress(OSError):
                    self.transport.get_extra_info("socket").shutdown(socket.SHUT_RDWR)

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.waiter is None or self.answered:
            # Bytes nobody asked for: kept, they would become the next request's answer.
            self.close()
            return
        try:
            self.parser.feed_data(data)
        except (HttpParserError, HttpParserUpgrade):
            self._fail(TransportError("Malformed HTTP answer."))
            return
        if not self.headers_done:
            # llhttp sets no bound on the head; max_body does not count it.
            self.head_size += len(data)
            if self.head_size > MAX_HEAD_BYTES:
                self._fail(ResponseTooLarge(f"Response head exceeds {MAX_HEAD_BYTES} bytes."))

    def connection_lost(self, exc: Exception | None) -> None:
        closed_by_us, self.closed, self.reusable = self.closed, True, False
        if self.waiter is None or self.waiter.done():
            return
        if self.headers_done and not self.framed and exc is None and not closed_by_us:
            self._answer()  # the server's orderly close ends a body that has no other framing
        else:
            self._fail(TransportError("Connection lost before the answer was complete."))

    # httptools' callbacks

    def on_message_begin(self) -> None:
        if self.answered:  # a second answer to one request: the connection is out of step
            self.close()

    def on_header(self, name: bytes, value: bytes) -> None:
        field = name.lower()
        if field == b"content-type":
            if self.content_type is None:  # the first, as aiohttp reads a repeated header
                self.content_type = value.decode("latin-1")
        elif field == b"retry-after":
            if self.retry_after is None:
                self.retry_after = value.decode("latin-1")
        elif field == b"content-length":
            self.framed = True
            if value.isdigit() and int(value) > self.max_body:
                self._too_large(f"Response body of {int(value)} bytes exceeds")
        elif field == b"transfer-encoding":  # RFC 9112 6.3: chunked last, else up to the end
            self.framed = value.rsplit(b",", 1)[-1].strip().lower() == b"chunked"

    def on_headers_complete(self) -> None:
        self.headers_done = True
        if not self.expect_body and self.parser.get_status_code() >= 200:
            # An answer to HEAD has no body, whatever its headers say; the parser would wait
            # for one, so the connection is not reused.
            self._answer()

    def on_body(self, body: bytes) -> None:
        self.size += len(body)
        if self.size > self.max_body:
            self._too_large("Response body exceeds")
        else:
            self.chunks.append(body)

    def on_message_complete(self) -> None:
        if self.parser.get_status_code() < 200:  # 100 Continue and the like: the answer follows
            self._reset()
            return
        if not self.answered:
            self._answer()
            self.reusable = self.expect_body and self.parser.should_keep_alive()

    # The waiter's outcomes

    def _answer(self) -> None:
        self.answered = True
        if self.waiter is not None and not self.waiter.done():
            status = self.parser.get_status_code()
            body = b"".join(self.chunks)
            self.waiter.set_result(Answer(status, body, self.content_type, self.retry_after))

    def _fail(self, error: TransportError) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(error)
        self.close()

    def _too_large(self, what: str) -> None:
        self._fail(ResponseTooLarge(f"{what} the {self.max_body}-byte cap."))

    def _time_out(self, timeout: float) -> None:
        self._fail(RequestTimeout(f"No complete answer within {timeout:.3g} s."))
