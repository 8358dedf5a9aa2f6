"""Shared fixtures: test credentials, a real recording HTTP server on 127.0.0.1, an agent on it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from ocp_twilio import OCPAgent

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "tok-" + "5ecre7" * 5  # a known secret that tests search for in every output
CALL_SID = "CA" + "fedcba9876543210" * 2
PAYMENT_SID = "PK" + "00112233445566778899aabbccddeeff"
TWILIO_ENV = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}
SHARED_OAI = Path(__file__).resolve().parents[2] / "shared" / "twilio-oai"

PAYMENT_BODY = {
    "account_sid": ACCOUNT_SID,
    "call_sid": CALL_SID,
    "sid": PAYMENT_SID,
    "date_created": "Wed, 18 Dec 2019 20:02:01 +0000",
    "date_updated": "Wed, 18 Dec 2019 20:02:01 +0000",
    "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{CALL_SID}/Payments/{PAYMENT_SID}.json",
}


def update_arguments(**overrides: Any) -> dict[str, Any]:
    """Valid updatePayments arguments, with overrides (None removes a key)."""
    arguments: dict[str, Any] = {
        "CallSid": CALL_SID,
        "Sid": PAYMENT_SID,
        "IdempotencyKey": "order-42-expiry",
        "StatusCallback": "https://example.com/pay-status",
        "Capture": "expiration-date",
    }
    arguments.update(overrides)
    return {k: v for k, v in arguments.items() if v is not None}


@dataclass
class Recorded:
    method: str
    path_qs: str
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> list[tuple[str, str]]:
        from urllib.parse import parse_qsl

        return parse_qsl(self.body.decode(), keep_blank_values=True)


Responder = Callable[[web.Request], Any]


@dataclass
class RecordingServer:
    """A real aiohttp server that records every request and answers with ``respond``.

    ``respond`` returns a web.Response; by default a 202 with a payments resource.
    """

    server: TestServer
    requests: list[Recorded] = field(default_factory=list)
    respond: Responder = field(default=lambda request: web.json_response(PAYMENT_BODY, status=202))

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


@pytest.fixture(autouse=True)
def isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test gets its own empty user cache: nothing synced, no catalog from elsewhere."""
    root = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("OCP_TWILIO_CACHE_DIR", str(root))
    return root


@pytest.fixture
async def recording_server() -> AsyncIterator[RecordingServer]:
    holder: list[RecordingServer] = []

    async def handle(request: web.Request) -> web.StreamResponse:
        recorder = holder[0]
        recorder.requests.append(
            Recorded(request.method, request.raw_path, dict(request.headers), await request.read())
        )
        response = recorder.respond(request)
        return await response if hasattr(response, "__await__") else response

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    holder.append(RecordingServer(server))
    try:
        yield holder[0]
    finally:
        await server.close()


@pytest.fixture
async def agent(recording_server: RecordingServer) -> AsyncIterator[OCPAgent]:
    async with OCPAgent() as ocp_agent:
        await ocp_agent.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)
        yield ocp_agent
