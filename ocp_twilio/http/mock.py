"""A transport for tests: a function of the request gives the answer; nothing goes on the wire."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

from .._exceptions import ResponseTooLarge
from .transport import Request, Response

__all__ = ["MockTransport"]

Handler = Callable[[Request], Response | Awaitable[Response]]


class MockTransport:
    """Answers each request with ``handler(request)`` (a plain function or a coroutine function).

    As httpx.MockTransport: give it to ``OCPAgent(transport=...)`` to test what a call sends and
    what it makes of an answer, without a server. ``requests`` lists every request sent, in
    order. A handler may raise a TransportError (RequestTimeout, ...) to play a failed attempt;
    a body over the request's size cap is refused as AiohttpTransport refuses it.
    """

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Request] = []

    def __repr__(self) -> str:
        return f"<MockTransport {len(self.requests)} request(s)>"

    async def send(self, request: Request) -> Response:
        self.requests.append(request)
        answer = self.handler(request)
        response = await answer if inspect.isawaitable(answer) else answer
        if len(response.body) > request.max_body:
            raise ResponseTooLarge(
                f"Response body of {len(response.body)} bytes exceeds the "
                f"{request.max_body}-byte cap."
            )
        return response

    async def close(self) -> None:
        """Nothing to close."""
