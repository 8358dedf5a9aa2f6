"""The library's own transport: aiohttp's client, its proxies, TLS and connection pool."""

from __future__ import annotations

import asyncio
import ssl
import urllib.request
from functools import lru_cache

import aiohttp
from aiohttp.connector import Connection
from aiohttp.tracing import Trace
from yarl import URL

from .._config import DEFAULT_MAX_IN_FLIGHT
from .._exceptions import ConfigurationError, RequestTimeout, ResponseTooLarge, TransportError
from .transport import Request, Response

__all__ = ["DEFAULT_MAX_CONNECTIONS", "AiohttpTransport"]

DEFAULT_MAX_CONNECTIONS = DEFAULT_MAX_IN_FLIGHT


class AiohttpTransport:
    """aiohttp's client: one session, made on the first call inside the running loop.

    ``max_connections`` caps the connections open at once. ``proxy`` sends every request through
    that HTTP proxy; without it, ``trust_env`` (the default) takes the proxy from HTTPS_PROXY and
    HTTP_PROXY and honours NO_PROXY, as curl does (aiohttp's own default ignores them).
    ``ssl_context`` verifies servers against a custom CA (a corporate TLS-inspecting proxy, a
    test server); by default the system's CAs. An agent may be used from one ``asyncio.run``
    after another: a session made in a loop that has gone is let go and a new one made (close
    the agent before each loop ends, or its connections stay open until garbage collection).

    ``session`` is a ClientSession of the caller's own (its connector, limits, TLS and tracing
    are then the caller's, and ``max_connections`` and ``ssl_context`` are not used). The caller
    owns it: ``close()`` leaves it open, and it must be used in the loop it was made in.
    ``proxy`` and ``trust_env`` still apply to every request sent through it.
    """

    def __init__(
        self,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        *,
        proxy: str | None = None,
        trust_env: bool = True,
        ssl_context: ssl.SSLContext | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        if max_connections < 1:
            raise ConfigurationError("max_connections must be at least 1.")
        if session is not None and ssl_context is not None:
            raise ConfigurationError(
                "Give either session= or ssl_context=, not both: a session brings its own TLS "
                "settings (its connector's ssl=)."
            )
        self.max_connections = max_connections
        self.trust_env = trust_env
        self.ssl_context = ssl_context
        self._proxy = _proxy_url(proxy, "proxy=") if proxy else None
        self._users_session = session
        self._session: aiohttp.ClientSession | None = session
        self._loop: asyncio.AbstractEventLoop | None = None
        # The proxy of each (scheme, host), read from the environment once per session.
        self._env_proxies: dict[tuple[str, str], URL | None] = {}
        self._env_names_proxies: bool | None = None  # None: not read in this session yet

    def __repr__(self) -> str:
        return f"<AiohttpTransport max_connections={self.max_connections}>"

    @property
    def connections_in_use(self) -> int:
        """Connections handed out and not yet taken back (0 between calls: none leak)."""
        if self._session is None or self._session.connector is None:
            return 0
        # aiohttp offers no public count of acquired connections.
        return len(self._session.connector._acquired)

    async def send(self, request: Request) -> Response:
        url = request.url
        max_body = request.max_body
        try:
            async with self._http().request(
                request.method,
                url,
                data=request.body,
                headers=request.headers,
                timeout=_client_timeout(request.timeout, request.connect_timeout),
                allow_redirects=False,
                proxy=self._proxy_for(url),
            ) as response:
                # A declared length is refused before anything is read; an undeclared one counted.
                length = response.content_length
                if length is None:
                    content = await _read_capped(response, max_body)
                elif length <= max_body:
                    content = await response.read()
                else:
                    raise ResponseTooLarge(
                        f"Response body of {length} bytes exceeds the {max_body}-byte cap."
                    )
                return Response(response.status, response.headers, content)
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            failure = _transport_error(exc, request)
        # Raised outside the except block: aiohttp's exception holds the request's headers
        # (Authorization among them) in its repr and request_info, so it must be neither the
        # cause nor the context of an error that reaches logs.
        raise failure

    async def close(self) -> None:
        if self._users_session is not None:
            return  # the caller's: they close it
        session, self._session = self._session, None
        # A session of a loop that has gone cannot be closed from this one: it is let go.
        if session is not None and self._loop is asyncio.get_running_loop():
            await session.close()

    def _http(self) -> aiohttp.ClientSession:
        if self._users_session is not None:
            if self._users_session.closed:
                raise ConfigurationError(
                    "The ClientSession given to AiohttpTransport(session=) is closed; give an "
                    "open one (its owner closes it after the agent)."
                )
            return self._users_session
        loop = asyncio.get_running_loop()
        session = self._session
        if session is not None and not session.closed and self._loop is loop:
            return session
        # None yet, closed, or made in an earlier asyncio.run whose loop has gone (its
        # connections cannot be used, nor closed, from this loop): a new one.
        # The connector must not be a second, lower cap than the agent's max_in_flight.
        # trust_env stays off in aiohttp itself: it would also read ~/.netrc, whose password
        # clashes with the Authorization header; proxies are looked up in _proxy_for instead.
        connector = _UnsolicitedAnswersRefused(
            limit=self.max_connections,
            ssl=self.ssl_context if self.ssl_context is not None else True,
        )
        self._session = aiohttp.ClientSession(connector=connector)
        self._loop = loop
        self._env_proxies.clear()
        self._env_names_proxies = None
        return self._session

    def _proxy_for(self, url: URL) -> URL | None:
        if self._proxy is not None or not self.trust_env:
            return self._proxy
        if self._env_names_proxies is None:
            self._env_names_proxies = bool(urllib.request.getproxies_environment())
        if not self._env_names_proxies:  # the common case: no proxy variable, nothing to look up
            return None
        key = (url.scheme, url.host or "")
        if key not in self._env_proxies:
            self._env_proxies[key] = _env_proxy(*key)
        return self._env_proxies[key]


class _UnsolicitedAnswersRefused(aiohttp.TCPConnector):
    """Never hands out a pooled connection that holds data no request asked for.

    HTTP/1.1 answers carry no request id: they belong to requests by their order. A server that
    sends a second answer to one request, after the first was read and its connection went back
    to the pool, would have that stray answer read by the next request on the connection, and
    each answer after it by the request after its own. aiohttp parses data that reaches an idle
    pooled connection and hands the connection out again all the same (it checks only that it
    is open), so such a connection is closed here and another one taken. A stray answer that
    arrives while the next request is in flight cannot be told from that request's own: HTTP/1.1
    has nothing to tell them apart (docs/security.md says what bounds it).
    """

    async def connect(
        self, req: aiohttp.ClientRequest, traces: list[Trace], timeout: aiohttp.ClientTimeout
    ) -> Connection:
        while True:
            connection = await super().connect(req, traces, timeout)
            # should_close: an answer waits unread (an unfinished head is dropped anyway: each
            # request starts a new parser). A new connection holds none: nothing is read between
            # its making and this check (no await between).
            protocol = connection.protocol
            if protocol is None or not protocol.should_close:
                return connection
            connection.close()


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
def _client_timeout(seconds: float, connect: float | None) -> aiohttp.ClientTimeout:
    """Most attempts use the same few timeouts; a ClientTimeout is made once for each."""
    # sock_connect: making the connection (TLS included), not waiting for a pooled one.
    return aiohttp.ClientTimeout(total=seconds, sock_connect=connect)


async def _read_capped(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """A body of no declared length, refused once it exceeds ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(65536):
        size += len(chunk)
        if size > limit:
            raise ResponseTooLarge(f"Response body exceeds the {limit}-byte cap.")
        chunks.append(chunk)
    return b"".join(chunks)


def _transport_error(exc: BaseException, request: Request) -> TransportError:
    """ocp_twilio's error for an asyncio timeout or an aiohttp failure."""
    # Only a connection that was never made surely sent nothing.
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return RequestTimeout(
            f"No connection to {request.url.host}:{request.url.port} within the connect "
            f"timeout ({request.connect_timeout or request.timeout:.3g} s); nothing sent.",
            nothing_sent=True,
        )
    if isinstance(exc, asyncio.TimeoutError):
        return RequestTimeout(f"No complete answer within {request.timeout:.3g} s.")
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
