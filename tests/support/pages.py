"""Twilio's list pages, answered by a real server on 127.0.0.1: the 2010 API's shape
(``next_page_uri``) and the v1 services' (``meta.next_page_url``), from Twilio's own files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from ocp_twilio import OCPAgent
from support.credentials import ACCOUNT_SID, TWILIO_ENV
from support.files import SHARED_OAI
from support.servers import RecordingServer, serve_recording

# The two shapes, each of Twilio's own files: ListMessage and ListConversation.
LIST_SPECS = [SHARED_OAI / "twilio_api_v2010.yaml", SHARED_OAI / "twilio_conversations_v1.yaml"]
# Where a next link of the answers points: never followed, only its page values are kept.
FOREIGN_HOST = "https://attacker.example"


def message(page: int, index: int) -> dict[str, Any]:
    """A message record as the 2010 API lists it, its links and nulls included."""
    sid = f"SM{page:02d}{index:030d}"
    base = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}"
    return {
        "account_sid": ACCOUNT_SID,
        "sid": sid,
        "status": "delivered",
        "to": "+15558675310",
        "from": "+15017122661",
        "body": f"Message {index} of page {page}",
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "price": None,
        "date_sent": "Fri, 24 May 2019 17:44:50 +0000",
        "uri": base + ".json",
        "subresource_uris": {"media": base + "/Media.json", "feedback": base + "/Feedback.json"},
    }


def conversation(page: int, index: int) -> dict[str, Any]:
    sid = f"CH{page:02d}{index:030d}"
    url = f"https://conversations.twilio.com/v1/Conversations/{sid}"
    return {
        "sid": sid,
        "account_sid": ACCOUNT_SID,
        "friendly_name": f"Visit {index}",
        "unique_name": None,
        "state": "active",
        "url": url,
        "links": {"participants": url + "/Participants", "messages": url + "/Messages"},
    }


def pages_of(total_pages: int) -> Any:
    """A responder: pages 0 .. total_pages-1 of messages or conversations (by the path), as
    many records as PageSize asks, each next link on a foreign host."""

    def respond(request: web.Request) -> web.Response:
        query = request.rel_url.query
        page = int(query.get("Page", "0"))
        size = int(query.get("PageSize", "50"))
        if "/Messages/SM" in request.path:  # fetchMessage
            return web.json_response(message(0, 0))
        last = page >= total_pages - 1
        link = (
            f"{FOREIGN_HOST}{request.path}?PageSize={size}&Page={page + 1}&PageToken=PT{page + 1}"
        )
        if "Conversations" in request.path:
            records = [conversation(page, i) for i in range(size)]
            meta = {"page": page, "page_size": size, "key": "conversations"}
            meta["next_page_url"] = None if last else link
            return web.json_response({"conversations": records, "meta": meta})
        body = {
            "messages": [message(page, i) for i in range(size)],
            "next_page_uri": None if last else link,
            "page": page,
            "page_size": size,
            "start": 0,
            "end": size - 1,
            "uri": request.path_qs,
            "first_page_uri": request.path,
            "previous_page_uri": None,
        }
        return web.json_response(body)

    return respond


@asynccontextmanager
async def list_agent(
    total_pages: int = 4, **options: Any
) -> AsyncIterator[tuple[OCPAgent, RecordingServer]]:
    """An agent with Twilio's Messages and Conversations tools, on a server answering pages."""
    async with serve_recording() as server:
        server.respond = pages_of(total_pages)
        async with OCPAgent(**options) as agent:
            await agent.register_api(
                "twilio", spec=LIST_SPECS, base_url=server.url, environ=TWILIO_ENV
            )
            yield agent, server
