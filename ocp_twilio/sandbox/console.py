"""The sandbox console: a page on the sandbox that shows its calls and Pay sessions live, and
lets a person play the caller on a call started for the console, and be the person at the
console's number: see the texts and calls that reach it, and type replies.

Routes, all under ``/sandbox/console``: the page and its two static files, ``/events`` (server-
sent events: a snapshot, then each change), ``/keys`` (the person's key presses) and
``/reply`` (a text the person sends to the sandbox's number). Each needs
the console's session cookie (from the one-time link, console_access.py) or the sandbox's
HTTP Basic login. The events carry masked values only (console_views.py).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from importlib.resources import files
from typing import Any

from aiohttp import web

from .console_access import COOKIE, ConsoleAccess
from .console_views import call_view, moment_view, phone_view
from .errors import SandboxError, bad_request
from .forms import read_form
from .recipients import CONSOLE_NUMBER
from .state import Moment, SandboxState
from .viewers import Viewers

__all__ = ["CONSOLE_PATH", "Console"]

CONSOLE_PATH = "/sandbox/console"
_STATIC = {
    "console.js": "text/javascript",
    "console.css": "text/css",
}
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}
# Entries a new viewer's snapshot starts from (about 600 bytes each: 20 card payments).
_MAX_TIMELINE = 1_000
_NEW_COOKIE = web.RequestKey("new_console_cookie", str)


class Console:
    def __init__(self, state: SandboxState, *, heartbeat: float = 15.0) -> None:
        self.state = state
        self.heartbeat = heartbeat
        self.access = ConsoleAccess()
        limits = state.limits
        self.viewers = Viewers(
            limits.max_viewers, limits.max_viewer_backlog, limits.viewer_lifetime
        )
        self.timeline: deque[dict[str, Any]] = deque(maxlen=_MAX_TIMELINE)
        self._files = {
            name: files(__package__).joinpath("static", name).read_bytes()
            for name in ("console.html", *_STATIC)
        }
        state.watchers.append(self._on_moment)

    def __repr__(self) -> str:
        return f"<Console {len(self.viewers)} viewers>"

    def link(self, base_url: str) -> str:
        """The page's address with a fresh one-time token."""
        return f"{base_url}{CONSOLE_PATH}?token={self.access.new_link()}"

    def admits(self, request: web.Request) -> bool:
        """The console's cookie, or the page's one-time token (exchanged here for a cookie)."""
        if request.path != CONSOLE_PATH and not request.path.startswith(CONSOLE_PATH + "/"):
            return False
        cookie = request.cookies.get(COOKIE, "")
        if not cookie.isascii():  # aiohttp hands bytes that are not UTF-8 on as surrogates
            raise bad_request(f"The {COOKIE} cookie must be ASCII: open the console's link again.")
        if self.access.admits(cookie):
            return True
        token = request.query.get("token")
        if request.path != CONSOLE_PATH or request.method != "GET" or token is None:
            return False
        new_cookie = self.access.redeem(token)
        if new_cookie is not None:
            request[_NEW_COOKIE] = new_cookie
        return new_cookie is not None

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(CONSOLE_PATH, self._page)
        for name in _STATIC:
            app.router.add_get(f"{CONSOLE_PATH}/{name}", self._static)
        app.router.add_get(CONSOLE_PATH + "/events", self._events)
        app.router.add_post(CONSOLE_PATH + "/keys", self._keys)
        app.router.add_post(CONSOLE_PATH + "/reply", self._reply)
        app.on_shutdown.append(self._shutdown)

    def snapshot(self) -> dict[str, Any]:
        calls = [call_view(self.state, call) for call in self.state.calls.values()]
        return {
            "type": "snapshot",
            "calls": calls,
            "timeline": list(self.timeline),
            "phone": phone_view(self.state),
        }

    def _on_moment(self, moment: Moment) -> None:
        if moment.kind == "phone":
            if len(self.viewers):
                self.viewers.publish({"type": "phone", "phone": phone_view(self.state)})
            return
        message: dict[str, Any] = {"type": moment.kind}
        if moment.kind != "call":
            message["entry"] = moment_view(moment)
            self.timeline.append(message["entry"])
        if not len(self.viewers):
            return  # nobody is looking: the call's view is built for the next snapshot
        call = self.state.calls.get(moment.call_sid)
        if call is not None:
            message["call"] = call_view(self.state, call)
        self.viewers.publish(message)

    async def _page(self, request: web.Request) -> web.Response:
        cookie = request.get(_NEW_COOKIE)
        if cookie is not None:
            # The token leaves the address bar (and the history) at once.
            response = web.Response(status=303, headers={"Location": CONSOLE_PATH})
            response.set_cookie(COOKIE, cookie, path=CONSOLE_PATH, httponly=True, samesite="Strict")
            return response
        return self._file("console.html", "text/html")

    async def _static(self, request: web.Request) -> web.Response:
        name = request.path.rsplit("/", 1)[-1]
        return self._file(name, _STATIC[name])

    def _file(self, name: str, content_type: str) -> web.Response:
        return web.Response(
            body=self._files[name],
            content_type=content_type,
            charset="utf-8",
            headers=_SECURITY_HEADERS,
        )

    async def _events(self, request: web.Request) -> web.StreamResponse:
        transport = request.transport
        if transport is None:  # the page went away already
            return web.Response(status=204)
        viewer = self.viewers.join(transport.abort)
        try:
            response = web.StreamResponse(
                headers={"Content-Type": "text/event-stream", **_SECURITY_HEADERS}
            )
            await response.prepare(request)
            await response.write(_event(self.snapshot()))
            while not viewer.dropped:
                try:
                    await asyncio.wait_for(viewer.ready.wait(), self.heartbeat)
                except asyncio.TimeoutError:
                    await response.write(b": still here\n\n")  # finds connections gone quiet
                for message in viewer.take():
                    await response.write(_event(message))
        except ConnectionResetError:
            pass  # the viewer went away, or was dropped
        finally:
            self.viewers.leave(viewer)
        return response

    async def _keys(self, request: web.Request) -> web.Response:
        """The person's key: form fields Sid (the payment) and Key (a digit, # or hang-up)."""
        _same_origin(request)
        form = dict(await read_form(request))
        sid, key = form.get("Sid"), form.get("Key")
        if sid is None or key is None:
            raise SandboxError(400, 64020, "Send the form fields Sid and Key.")
        self.state.press(sid, key)
        return web.json_response({"pressed": True})

    async def _reply(self, request: web.Request) -> web.Response:
        """The person texts the sandbox's number: form field Body."""
        _same_origin(request)
        body = dict(await read_form(request)).get("Body", "")
        message = self.state.messaging.receive(CONSOLE_NUMBER, body)
        return web.json_response({"sid": message.sid})

    async def _shutdown(self, _: web.Application) -> None:
        self.viewers.drop_all()


def _same_origin(request: web.Request) -> None:
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{request.host}":
        raise SandboxError(403, 20403, "Keys and replies are taken only from the console's page.")


def _event(message: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(message, separators=(',', ':'))}\n\n".encode()
