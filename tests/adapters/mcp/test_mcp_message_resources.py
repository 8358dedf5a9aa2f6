"""Messages and calls as MCP resources, twilio-message://{Sid} and twilio-call://{Sid}, through
the SDK's in-memory client: read, listed, and subscribed to until their status is final."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp.client.client import Client
from mcp.shared.exceptions import MCPError
from support.credentials import TWILIO_ENV
from support.events import CALL_SID, MESSAGE_SID, SPEC, call_status, message_status

from ocp_twilio import CallbackEvent, OCPAgent
from ocp_twilio.adapters.mcp.server import served_by
from ocp_twilio.payments.kinds import event_of

pytestmark = pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning")


def event(kind: str, fields: dict[str, str]) -> CallbackEvent:
    made = event_of(kind, fields)
    assert isinstance(made, CallbackEvent)
    return made


async def until(condition: Any) -> None:
    with anyio.fail_after(10):
        while not condition():
            await asyncio.sleep(0.01)


async def test_messages_and_calls_are_resources_to_read_and_follow() -> None:
    async with OCPAgent() as agent:
        await agent.register_api("twilio", spec=SPEC, environ=TWILIO_ENV)
        store = agent.status_callback_receiver(
            "https://hooks.example.com", environ=TWILIO_ENV
        ).store
        server, watchers = served_by(agent, agent.list_tools())
        updated: list[str] = []

        async def note(message: Any) -> None:
            if isinstance(message, types.ResourceUpdatedNotification):
                updated.append(message.params.uri)

        message_uri, call_uri = f"twilio-message://{MESSAGE_SID}", f"twilio-call://{CALL_SID}"
        async with Client(server, mode="legacy", message_handler=note) as client:
            with pytest.raises(MCPError, match="No status callback has come"):
                await client.read_resource(message_uri)
            await client.subscribe_resource(message_uri)
            await client.subscribe_resource(call_uri)
            await store.append(event("message", message_status("sent")))
            await until(lambda: updated == [message_uri])
            read = await client.read_resource(message_uri)
            content = read.contents[0]
            assert isinstance(content, types.TextResourceContents)
            assert json.loads(content.text)["status"] == "sent"
            await store.append(event("call", call_status("no-answer")))
            await until(lambda: call_uri in updated)
            await until(lambda: len(watchers) == 1)  # the call ended: its watcher too
            listed = {r.uri for r in (await client.list_resources()).resources}
            assert listed == {message_uri, call_uri}
            with pytest.raises(MCPError, match="Not a Pay session, message or call resource"):
                await client.read_resource("twilio-message://CA" + "0" * 32)
