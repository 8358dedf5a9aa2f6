"""Helpers for the sandbox tests: raw requests that bypass the library's own validation."""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

from ocp_twilio import OCPAgent
from ocp_twilio.sandbox import Sandbox
from support.payments import CREATE_TOOL, UPDATE_TOOL

CAPTURES = ("payment-card-number", "expiration-date", "security-code", "postal-code")
CALLBACK = "https://agent.example/pay-status"
T = TypeVar("T")


def payments_path(sandbox: Sandbox, call_sid: str, sid: str | None = None) -> str:
    tail = f"/{sid}.json" if sid else ".json"
    return f"/2010-04-01/Accounts/{sandbox.account_sid}/Calls/{call_sid}/Payments{tail}"


async def raw_post(
    sandbox: Sandbox,
    path: str,
    form: dict[str, str] | None = None,
    *,
    authorization: str | None = None,
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """POST a form to the sandbox as any HTTP client would; returns status, JSON, headers.

    ``authorization`` replaces the sandbox's own credentials ("" sends none).
    """
    if authorization is None:
        authorization = basic_auth(sandbox.account_sid, sandbox.auth_token)
    headers = {"Authorization": authorization} if authorization else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(sandbox.url + path, data=form or {}, headers=headers) as response,
    ):
        return response.status, await response.json(), dict(response.headers)


def basic_auth(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def payment_arguments(
    call_sid: str, sid: str, key: str, callback: str = CALLBACK, **step: str
) -> dict[str, str]:
    return {
        "CallSid": call_sid,
        "Sid": sid,
        "IdempotencyKey": key,
        "StatusCallback": callback,
        **step,
    }


@contextmanager
def loop_in_thread() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running on its own thread, for synchronous tests (click's CliRunner runs
    asyncio; Selenium blocks)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def run_on(
    loop: asyncio.AbstractEventLoop, coroutine: Coroutine[Any, Any, T], timeout: float = 10
) -> T:
    return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout)


@contextmanager
def sandbox_in_thread(**options: Any) -> Iterator[Sandbox]:
    """A sandbox on an event loop of its own thread (``options``: the Sandbox's)."""
    with loop_in_thread() as loop:
        running = run_on(loop, Sandbox(**options).start())
        try:
            yield running
        finally:
            run_on(loop, running.aclose())


async def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``condition`` until it holds; fail the test after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.01)


async def run_card_payment(agent: OCPAgent, call_sid: str, callback: str = CALLBACK) -> str:
    """createPayments, the four captures and complete; returns the payment sid."""
    created = await agent.call_tool(
        "createPayments",
        {"CallSid": call_sid, "IdempotencyKey": f"{call_sid}-create", "StatusCallback": callback},
    )
    sid = str(created["sid"])
    for field in CAPTURES:
        step = payment_arguments(call_sid, sid, f"{sid}-{field}", callback, Capture=field)
        await agent.call_tool("updatePayments", step)
    done = payment_arguments(call_sid, sid, f"{sid}-done", callback, Status="complete")
    await agent.call_tool("updatePayments", done)
    return sid


UNKNOWN_CALL = "CA" + "0" * 32  # the sandbox answers 404 (Twilio error 20404) for it


def create_call(call_sid: str, **more: Any) -> tuple[str, dict[str, Any]]:
    """A createPayments call, as a model would ask for it."""
    arguments = {"CallSid": call_sid, "IdempotencyKey": "k1", "StatusCallback": CALLBACK, **more}
    return CREATE_TOOL, arguments


def conflicting_update(call_sid: str) -> tuple[str, dict[str, Any]]:
    """An updatePayments call with both Capture and Status: refused before anything is sent."""
    step = payment_arguments(
        call_sid, "PK" + "0" * 32, "k2", Capture="security-code", Status="complete"
    )
    return UPDATE_TOOL, step


class PhoneReceiver:
    """A real aiohttp server on 127.0.0.1 recording the webhooks of texts and calls: each
    request's fields (form or query), and whether twilio-python's validator accepts its
    signature under the sandbox's Auth Token."""

    def __init__(self, auth_token: str) -> None:
        self.validator = RequestValidator(auth_token)
        self.received: list[Webhook] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> PhoneReceiver:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._record)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def of(self, sid: str) -> list[dict[str, str]]:
        """The fields of the webhooks about ``sid``, in arrival order."""
        return [
            w.fields
            for w in self.received
            if sid in (w.fields.get("MessageSid"), w.fields.get("CallSid"))
        ]

    async def _record(self, request: web.Request) -> web.Response:
        url = self.url + request.path_qs
        form = dict(await request.post()) if request.method == "POST" else {}
        signature = request.headers.get("X-Twilio-Signature", "")
        fields = {k: str(v) for k, v in (form or request.query).items()}
        signed = self.validator.validate(url, {k: str(v) for k, v in form.items()}, signature)
        self.received.append(Webhook(request.method, request.path, fields, signed))
        return web.Response(status=204)


@dataclass(frozen=True)
class Webhook:
    method: str
    path: str
    fields: dict[str, str]
    signed: bool


def started_sandboxes(monkeypatch: Any, module: Any) -> list[Sandbox]:
    """The Sandboxes ``module`` starts from now on, in order: its ``Sandbox`` is swapped for one
    that records itself (a test then reads their secrets, to look for them in the output)."""
    started: list[Sandbox] = []

    class Recorded(Sandbox):
        async def start(self) -> Sandbox:
            started.append(self)
            return await super().start()

    monkeypatch.setattr(module, "Sandbox", Recorded)
    return started
