"""A real aiohttp server on 127.0.0.1 playing Twilio's Messages and Calls for the send tests: a
send is answered, held until the client gives up (a timeout after the body left), cut off after
the body was read (a reset), or answered 500; a list answers the records it was given."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.test_utils import TestServer

from ocp_twilio import OCPAgent, SendSettings
from ocp_twilio.specs.model import packaged_schemas_dir
from support.credentials import ACCOUNT_SID, TWILIO_ENV
from support.policy import MESSAGING_SPEC

SEND_TOOL = "api_v2010__createMessage"
CALL_TOOL = "api_v2010__createCall"
MESSAGE: dict[str, Any] = {
    "To": "+15005550199",
    "From": "+15005550006",
    "Body": "Your appointment is at 3pm",
}
CALL: dict[str, Any] = {
    "To": "+15005550199",
    "From": "+15005550006",
    "Url": "https://example.com/twiml",
}
# A lookup that waits no time: tests never sleep out the library's intervals.
QUICK = SendSettings(lookup_interval=0)
_SERVER_ERROR = {"code": 20500, "message": "Internal server error", "status": 500}


def message_record(sid: str = "SM" + "1" * 32, **fields: Any) -> dict[str, Any]:
    """A message as Twilio lists it, created now."""
    from email.utils import formatdate

    record = {
        "sid": sid,
        "account_sid": ACCOUNT_SID,
        "to": MESSAGE["To"],
        "from": MESSAGE["From"],
        "body": MESSAGE["Body"],
        "status": "queued",
        "direction": "outbound-api",
        "date_created": formatdate(usegmt=True),
        "date_sent": None,
        "messaging_service_sid": None,
    }
    record.update(fields)
    return record


@dataclass
class SendServer:
    """``send`` decides how a send is answered: "ok", "hold", "reset", "error" (500) or
    "reject" (400, Twilio's invalid To); ``listed``
    holds the records every list answers (``None``: answer 500)."""

    send: str = "ok"
    listed: list[dict[str, Any]] | None = field(default_factory=list)
    sends: list[dict[str, str]] = field(default_factory=list)
    lists: list[dict[str, str]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        records = "messages" if request.path.endswith("/Messages.json") else "calls"
        if request.method == "GET":
            self.lists.append(dict(request.query))
            if self.listed is None:
                return web.json_response(
                    {"code": 20500, "message": "down", "status": 500}, status=500
                )
            return web.json_response({records: self.listed, "next_page_uri": None})
        form = dict(parse_qsl(body.decode()))
        self.sends.append(form)
        if self.send == "hold":  # the body has arrived; the answer never comes
            await self.release.wait()
        if self.send == "reset":
            assert request.transport is not None
            request.transport.abort()
            await self.release.wait()
        if self.send == "reject":
            invalid = {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}
            return web.json_response(invalid, status=400)
        if self.send == "error":
            return web.json_response(
                {"code": 20500, "message": "Internal", "status": 500}, status=500
            )
        prefix = "SM" if records == "messages" else "CA"
        return web.json_response(
            {"sid": prefix + "2" * 32, "status": "queued", "to": form.get("To")}, status=201
        )


@asynccontextmanager
async def send_server() -> AsyncIterator[SendServer]:
    server = SendServer()
    app = web.Application()
    app.router.add_route("*", r"/{tail:[\s\S]*}", server.handle)
    test_server = TestServer(app, host="127.0.0.1")
    await test_server.start_server()
    server.url = str(test_server.make_url("")).rstrip("/")
    try:
        yield server
    finally:
        server.release.set()
        await test_server.close()


@asynccontextmanager
async def sending_agent(base_url: str, **options: Any) -> AsyncIterator[OCPAgent]:
    """An agent (made with ``options``) whose createMessage and createCall call ``base_url``; no
    retries and a short timeout, so that a held send ends soon."""
    options.setdefault("retries", 0)
    options.setdefault("timeout", 0.5)
    async with OCPAgent(**options) as agent:
        await agent.register_api(
            "twilio",
            spec=[packaged_schemas_dir(), MESSAGING_SPEC],
            base_url=base_url,
            environ=TWILIO_ENV,
        )
        yield agent
