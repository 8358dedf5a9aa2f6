"""How a request goes on the wire: one exchange, its answer, or a TransportError.

The dispatcher decides what is sent and whether to try again; a transport only carries one
attempt. The library's own transport is aiohttp's client; every request of the library (calls,
the registry, sync) goes through the agent's transport.
"""

from __future__ import annotations

import asyncio
import ssl
import urllib.request
from collections.abc import Mapping
from functools import lru_cache
from typing import NamedTuple, Protocol

import aiohttp
from yarl import URL

from .._config import DEFAULT_MAX_IN_FLIGHT
from .._exceptions import ConfigurationError, RequestTimeout, ResponseTooLarge, TransportError

__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "AiohttpTransport",
    "Answer",
    "Transport",
]

DEFAULT_MAX_CONNECTIONS = DEFAULT_MAX_IN_FLIGHT


class Answer(NamedTuple):  # a tuple: one is made on every call, a frozen dataclass costs more
    """An HTTP answer, as much of it as a call needs."""

    status: int
    body: bytes
    content_type: str | None
    retry_after: str | None  # the header as sent, read only for error answers
    request_id: str | None = None  # Twilio-Request-Id, read only for error answers


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


class AiohttpTransport:
    """aiohttp's client: one session, made on the first call inside the running loop.

    ``max_connections`` caps the connections open at once. ``proxy`` sends every request through
    that HTTP proxy; without it, ``trust_env`` (the default) takes the proxy from HTTPS_PROXY and
    HTTP_PROXY and honours NO_PROXY, as curl does (aiohttp's own default ignores them).
    ``ssl_context`` verifies servers against a custom CA (a corporate TLS-inspecting proxy, a
    test server); by default the system's CAs. An agent may be used from one ``asyncio.run``
    after another: a session made in a loop that has gone is let go and a new one made (close
    the agent before each loop ends, or its connections stay open until garbage collection).
    """

    def __init__(
        self,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        *,
        proxy: str | None = None,
        trust_env: bool = True,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if max_connections < 1:
            raise ConfigurationError("max_connections must be at least 1.")
        self.max_connections = max_connections
        self.trust_env = trust_env
        self.ssl_context = ssl_context
        self._proxy = _proxy_url(proxy, "proxy=") if proxy else None
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # The proxy of each (scheme, host), read from the environment once per session.
        self._env_proxies: dict[tuple[str, str], URL | None] = {}

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
                proxy=self._proxy_for(url),
            ) as response:
                length = response.content_length
                if length is not None and length <= max_body:  # _read_capped, one coroutine less
                    content = await response.read()
                else:
                    content = await _read_capped(response, max_body)
                status, received = response.status, response.headers
                if status < 400:
                    return Answer(status, content, received.get("Content-Type"), None)
                return Answer(
                    status,
                    content,
                    received.get("Content-Type"),
                    received.get("Retry-After"),
                    received.get("Twilio-Request-Id"),
                )
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            failure = _transport_error(exc, timeout)
        # Raised outside the except block: aiohttp's exception holds the request's headers
        # (Authorization among them) in its repr and request_info, so it must be neither the
        # cause nor the context of an error that reaches logs.
        raise failure

    async def close(self) -> None:
        session, self._session = self._session, None
        # A session of a loop that has gone cannot be closed from this one: it is let go.
        if session is not None and self._loop is asyncio.get_running_loop():
            await session.close()

    def _http(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._session
        if session is not None and not session.closed and self._loop is loop:
            return session
        # None yet, closed, or made in an earlier asyncio.run whose loop has gone (its
        # connections cannot be used, nor closed, from this loop): a new one.
        # The connector must not be a second, lower cap than the agent's max_in_flight.
        # trust_env stays off in aiohttp itself: it would also read ~/.netrc, whose password
        # clashes with the Authorization header; proxies are looked up in _proxy_for instead.
        connector = aiohttp.TCPConnector(
            limit=self.max_connections,
            ssl=self.ssl_context if self.ssl_context is not None else True,
        )
        self._session = aiohttp.ClientSession(connector=connector)
        self._loop = loop
        self._env_proxies.clear()
        return self._session

    def _proxy_for(self, url: URL) -> URL | None:
        if self._proxy is not None or not self.trust_env:
            return self._proxy
        key = (url.scheme, url.host or "")
        if key not in self._env_proxies:
            self._env_proxies[key] = _env_proxy(*key)
        return self._env_proxies[key]


def _env_proxy(scheme: str, host: str) -> URL | None:
    """The proxy HTTPS_PROXY / HTTP_PROXY name for ``scheme`` unless NO_PROXY exempts ``host``."""
    proxies = urllib.request.getproxies_environment()
    chosen = proxies.get(scheme)
    if not chosen or urllib.request.proxy_bypass(host):
        return None
    return _proxy_url(chosen, f"{scheme.upper()}_PROXY")


def _proxy_url(value: str, what: str) -> URL:
    try:
        url = URL(value if "://" in value else f"http://{value}")
    except ValueError:
        url = None
    # aiohttp speaks to proxies in plain HTTP only (HTTPS goes through them by CONNECT).
    if url is None or url.scheme != "http" or not url.host:
        raise ConfigurationError(
            f"The proxy ({what}) must be an http:// URL such as http://proxy.example:3128."
        )
    return url


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


def _transport_error(exc: BaseException, timeout: float) -> TransportError:
    """ocp_twilio's error for an asyncio timeout or an aiohttp failure."""
    # Only a connection that was never made surely sent nothing.
    nothing_sent = isinstance(exc, (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError))
    if isinstance(exc, asyncio.TimeoutError):
        return RequestTimeout(
            f"No complete answer within {timeout:.3g} s.", nothing_sent=nothing_sent
        )
    # The kind of failure and, for a connection, the host: aiohttp's own texts may carry the URL,
    # and with it argument values.
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = exc.strerror or "no reason given"
        return TransportError(
            f"Connection failed: cannot reach {exc.host}:{exc.port}: {reason}.", nothing_sent=True
        )
    if isinstance(exc, aiohttp.ClientConnectionError):
        return TransportError(f"Connection failed: {type(exc).__name__}.")
    return TransportError(f"HTTP failure: {type(exc).__name__}.")
