"""The MCP server over HTTP for the tests: served on a free port of 127.0.0.1 (in this process
with uvicorn, or as the console script), the SDK's own client on it, and Twilio's signed
StatusCallbacks posted to its receiver."""

from __future__ import annotations

import asyncio
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import anyio
import httpx2
import uvicorn
from mcp.client.session import ClientSession, ElicitationFnT
from mcp.client.streamable_http import streamable_http_client

from ocp_twilio import compute_signature
from support.payments import PAYMENT_SID

TOKEN = "test-bearer-" + "b3arer" * 5
ACCEPT = "application/json, text/event-stream"
CALLBACK_PATH = "/twilio/pay-status"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class Served:
    """A server on ``port``: in this process, or the console script's ``process``."""

    def __init__(self, port: int, process: subprocess.Popen[bytes] | None = None) -> None:
        self.port = port
        self.process = process
        self.base = f"http://127.0.0.1:{port}"
        self.mcp = f"{self.base}/mcp"


async def until_listening(port: int, process: subprocess.Popen[bytes] | None = None) -> None:
    with anyio.fail_after(60):
        while True:
            if process is not None:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            await writer.wait_closed()
            return


@asynccontextmanager
async def served_here(app: Any, port: int) -> AsyncIterator[Served]:
    """``app`` served by uvicorn in this event loop on ``port``, until the block ends. Streams
    still open then are cancelled after a second, as uvicorn does with
    ``timeout_graceful_shutdown``."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="error", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        await until_listening(port)
        yield Served(port)
    finally:
        server.should_exit = True
        await serving


@asynccontextmanager
async def mcp_session(
    server: Served,
    notes: list[Any] | None = None,
    *,
    terminate_on_close: bool = True,
    elicitation_callback: ElicitationFnT | None = None,
) -> AsyncIterator[ClientSession]:
    """A handshake-era session of the SDK's client; ``terminate_on_close=False`` leaves as a
    client that crashed does (no DELETE); with ``elicitation_callback`` it declares elicitation."""

    async def note(message: Any) -> None:
        if notes is not None:
            notes.append(message)

    client = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"})
    async with (
        client,
        streamable_http_client(
            server.mcp, http_client=client, terminate_on_close=terminate_on_close
        ) as (read, write),
        ClientSession(
            read, write, message_handler=note, elicitation_callback=elicitation_callback
        ) as session,
    ):
        await session.initialize()
        yield session


def callback_form(**fields: str) -> dict[str, str]:
    return {
        "AccountSid": "AC" + "0" * 32,
        "CallSid": "CA" + "1" * 32,
        "Sid": PAYMENT_SID,
        "DateCreated": "2026-12-01T14:00:00Z",
        "DateUpdated": "2026-12-01T14:00:09Z",
        "Capture": "payment-card-number",
        "PartialResult": "false",
        "PaymentCardNumber": "xxxxxxxxxxxx4242",
        "Required": "expiration-date,security-code,postal-code",
        **fields,
    }


async def post_callback(
    server: Served,
    auth_token: str,
    form: dict[str, str],
    signature: str | None = None,
    path: str = CALLBACK_PATH,
) -> httpx2.Response:
    url = server.base + path
    signed = compute_signature(auth_token, url, form) if signature is None else signature
    async with httpx2.AsyncClient() as client:
        return await client.post(
            url,
            content=urlencode(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signed,
            },
        )
