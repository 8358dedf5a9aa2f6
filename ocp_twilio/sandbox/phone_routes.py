"""The routes of texts and calls: Twilio's Messages and Calls resources, and the sandbox-only
``/sandbox/number`` that sets where the sandbox's number posts the texts it receives (as an
IncomingPhoneNumber's SmsUrl does on Twilio)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .errors import SandboxError, not_found
from .forms import read_form
from .messaging import check_url
from .recipients import SANDBOX_NUMBER
from .state import SandboxState

__all__ = ["add_phone_routes"]

ACCOUNT = "/2010-04-01/Accounts/{AccountSid}"
_STATE = web.AppKey("phone_state", SandboxState)


def add_phone_routes(app: web.Application, state: SandboxState) -> None:
    app[_STATE] = state
    router = app.router
    router.add_post(ACCOUNT + "/Messages.json", _create_message)
    router.add_get(ACCOUNT + "/Messages.json", _list_messages)
    router.add_get(ACCOUNT + "/Messages/{Sid}.json", _fetch_message)
    router.add_post(ACCOUNT + "/Messages/{Sid}.json", _update_message)
    router.add_delete(ACCOUNT + "/Messages/{Sid}.json", _delete_message)
    router.add_post(ACCOUNT + "/Calls.json", _create_call)
    router.add_get(ACCOUNT + "/Calls.json", _list_calls)
    router.add_get(ACCOUNT + "/Calls/{Sid}.json", _fetch_call)
    router.add_post(ACCOUNT + "/Calls/{Sid}.json", _update_call)
    router.add_post("/sandbox/number", _set_number)


def _account(request: web.Request) -> SandboxState:
    state = request.app[_STATE]
    account_sid = request.match_info["AccountSid"]
    if account_sid != state.account_sid:
        raise not_found(f"Account {account_sid}")
    return state


async def _create_message(request: web.Request) -> web.Response:
    state = _account(request)
    pairs = await read_form(request)
    media = [value for name, value in pairs if name == "MediaUrl"]
    message = state.messaging.create(dict(pairs), media)
    return _json(201, message.resource())


async def _list_messages(request: web.Request) -> web.Response:
    state = _account(request)
    return _json(200, state.messaging.page(request.query, request.path))


async def _fetch_message(request: web.Request) -> web.Response:
    state = _account(request)
    return _json(200, state.messaging.fetch(request.match_info["Sid"]).resource())


async def _update_message(request: web.Request) -> web.Response:
    state = _account(request)
    form = dict(await read_form(request))
    return _json(200, state.messaging.update(request.match_info["Sid"], form).resource())


async def _delete_message(request: web.Request) -> web.Response:
    _account(request).messaging.delete(request.match_info["Sid"])
    return web.Response(status=204)


async def _create_call(request: web.Request) -> web.Response:
    state = _account(request)
    pairs = await read_form(request)
    events = [value for name, value in pairs if name == "StatusCallbackEvent"]
    call = state.voice.create(dict(pairs), events)
    return _json(201, call.resource())


async def _list_calls(request: web.Request) -> web.Response:
    state = _account(request)
    return _json(200, state.voice.page(request.query, request.path))


async def _fetch_call(request: web.Request) -> web.Response:
    state = _account(request)
    return _json(200, state.voice.fetch(request.match_info["Sid"]).resource())


async def _update_call(request: web.Request) -> web.Response:
    state = _account(request)
    form = dict(await read_form(request))
    return _json(200, state.voice.update(request.match_info["Sid"], form).resource())


async def _set_number(request: web.Request) -> web.Response:
    """Sandbox only: form field ``SmsUrl``, where texts to the sandbox's number are posted
    (empty: nowhere; they are still kept and listed)."""
    messaging = request.app[_STATE].messaging
    form = dict(await read_form(request))
    if "SmsUrl" not in form:
        raise SandboxError(400, 21201, "Send the form field SmsUrl (empty: post nowhere).")
    url = form["SmsUrl"]
    if url and not check_url(url):
        raise SandboxError(400, 21205, "SmsUrl must be an absolute http or https URL.")
    messaging.sms_url = url or None
    return _json(200, _number(request.app[_STATE]))


def _number(state: SandboxState) -> dict[str, Any]:
    return {
        "phone_number": SANDBOX_NUMBER,
        "sid": state.voice.phone_number_sid,
        "messaging_service_sid": state.messaging_service_sid,
        "sms_url": state.messaging.sms_url,
    }


def _json(status: int, body: Any) -> web.Response:
    return web.json_response(body, status=status)
