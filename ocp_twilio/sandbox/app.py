"""The sandbox's routes: Twilio's Payments endpoints (its Messages and Calls: phone_routes.py),
and the sandbox-only ones under /sandbox/.

Every request needs HTTP Basic auth with the sandbox's Account SID and Auth Token, or its API
key SID and secret, as Twilio accepts them; the console's routes (console.py) also take its
session cookie. Only the method, the path (card-like digits masked)
and the status are logged: request bodies may carry payment data. Whatever a client sends, the
answer is Twilio's error body, never a 500 for a malformed request.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .caller import CAPTURES
from .console import Console
from .errors import SandboxError, bad_request, error_body, invalid_parameter, not_found
from .forms import read_form
from .idempotency import Answer, fingerprint
from .phone_routes import add_phone_routes
from .session import PaySession
from .state import Moment, SandboxState
from .test_data import redact_card_like

__all__ = ["CONSOLE_KEY", "MAX_BODY_BYTES", "PAYMENTS_PATH", "STATE_KEY", "create_app"]

logger = logging.getLogger("ocp_twilio.sandbox")

PAYMENTS_PATH = "/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Payments"
STATE_KEY = web.AppKey("state", SandboxState)
CONSOLE_KEY = web.AppKey("console", Console)
MAX_BODY_BYTES = 64 * 1024
# Twilio publishes no codes for these; the sandbox's choice, in Twilio's pattern.
_HTTP_ERROR_CODES = {405: 20004, 413: 20413}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(state: SandboxState, console: Console) -> web.Application:
    app = web.Application(
        middlewares=[_errors_and_log, _basic_auth], client_max_size=MAX_BODY_BYTES
    )
    app[STATE_KEY] = state
    app[CONSOLE_KEY] = console
    console.add_routes(app)
    app.router.add_post(PAYMENTS_PATH + ".json", _create_payment)
    app.router.add_post(PAYMENTS_PATH + "/{Sid}.json", _update_payment)
    app.router.add_post("/sandbox/calls", _start_call)
    app.router.add_get("/sandbox/events", _list_events)
    add_phone_routes(app, state)
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
    except web.HTTPMethodNotAllowed as exc:
        message = f"Method {request.method} not allowed"
        response = _json(405, error_body(405, _HTTP_ERROR_CODES[405], message))
        response.headers["Allow"] = ", ".join(sorted(exc.allowed_methods))
    except web.HTTPRequestEntityTooLarge:
        message = f"The request body is larger than {MAX_BODY_BYTES} bytes."
        response = _json(413, error_body(413, _HTTP_ERROR_CODES[413], message))
    # As Twilio's: every answer names its request, for support (and for TwilioAPIError).
    response.headers["Twilio-Request-Id"] = "RQ" + secrets.token_hex(16)
    logger.info("%s %s -> %d", request.method, redact_card_like(request.path), response.status)
    return response


@web.middleware
async def _basic_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    if request.app[CONSOLE_KEY].admits(request):
        return await handler(request)
    header = request.headers.get("Authorization", "")
    if not header.isascii():
        raise bad_request("The Authorization header must be ASCII.")
    username, password = _basic_credentials(header)
    logins = [(state.account_sid, state.auth_token), (state.api_key_sid, state.api_key_secret)]
    # Bytes: compare_digest refuses non-ASCII text, and the decoded login may hold any.
    valid = [
        hmac.compare_digest(username.encode(), user.encode())
        & hmac.compare_digest(password.encode(), secret.encode())
        for user, secret in logins
    ]
    if not any(valid):
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
    """Sandbox only: start a simulated live call; form fields named after captures script
    what its caller keys in, in order (``payment-card-number=4111111111111112&…``), or
    ``Caller=console``: the person at the console keys in."""
    state = request.app[STATE_KEY]
    pairs = await read_form(request)
    callers = {v for k, v in pairs if k == "Caller"}
    if callers - {"console"} or (callers and len(pairs) > 1):
        raise invalid_parameter("Caller may only be console, and then with no script.")
    call_sid = state.start_call(pairs if not callers else (), console=bool(callers))
    return _json(201, {"sid": call_sid, "account_sid": state.account_sid, "status": "in-progress"})


async def _list_events(request: web.Request) -> web.Response:
    """Sandbox only: the recorded webhooks, optionally of one payment, text or call (?Sid=)."""
    state = request.app[STATE_KEY]
    sid = request.query.get("Sid")
    events = [{**dataclasses.asdict(e), "sid": e.sid} for e in state.events if sid in (None, e.sid)]
    return _json(200, {"events": events})


Step = Callable[[dict[str, str]], PaySession]


async def _idempotent(request: web.Request, step: Step, status: int) -> web.Response:
    """Run ``step`` once per IdempotencyKey; a repeat gets the first answer and changes nothing."""
    pairs = await read_form(request)
    form = dict(pairs)
    account_sid = request.match_info["AccountSid"]
    key = form.get("IdempotencyKey")
    if not key:
        raise SandboxError(400, 64020, "Missing required parameter IdempotencyKey.")
    state = request.app[STATE_KEY]
    seen = fingerprint(request.method, request.path, pairs)
    answer = state.idempotency.replay(account_sid, key, seen)
    if answer is None:
        with state.answering() as told:
            try:
                answer = Answer(status, step(form).resource())
            except SandboxError as exc:
                error = {"ErrorCode": str(exc.code), "ErrorMessage": exc.message}
                told += _request_moment(state, request, form, exc.status, error)
                raise
            state.idempotency.remember(account_sid, key, seen, answer)
            told += _request_moment(state, request, form, status, {"Sid": answer.body["sid"]})
    return _json(answer.status, answer.body)


def _request_moment(
    state: SandboxState,
    request: web.Request,
    form: dict[str, str],
    status: int,
    outcome: dict[str, str],
) -> list[Moment]:
    """What the console shows of a request to a known call: only the checked Capture or
    Status, the answer's status and the payment's sid or the error (a client may send
    anything else)."""
    call_sid = request.match_info["CallSid"]
    if call_sid not in state.calls:
        return []
    sid = request.match_info.get("Sid", outcome.get("Sid"))
    fields = {
        "Request": f"{'update' if 'Sid' in request.match_info else 'create'}Payments",
        "Answer": str(status),
        **({"Sid": sid} if sid in state.sessions else {}),
        **{k: v for k, v in form.items() if k == "Capture" and v in CAPTURES},
        **{k: v for k, v in form.items() if k == "Status" and v in ("complete", "cancel")},
        **{k: v for k, v in outcome.items() if k != "Sid"},
    }
    return [Moment(call_sid, "request", fields)]


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
