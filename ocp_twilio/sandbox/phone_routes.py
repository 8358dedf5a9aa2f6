"""The routes of texts and calls: Twilio's Messages and Calls resources, and the sandbox-only
``/sandbox/number`` that sets where the sandbox's number posts the texts it receives (as an
IncomingPhoneNumber's SmsUrl does on Twilio)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from aiohttp import web

from .errors import SandboxError, not_found
from .forms import read_form
from .messaging import check_url
from .recipients import SANDBOX_NUMBER
from .state import SandboxState

__all__ = ["add_phone_routes"]

ACCOUNT = "/2010-04-01/Accounts/{AccountSid}"
_STATE = web.AppKey("phone_state", SandboxState)


class _Resource(Protocol):
    def resource(self) -> dict[str, object]: ...


class _Store(Protocol):
    def create(self, pairs: Sequence[tuple[str, str]]) -> _Resource: ...
    def fetch(self, sid: str) -> _Resource: ...
    def update(self, sid: str, form: Mapping[str, str]) -> _Resource: ...
    def page(self, query: Mapping[str, str], path: str) -> dict[str, object]: ...


def add_phone_routes(app: web.Application, state: SandboxState) -> None:
    app[_STATE] = state
    router = app.router
    for name, store in [("Messages", _messages), ("Calls", _calls)]:
        router.add_post(f"{ACCOUNT}/{name}.json", _create(store))
        router.add_get(f"{ACCOUNT}/{name}.json", _list(store))
        router.add_get(f"{ACCOUNT}/{name}/{{Sid}}.json", _fetch(store))
        router.add_post(f"{ACCOUNT}/{name}/{{Sid}}.json", _update(store))
    router.add_delete(ACCOUNT + "/Messages/{Sid}.json", _delete_message)
    router.add_post("/sandbox/number", _set_number)


def _messages(request: web.Request) -> _Store:
    return _account(request).messaging


def _calls(request: web.Request) -> _Store:
    return _account(request).voice


def _account(request: web.Request) -> SandboxState:
    state = request.app[_STATE]
    account_sid = request.match_info["AccountSid"]
    if account_sid != state.account_sid:
        raise not_found(f"Account {account_sid}")
    return state


StoreOf = Callable[[web.Request], _Store]
Handler = Callable[[web.Request], Awaitable[web.Response]]


def _create(store: StoreOf) -> Handler:
    async def create(request: web.Request) -> web.Response:
        chosen = store(request)
        return _json(201, chosen.create(await read_form(request)).resource())

    return create


def _list(store: StoreOf) -> Handler:
    async def list_page(request: web.Request) -> web.Response:
        return _json(200, store(request).page(request.query, request.path))

    return list_page


def _fetch(store: StoreOf) -> Handler:
    async def fetch(request: web.Request) -> web.Response:
        return _json(200, store(request).fetch(request.match_info["Sid"]).resource())

    return fetch


def _update(store: StoreOf) -> Handler:
    async def update(request: web.Request) -> web.Response:
        chosen = store(request)
        form = dict(await read_form(request))
        return _json(200, chosen.update(request.match_info["Sid"], form).resource())

    return update


async def _delete_message(request: web.Request) -> web.Response:
    _account(request).messaging.delete(request.match_info["Sid"])
    return web.Response(status=204)


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
