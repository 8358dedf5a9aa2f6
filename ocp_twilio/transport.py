"""How a request goes on the wire: one exchange, its answer, or a TransportError.

The dispatcher decides what is sent and whether to try again; a transport only carries one
attempt. Two transports: aiohttp's client (the default) and :mod:`ocp_twilio.http1`, a lean
HTTP/1.1 client on httptools for agents that make many calls.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from typing import Literal, NamedTuple, Protocol

import aiohttp
from yarl import URL

from .errors import ConfigurationError, RequestTimeout, ResponseTooLarge, TransportError

__all__ = [
    "FORBIDDEN_IN_HEADER_VALUE",
    "FRAMING_HEADERS",
    "AiohttpTransport",
    "Answer",
    "Transport",
    "TransportName",
    "make_transport",
    "map_transport_errors",
]

TransportName = Literal["aiohttp", "http1"]

# RFC 9110 5.5: a header value holds no control character but tab (aiohttp refuses the same);
# an unpaired surrogate cannot be encoded at all.
FORBIDDEN_IN_HEADER_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff]").search
# Headers that frame the message: a transport writes them itself, never as given.
FRAMING_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "upgrade"}
)


class Answer(NamedTuple):  # a tuple: one is made on every call, a frozen dataclass costs more
    """An HTTP answer, as much of it as a call needs."""

    status: int
    body: bytes
    content_type: str | None
    retry_after: str | None  # the header as sent, read only for error answers


class Transport(Protocol):
    """Carries one attempt of a request; every failure is a TransportError (or a subclass)."""

    async def send(
        self,
        method: str,
        url: URL,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
        max_body: int,
    ) -> Answer:
        """The answer within ``timeout`` seconds; a body over ``max_body`` bytes is refused."""
        ...

    @property
    def connections_in_use(self) -> int:
        """Connections handed out and not yet taken back (0 between calls: none leak)."""
        ...

    async def close(self) -> None: ...


def make_transport(name: str, max_connections: int) -> Transport:
    """The transport called ``name``, keeping at most ``max_connections`` connections in use."""
    if name == "aiohttp":
        return AiohttpTransport(max_connections)
    if name == "http1":
        try:
            from .http1 import Http1Transport
        except ImportError as exc:
            raise ConfigurationError(
                "transport='http1' needs httptools: pip install 'ocp-twilio[fast]'."
            ) from exc
        return Http1Transport(max_connections)
    raise ConfigurationError(f"transport must be 'aiohttp' or 'http1', not {name!r}.")


class AiohttpTransport:
    """aiohttp's client: one session, made on the first call, inside the running loop."""

    def __init__(self, max_connections: int) -> None:
        self.max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"<AiohttpTransport max_connections={self.max_connections}>"

    @property
    def connections_in_use(self) -> int:
        if self._session is None or self._session.connector is None:
            return 0
        # aiohttp offers no public count of acquired connections.
        return len(self._session.connector._acquired)

    async def send(
        self,
        method: str,
        url: URL,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
        max_body: int,
    ) -> Answer:
        try:
            async with self._http().request(
                method,
                url,
                data=body,
                headers=headers,
                timeout=_client_timeout(timeout),
                allow_redirects=False,
            ) as response:
                length = response.content_length
                if length is not None and length <= max_body:  # _read_capped, one coroutine less
                    content = await response.read()
                else:
                    content = await _read_capped(response, max_body)
                status, received = response.status, response.headers
                return Answer(
                    status,
                    content,
                    received.get("Content-Type"),
                    received.get("Retry-After") if status >= 400 else None,
                )
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            raise _transport_error(exc, timeout) from exc

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # The connector must not be a second, lower cap than the agent's max_in_flight.
            connector = aiohttp.TCPConnector(limit=self.max_connections)
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session


@lru_cache(maxsize=64)
def _client_timeout(seconds: float) -> aiohttp.ClientTimeout:
    """Most attempts use the same few timeouts; a ClientTimeout is made once for each."""
    return aiohttp.ClientTimeout(total=seconds)


async def _read_capped(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The whole body, refusing (before reading it) one that would exceed ``limit`` bytes."""
    length = response.content_length
    if length is not None:
        if length > limit:
            raise ResponseTooLarge(f"Response body of {length} bytes exceeds the {limit}-byte cap.")
        return await response.read()
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(65536):
        size += len(chunk)
        if size > limit:
            raise ResponseTooLarge(f"Response body exceeds the {limit}-byte cap.")
        chunks.append(chunk)
    return b"".join(chunks)


@contextmanager
def map_transport_errors(timeout: float) -> Iterator[None]:
    """Where aiohttp is used directly (registry, sync): its exceptions become ocp_twilio's."""
    try:
        yield
    except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
        raise _transport_error(exc, timeout) from exc


def _transport_error(exc: BaseException, timeout: float) -> TransportError:
    """ocp_twilio's error for an asyncio timeout or an aiohttp failure."""
    # Only a connection that was never made surely sent nothing.
    nothing_sent = isinstance(exc, (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError))
    if isinstance(exc, asyncio.TimeoutError):
        return RequestTimeout(
            f"No complete answer within {timeout:.3g} s.", nothing_sent=nothing_sent
        )
    # The kind of failure and, for a connection, the host: aiohttp's own texts may carry the URL,
    # and with it argument values. The original stays the __cause__, for developers.
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = exc.strerror or "no reason given"
        return TransportError(
            f"Connection failed: cannot reach {exc.host}:{exc.port}: {reason}.", nothing_sent=True
        )
    if isinstance(exc, aiohttp.ClientConnectionError):
        return TransportError(f"Connection failed: {type(exc).__name__}.")
    return TransportError(f"HTTP failure: {type(exc).__name__}.")
