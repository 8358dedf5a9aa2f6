"""The transport seam: a Request in, its Response out, or a TransportError.

The dispatcher decides what is sent and whether to try again; a transport only carries one
attempt. Every request of the library (calls, the registry, sync) goes through the agent's
transport: aiohttp's client by default (``aiohttp_transport.py``), MockTransport in tests, or
the caller's own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

__all__ = ["Request", "Response", "Transport"]


class Request:
    """One attempt to send: what goes on the wire and the bounds on its answer.

    ``timeout`` bounds the whole attempt, ``connect_timeout`` (if not None) the making of a
    connection within it; an answer body over ``max_body`` bytes is refused. Made by keyword:
    seven values in a row are easily swapped.
    """

    __slots__ = ("body", "connect_timeout", "headers", "max_body", "method", "timeout", "url")

    def __init__(
        self,
        *,
        method: str,
        url: URL,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
        connect_timeout: float | None,
        max_body: int,
    ) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_body = max_body

    def __repr__(self) -> str:  # the headers hold the credentials: never shown
        return f"<Request {self.method} {self.url.scheme}://{self.url.host}{self.url.path}>"


class Response:
    """An HTTP answer: status, every header (case-insensitive, repeats kept) and the body."""

    __slots__ = ("body", "headers", "status")

    def __init__(
        self, status: int, headers: Mapping[str, str] | None = None, body: bytes = b""
    ) -> None:
        self.status = status
        # aiohttp's headers are a CIMultiDictProxy already; any other mapping is made one.
        self.headers: CIMultiDictProxy[str] = (
            headers
            if isinstance(headers, CIMultiDictProxy)
            else CIMultiDictProxy(CIMultiDict(headers or ()))
        )
        self.body = body

    @classmethod
    def json(cls, status: int, data: Any, headers: Mapping[str, str] | None = None) -> Response:
        """An answer with ``data`` as its JSON body (for MockTransport handlers)."""
        return cls(
            status,
            {"Content-Type": "application/json", **(headers or {})},
            json.dumps(data).encode(),
        )

    @property
    def content_type(self) -> str | None:
        return self.headers.get("Content-Type")

    @property
    def retry_after(self) -> str | None:
        """The Retry-After header as sent (parse it with the retry policy)."""
        return self.headers.get("Retry-After")

    @property
    def request_id(self) -> str | None:
        """Twilio-Request-Id: the first thing Twilio support asks for."""
        return self.headers.get("Twilio-Request-Id")

    def __repr__(self) -> str:
        return f"<Response {self.status}, {len(self.body)} bytes>"


class Transport(Protocol):
    """Carries one attempt of a request; every failure is a TransportError (or a subclass)."""

    async def send(self, request: Request) -> Response:
        """The answer within ``request.timeout`` seconds, or a TransportError."""
        ...

    async def close(self) -> None: ...
