"""Messages, calls and conversations on a real redis-server: the same fold as in memory, TTLs
and caps on every key, and a callback one process receives waking a wait in another."""

from __future__ import annotations

import asyncio
import random

import pytest
import redis.asyncio
from support.credentials import AUTH_TOKEN, TWILIO_ENV
from support.events import (
    CALL_SID,
    MESSAGE_SID,
    OUR_NUMBER,
    PERSON,
    SPEC,
    call_status,
    inbound,
    message_sid,
    message_status,
    tool,
)
from support.progress import post
from support.redis_server import ReceiverProcess, RedisServer, until_blocked

from ocp_twilio import CallbackEvent, MemoryProgressStore, OCPAgent, RedisProgressStore
from ocp_twilio.payments.conversations import conversation_id
from ocp_twilio.payments.kinds import event_of

MESSAGE_STEPS = [
    message_status("queued"),
    message_status("sent", Price="-0.0075", PriceUnit="USD"),
    message_status("delivered"),
    message_status("read"),
]
CALL_STEPS = [
    call_status(s, sequence=i) for i, s in enumerate(["initiated", "ringing", "in-progress"])
] + [call_status("completed", sequence=3, CallDuration="31")]
REPLIES = [inbound("C", message_sid(50)), inbound("thanks", message_sid(51))]


def events() -> list[CallbackEvent]:
    made = [
        *(event_of("message", f) for f in MESSAGE_STEPS),
        *(event_of("call", f) for f in CALL_STEPS),
        *(event_of("reply", f) for f in REPLIES),
    ]
    assert all(isinstance(e, CallbackEvent) for e in made)
    return [e for e in made if isinstance(e, CallbackEvent)]


@pytest.mark.parametrize("seed", range(4))
async def test_shuffled_and_duplicated_callbacks_fold_as_in_memory(
    redis_server: RedisServer, seed: int
) -> None:
    chosen = random.Random(seed)
    arrivals = events() + chosen.sample(events(), 4)  # Twilio's retries
    chosen.shuffle(arrivals)
    memory, shared = MemoryProgressStore(), RedisProgressStore(redis_server.url)
    try:
        for event in arrivals:
            assert await memory.append(event) == await shared.append(event)
        conversation = conversation_id(PERSON, OUR_NUMBER)
        for sid in (MESSAGE_SID, CALL_SID, conversation):
            here, there = await memory.progress(sid), await shared.progress(sid)
            assert here is not None and there is not None
            assert here.for_model() == there.for_model()
        message = (await shared.progress(MESSAGE_SID)).for_model()  # type: ignore[union-attr]
        assert message["status"] == "read" and message["price"] == "-0.0075 USD"
        call = (await shared.progress(CALL_SID)).for_model()  # type: ignore[union-attr]
        assert call["status"] == "completed" and call["duration_seconds"] == "31"
    finally:
        await shared.aclose()


async def test_every_kind_s_keys_have_the_ttl_and_the_cap(redis_server: RedisServer) -> None:
    store = RedisProgressStore(redis_server.url, max_events=2, ttl=120)
    client = redis.asyncio.Redis.from_url(redis_server.url)
    try:
        for event in events():
            await store.append(event)
        keys = [key async for key in client.scan_iter("ocp-twilio:pay:*")]
        assert len(keys) == 6  # events and digests of a message, a call, a conversation
        for key in keys:
            assert 0 < await client.pttl(key) <= 120_000, key
        message = await store.progress(MESSAGE_SID)
        assert message is not None and message.version == 2  # the cap: later ones ignored
    finally:
        await client.aclose()
        await store.aclose()


async def test_a_callback_to_another_process_wakes_wait_for_message_status(
    redis_server: RedisServer,
) -> None:
    receiver = ReceiverProcess(redis_server.url, AUTH_TOKEN)
    pay_url = await asyncio.to_thread(receiver.start)
    message_url = pay_url.replace("/pay-status", "/message-status")
    reply_url = pay_url.replace("/pay-status", "/inbound-message")
    try:
        async with OCPAgent(redis_url=redis_server.url) as agent:
            await agent.register_api("twilio", spec=SPEC, environ=TWILIO_ENV)
            assert await post(message_url, message_status("sent")) == 204
            assert (await tool(agent, "getMessageStatus", {"Sid": MESSAGE_SID}))["version"] == 1
            waiting = asyncio.create_task(
                tool(agent, "waitForMessageStatus", {"Sid": MESSAGE_SID, "TimeoutSeconds": 30})
            )
            await until_blocked(redis_server, 1)
            assert await post(message_url, message_status("delivered")) == 204
            view = await waiting
            assert view["new"] is True and view["status"] == "delivered"

            replying = asyncio.create_task(
                tool(
                    agent, "waitForReply", {"From": PERSON, "To": OUR_NUMBER, "TimeoutSeconds": 30}
                )
            )
            await until_blocked(redis_server, 1)
            assert await post(reply_url, inbound("C")) == 200
            assert (await replying)["reply"]["body"] == "C"
    finally:
        await asyncio.to_thread(receiver.stop)
