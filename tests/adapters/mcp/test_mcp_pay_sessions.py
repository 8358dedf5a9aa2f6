"""Subscriptions to Pay sessions in one process, through the SDK's in-memory client (handshake
resources/subscribe and 2026-07-28 subscriptions/listen): each ends on unsubscribe, at the
payment's outcome, when its session is forgotten or its stream closed; their number is bounded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp.client.client import Client
from mcp.shared.exceptions import MCPError
from mcp.shared.subscriptions import ResourceUpdated
from support.credentials import ACCOUNT_SID, TWILIO_ENV
from support.payments import CALL_SID, PAYMENT_SID

from ocp_twilio import OCPAgent
from ocp_twilio.adapters.mcp.pay_sessions import PaySessions
from ocp_twilio.adapters.mcp.server import served_by
from ocp_twilio.payments.progress import callback_event
from ocp_twilio.payments.stores import ProgressStore

OTHER_SID = "PK" + "ff" * 16
pytestmark = pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning")


def event(sid: str = PAYMENT_SID, **fields: str) -> Any:
    base = {"Sid": sid, "AccountSid": ACCOUNT_SID, "CallSid": CALL_SID}
    made = callback_event({**base, "DateCreated": "2026-12-01T14:00:00Z", **fields})
    assert made is not None
    return made


@pytest.fixture
async def paying() -> AsyncIterator[tuple[OCPAgent, ProgressStore]]:
    async with OCPAgent() as agent:
        await agent.register_api("twilio", environ=TWILIO_ENV)
        receiver = agent.status_callback_receiver("https://pay.example.com", environ=TWILIO_ENV)
        yield agent, receiver.store


async def until(condition: Any) -> None:
    with anyio.fail_after(10):
        while not condition():
            await asyncio.sleep(0.01)


async def test_subscriptions_notify_and_end(paying: tuple[OCPAgent, ProgressStore]) -> None:
    agent, store = paying
    server, pay_sessions = served_by(agent, agent.list_tools())
    updated: list[str] = []

    async def note(message: Any) -> None:
        if isinstance(message, types.ResourceUpdatedNotification):
            updated.append(message.params.uri)

    uri, other = f"twilio-pay://{PAYMENT_SID}", f"twilio-pay://{OTHER_SID}"
    async with Client(server, mode="legacy", message_handler=note) as client:
        await client.subscribe_resource(uri)
        await client.subscribe_resource(uri)  # the same subscription, not a second one
        await client.subscribe_resource(other)
        assert len(pay_sessions) == 2
        await store.append(event(Capture="payment-card-number", PartialResult="true"))
        await until(lambda: updated == [uri])
        await client.unsubscribe_resource(uri)
        await until(lambda: len(pay_sessions) == 1)  # its task is cancelled, then ends
        await store.append(event(Capture="payment-card-number", PartialResult="false"))
        await store.append(event(OTHER_SID, Result="success", PaymentConfirmationCode="ch_1"))
        await until(lambda: len(pay_sessions) == 0)  # the payment is over: its watcher ends
        await client.subscribe_resource(other)  # over already: nothing to wait for
        await until(lambda: len(pay_sessions) == 0)
    assert updated == [uri, other]


async def test_the_number_of_subscriptions_is_bounded_and_forgotten_sessions_end_theirs(
    paying: tuple[OCPAgent, ProgressStore],
) -> None:
    agent, _ = paying
    server, pay_sessions = served_by(agent, agent.list_tools())
    pay_sessions.max_subscriptions = 1
    async with Client(server, mode="legacy") as client:
        await client.subscribe_resource(f"twilio-pay://{PAYMENT_SID}")
        with pytest.raises(MCPError, match=r"runs 1 subscription watchers .*, at most 1 at once"):
            await client.subscribe_resource(f"twilio-pay://{OTHER_SID}")
        with pytest.raises(MCPError, match="Not a Pay session, message or call resource"):
            await client.subscribe_resource("file:///etc/passwd")
        pay_sessions.forget("stdio")  # the one connection of an in-process or stdio server
        await until(lambda: len(pay_sessions) == 0)


def test_a_store_that_cannot_list_lists_nothing() -> None:
    class Reader:
        async def append(self, event: Any) -> bool:
            return False

        async def progress(self, sid: str) -> None:
            return None

        async def wait(self, sid: str, after_version: int, timeout: float) -> None:
            return None

    sessions = PaySessions(lambda: Reader())
    listed = asyncio.run(sessions.list_resources(None, None))  # type: ignore[arg-type]
    assert listed.resources == []


async def test_a_listen_stream_of_2026_07_28_hears_of_its_sessions(
    paying: tuple[OCPAgent, ProgressStore],
) -> None:
    agent, store = paying
    server, pay_sessions = served_by(agent, agent.list_tools())
    uri = f"twilio-pay://{PAYMENT_SID}"
    async with Client(server) as client:  # the modern protocol: no resources/subscribe
        async with client.listen(resource_subscriptions=[uri]) as subscription:
            assert len(pay_sessions) == 1
            await store.append(event(Capture="payment-card-number", PartialResult="true"))
            with anyio.fail_after(10):
                heard = await anext(subscription)
        await until(lambda: len(pay_sessions) == 0)  # the stream is closed: so is its watcher
    assert heard == ResourceUpdated(uri)
