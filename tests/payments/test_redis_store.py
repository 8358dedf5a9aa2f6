"""The Redis progress store on a real redis-server (no fake): the state it folds, what it keeps,
processes that share it, restarts of each, an outage, and many payments at once."""

from __future__ import annotations

import asyncio
import random
import sys
from functools import partial
from urllib.parse import urlencode

import aiohttp
import pytest
import redis.asyncio
from support.credentials import AUTH_TOKEN, TWILIO_ENV
from support.memory import growth_between
from support.payments import PAYMENT_SID, STATUS_TOOL, WAIT_TOOL
from support.progress import (
    ALL_ENTERED,
    CARD,
    CARD_ENTERED,
    CARD_REFUSED,
    COMPLETED,
    CVC,
    TYPING,
    callback,
    event_of,
    model_error,
    payment_sid,
    post,
)
from support.redis_server import REDIS_PASSWORD, ReceiverProcess, RedisServer, status_in_new_process

from ocp_twilio import (
    ConfigurationError,
    MemoryProgressStore,
    OCPAgent,
    ProgressStoreUnavailable,
    RedisProgressStore,
    compute_signature,
)

STEPS = [TYPING, CARD_REFUSED, CARD_ENTERED, ALL_ENTERED, COMPLETED]


def raw_client(server: RedisServer) -> redis.asyncio.Redis:
    return redis.asyncio.Redis.from_url(server.url)


# --- the same state as in memory ----------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
async def test_shuffled_and_duplicated_callbacks_give_the_memory_state(
    redis_server: RedisServer, seed: int
) -> None:
    chosen = random.Random(seed)
    sent = [*STEPS, *chosen.choices(STEPS, k=4)]
    chosen.shuffle(sent)
    memory = MemoryProgressStore()
    shared = RedisProgressStore(redis_server.url, key_prefix=f"seed{seed}:")
    try:
        for fields in sent:
            event = event_of(fields)
            assert await shared.append(event) == await memory.append(event)
        in_memory = await memory.progress(PAYMENT_SID)
        in_redis = await shared.progress(PAYMENT_SID)
        assert in_redis == in_memory
        assert in_redis is not None and in_redis.version == len(STEPS)
        assert in_redis.outcome["Result"] == "success"  # an outcome is never undone
        # A new store (as another process has) folds the stream to the same state.
        await shared.aclose()
        assert await shared.progress(PAYMENT_SID) == in_memory
    finally:
        await shared.aclose()


async def test_the_cap_and_the_ttl_bound_every_key(redis_server: RedisServer) -> None:
    shared = RedisProgressStore(redis_server.url, max_events=3, ttl=120)
    client = raw_client(redis_server)
    try:
        stored = [await shared.append(event_of(fields)) for fields in STEPS]
        assert stored == [True, True, True, False, False]  # as MemoryProgressStore's cap
        state = await shared.progress(PAYMENT_SID)
        assert state is not None and state.version == 3
        keys = [key async for key in client.scan_iter()]
        assert len(keys) == 2
        for key in keys:
            assert 0 < await client.pttl(key) <= 120_000, key
        assert await shared.progress(payment_sid(7)) is None
        brief = RedisProgressStore(redis_server.url, ttl=0.05, key_prefix="brief:")
        assert await brief.append(event_of(TYPING))
        await asyncio.sleep(0.3)
        assert await brief.progress(PAYMENT_SID) is None  # expired with its digests
        assert await brief.append(event_of(TYPING)) is True
        await brief.aclose()
    finally:
        await client.aclose()
        await shared.aclose()


async def test_no_card_data_reaches_redis(redis_server: RedisServer) -> None:
    leaky = callback(
        DateUpdated="2026-12-01T14:00:09Z",
        Capture="payment-card-number",
        PartialResult="false",
        PaymentCardNumber=CARD,
        SecurityCode=CVC,
        PaymentError=f"card {CARD} declined",
    )
    client = raw_client(redis_server)
    async with (
        OCPAgent(redis_url=redis_server.url) as agent,
        agent.serve_status_callbacks(environ=TWILIO_ENV) as receiver,
    ):
        assert await post(receiver.url, leaky) == 204
        assert await post(receiver.url, {**COMPLETED, "PaymentToken": CARD}) == 204
        assert await post(receiver.url, ALL_ENTERED) == 204
    try:
        seen = []
        async for key in client.scan_iter():
            kind = await client.type(key)
            if kind == b"stream":
                seen.append(repr(await client.xrange(key)))
            else:
                assert kind == b"set"
                seen.append(repr(await client.smembers(key)))
            seen.append(repr(key))
        text = "".join(seen)
        assert "94105" in text  # the check can find what is there
        assert CARD not in text and CARD[-8:] not in text and CVC not in text
    finally:
        await client.aclose()


# --- processes ----------------------------------------------------------------------------


async def test_a_callback_to_another_process_wakes_the_wait_and_restarts_lose_nothing(
    redis_server: RedisServer,
) -> None:
    receiver = ReceiverProcess(redis_server.url, AUTH_TOKEN)
    url = await asyncio.to_thread(receiver.start)
    try:
        async with OCPAgent(redis_url=redis_server.url) as agent:
            await agent.register_api("twilio", environ=TWILIO_ENV)
            waiting = asyncio.create_task(
                agent.call_tool(WAIT_TOOL, {"Sid": PAYMENT_SID, "TimeoutSeconds": 30})
            )
            await asyncio.sleep(0.1)
            assert await post(url, TYPING) == 204
            update = await waiting
            assert update["new"] is True and update["typing"] is True

            # The receiver restarts mid-payment: its successor stores the next callbacks.
            await asyncio.to_thread(receiver.stop)
            url = await asyncio.to_thread(receiver.start)
            waiting = asyncio.create_task(
                agent.call_tool(WAIT_TOOL, {"Sid": PAYMENT_SID, "TimeoutSeconds": 30})
            )
            await asyncio.sleep(0.1)
            assert await post(url, CARD_ENTERED) == 204
            update = await waiting
            assert update["new"] is True and update["version"] == 2
            assert update["entered"]["card_number"] == "xxxxxxxxxxxx1111"
            assert await post(url, CARD_ENTERED) == 204  # Twilio's retry: one event
            here = await agent.call_tool(STATUS_TOOL, {"Sid": PAYMENT_SID})
            assert here["version"] == 2

        # The agent restarts: a new process reads the session's whole state.
        there = await asyncio.to_thread(
            status_in_new_process, redis_server.url, TWILIO_ENV, PAYMENT_SID
        )
        assert there == here
    finally:
        await asyncio.to_thread(receiver.stop)


async def test_a_redis_restart_with_persistence_loses_nothing(redis_server: RedisServer) -> None:
    writer = RedisProgressStore(redis_server.url)
    for fields in STEPS[:3]:
        assert await writer.append(event_of(fields))
    before = await writer.progress(PAYMENT_SID)
    await writer.aclose()
    redis_server.stop()
    redis_server.start()  # same directory and port: the append-only file is read back
    reader = RedisProgressStore(redis_server.url)
    try:
        assert await reader.progress(PAYMENT_SID) == before
        assert await reader.append(event_of(STEPS[2])) is False  # its digest was kept too
        assert await reader.append(event_of(STEPS[3])) is True
        state = await reader.wait(PAYMENT_SID, 3, timeout=5)
        assert state is not None and state.version == 4
    finally:
        await reader.aclose()


async def test_an_outage_is_a_clear_error_and_a_503_and_nothing_is_lost(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with (
        OCPAgent(redis_url=redis_server.url) as agent,
        agent.serve_status_callbacks(environ=TWILIO_ENV) as receiver,
    ):
        await agent.register_api("twilio", environ=TWILIO_ENV)
        assert await post(receiver.url, TYPING) == 204
        blocked = asyncio.create_task(
            agent.call_tool(WAIT_TOOL, {"Sid": PAYMENT_SID, "AfterVersion": 1})
        )
        await asyncio.sleep(0.2)  # its XREAD blocks, then the server goes
        redis_server.stop()
        with pytest.raises(ProgressStoreUnavailable):
            await blocked

        assert await post(receiver.url, CARD_ENTERED) == 503  # Twilio sends it again later
        with pytest.raises(ProgressStoreUnavailable) as caught:
            await agent.call_tool(STATUS_TOOL, {"Sid": PAYMENT_SID})
        failure = caught.value
        assert failure.retryable and "call the same tool again" in failure.hint
        assert failure.__cause__ is None and failure.__context__ is None
        error = await model_error(agent, WAIT_TOOL, {"Sid": PAYMENT_SID})
        assert "payment progress store at redis://127.0.0.1:" in error
        assert "is unavailable (cannot connect)" in error
        for text in (error, str(failure), repr(failure), caplog.text):
            assert REDIS_PASSWORD not in text

        redis_server.start()
        assert await post(receiver.url, CARD_ENTERED) == 204  # Twilio's retry, stored now
        state = await agent.call_tool(STATUS_TOOL, {"Sid": PAYMENT_SID})
        assert state["version"] == 2 and state["entered"]["card_number"] == "xxxxxxxxxxxx1111"
    assert REDIS_PASSWORD not in repr(agent.progress_store)


# --- many payments ------------------------------------------------------------------------


async def pay_all(url: str, numbers: range) -> None:
    """A callback for each payment, every payment in flight at once."""
    connector = aiohttp.TCPConnector(limit=50)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(number: int) -> None:
            for fields in (TYPING,):
                sent = {**fields, "Sid": payment_sid(number)}
                headers = {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Twilio-Signature": compute_signature(AUTH_TOKEN, url, sent),
                }
                async with session.post(url, data=urlencode(sent), headers=headers) as answer:
                    assert answer.status == 204

        await asyncio.gather(*(one(number) for number in numbers))


async def test_a_thousand_concurrent_payments_keep_the_receiver_flat(
    redis_server: RedisServer,
) -> None:
    async with (
        OCPAgent(redis_url=redis_server.url) as agent,
        agent.serve_status_callbacks(environ=TWILIO_ENV) as receiver,
    ):
        await pay_all(receiver.url, range(1000))  # fills every pool and cache
        growth = await growth_between(
            partial(pay_all, receiver.url, range(1000, 2000)),
            partial(pay_all, receiver.url, range(2000, 3000)),
        )
        # The receiving process keeps nothing per payment (in memory a session takes over
        # 1 KB, so 1,000 more would be 1 MB more): the sessions are in Redis.
        assert growth < 200 * 1024, f"{growth:,} bytes more after 1,000 more payments"
        state = await agent.progress_store.progress(payment_sid(2999))  # type: ignore[union-attr]
        assert state is not None and state.version == 1


# --- settings -----------------------------------------------------------------------------


async def test_the_setting_chooses_the_store(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OCP_TWILIO_REDIS_URL", redis_server.url)
    async with OCPAgent() as agent:
        assert isinstance(agent.progress_store, RedisProgressStore)
        assert (
            repr(agent.progress_store)
            == f"<RedisProgressStore redis://127.0.0.1:{redis_server.port}/0>"
        )
        receiver = agent.status_callback_receiver("https://pay.example.com", environ=TWILIO_ENV)
        assert receiver.store is agent.progress_store
    monkeypatch.delenv("OCP_TWILIO_REDIS_URL")
    async with OCPAgent() as agent:
        assert agent.progress_store is None
    memory = MemoryProgressStore()
    async with OCPAgent(progress_store=memory) as agent:
        assert agent.progress_store is memory
    with pytest.raises(ConfigurationError, match="not both"):
        OCPAgent(progress_store=memory, redis_url=redis_server.url)
    with pytest.raises(ConfigurationError, match="must start with redis://") as caught:
        OCPAgent(redis_url=f"http://:{REDIS_PASSWORD}@127.0.0.1:1")
    assert REDIS_PASSWORD not in str(caught.value)
    with pytest.raises(ConfigurationError, match="port"):
        RedisProgressStore(f"redis://:{REDIS_PASSWORD}@127.0.0.1:99999")


def test_without_redis_py_the_setting_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "ocp_twilio.payments.redis_store")
    monkeypatch.setitem(sys.modules, "redis", None)  # import redis fails, as without it
    with pytest.raises(ConfigurationError, match=r"install -e '\.\[redis\]'"):
        OCPAgent(redis_url="redis://127.0.0.1:6379/0")
