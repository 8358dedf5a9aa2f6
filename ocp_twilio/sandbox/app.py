"""The sandbox's routes: Twilio's Payments endpoints, and the sandbox-only ones under /sandbox/.

Every request needs HTTP Basic auth with the sandbox's account SID and auth token. Only the
method, path and status are logged: request bodies may carry payment data.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .callbacks import CallbackEvent, CallbackPoster
from .errors import SandboxError, error_body, not_found
from .idempotency import Answer, fingerprint
from .session import PaySession
from .state import SandboxState

__all__ = ["PAYMENTS_PATH", "STATE_KEY", "create_app"]

logger = logging.getLogger("ocp_twilio.sandbox")

PAYMENTS_PATH = "/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Payments"
STATE_KEY = web.AppKey("state", SandboxState)
POSTER_KEY = web.AppKey("poster", CallbackPoster)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(state: SandboxState, poster: CallbackPoster) -> web.Application:
    app = web.Application(middlewares=[_errors_and_log, _basic_auth])
    app[STATE_KEY] = state
    app[POSTER_KEY] = poster
    app.router.add_post(PAYMENTS_PATH + ".json", _create_payment)
    app.router.add_post(PAYMENTS_PATH + "/{Sid}.json", _update_payment)
    app.router.add_post("/sandbox/calls", _start_call)
    app.router.add_get("/sandbox/events", _list_events)
    return app


@web.middleware
async def _errors_and_log(request: web.Request, handler: Handler) -> web.StreamResponse:
    request.app[STATE_KEY].requests_received += 1
    try:
        response = await handler(request)
    except SandboxError as exc:
        response = _json(exc.status, exc.body)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
    except web.HTTPNotFound:
        response = _json(404, not_found(request.path).body)
    except web.HTTPMethodNotAllowed:
        response = _json(405, error_body(405, 20004, f"Method {request.method} not allowed"))
    logger.info("%s %s -> %d", request.method, request.path, response.status)
    return response


@web.middleware
async def _basic_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    username, password = _basic_credentials(request.headers.get("Authorization", ""))
    # Bytes: compare_digest refuses non-ASCII text, and a client may send any.
    valid = hmac.compare_digest(username.encode(), state.account_sid.encode()) & (
        hmac.compare_digest(password.encode(), state.auth_token.encode())
    )
    if not valid:
        raise SandboxError(401, 20003, "Authenticate")
    return await handler(request)


async def _create_payment(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    return await _idempotent(
        request,
        lambda form: state.create_payment(
            request.match_info["AccountSid"], request.match_info["CallSid"], form
        ),
        201,
    )


async def _update_payment(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    info = request.match_info
    return await _idempotent(
        request,
        lambda form: state.update_payment(info["AccountSid"], info["CallSid"], info["Sid"], form),
        202,
    )


async def _start_call(request: web.Request) -> web.Response:
    """Sandbox only: start a simulated live call."""
    state = request.app[STATE_KEY]
    call_sid = state.start_call()
    return _json(201, {"sid": call_sid, "account_sid": state.account_sid, "status": "in-progress"})


async def _list_events(request: web.Request) -> web.Response:
    """Sandbox only: the recorded StatusCallback events, optionally of one payment (?Sid=)."""
    state = request.app[STATE_KEY]
    sid = request.query.get("Sid")
    events = [
        {**dataclasses.asdict(e), "payment_sid": e.payment_sid}
        for e in state.events
        if sid is None or e.payment_sid == sid
    ]
    return _json(200, {"events": events})


Step = Callable[[dict[str, str]], tuple[PaySession, CallbackEvent]]


async def _idempotent(request: web.Request, step: Step, status: int) -> web.Response:
    """Run ``step`` once per IdempotencyKey; a repeat gets the first answer and changes nothing."""
    pairs = [(k, v) for k, v in (await request.post()).items() if isinstance(v, str)]
    form = dict(pairs)
    account_sid = request.match_info["AccountSid"]
    key = form.get("IdempotencyKey")
    if not key:
        raise SandboxError(400, 64020, "Missing required parameter IdempotencyKey.")
    state = request.app[STATE_KEY]
    seen = fingerprint(request.method, request.path, pairs)
    answer = state.idempotency.replay(account_sid, key, seen)
    if answer is None:
        session, event = step(form)
        answer = Answer(status, session.resource())
        state.idempotency.remember(account_sid, key, seen, answer)
        request.app[POSTER_KEY].post(event)
    return _json(answer.status, answer.body)


def _basic_credentials(header: str) -> tuple[str, str]:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    username, _, password = decoded.partition(":")
    return username, password


def _json(status: int, body: Any) -> web.Response:
    return web.json_response(body, status=status)
