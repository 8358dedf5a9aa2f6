"""A MockTransport standing in for the network, and the requests sent through it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ocp_twilio import MockTransport, Request, Response
from support.payments import PAYMENT_BODY


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
