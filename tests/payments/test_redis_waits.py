"""Waits for payment progress on a real redis-server: each lasts as long as it says (past
redis-py's 5 s socket timeout), waits never starve the receiver, one wait past the bound is a
clear error, and ten times the bounds leave tasks, connections and memory flat."""

from __future__ import annotations

import asyncio
import time
from functools import partial

import pytest
from support.credentials import TWILIO_ENV
from support.memory import growth_between
from support.payments import PAYMENT_SID, STATUS_TOOL, WAIT_TOOL
from support.progress import CARD_ENTERED, TYPING, event_of, model_error, payment_sid, post
from support.redis_server import REDIS_PASSWORD, RedisServer, connections_to, until_blocked

from ocp_twilio import (
    ConfigurationError,
    OCPAgent,
    PaymentProgress,
    ProgressStoreUnavailable,
    RedisProgressStore,
    TooManyWaits,
)

# redis-py 8's default socket timeout, which used to end every wait longer than it.
REDIS_PY_SOCKET_TIMEOUT = 5
# The connections a store keeps for commands (appends and reads), beside those of its waits.
COMMAND_CONNECTIONS = 50


@pytest.mark.slow  # waits out 7 s of real time
async def test_200_waits_outlast_the_socket_timeout_beside_a_stream_of_callbacks(
    redis_server: RedisServer,
) -> None:
    quiet = [payment_sid(n) for n in range(100)]  # no callback: each wait times out
    woken = [payment_sid(n) for n in range(100, 200)]  # a callback from the stream wakes it
    busy = [payment_sid(n) for n in range(200, 300)]  # callbacks that nobody waits for
    seconds = REDIS_PY_SOCKET_TIMEOUT + 2
    async with (
        OCPAgent(redis_url=redis_server.url) as agent,
        agent.serve_status_callbacks(environ=TWILIO_ENV) as receiver,
    ):
        await agent.register_api("twilio", environ=TWILIO_ENV)
        waits = [
            asyncio.create_task(agent.call_tool(WAIT_TOOL, {"Sid": sid, "TimeoutSeconds": timeout}))
            for sids, timeout in ((quiet, seconds), (woken, 60))
            for sid in sids
        ]
        clients = await until_blocked(redis_server, 200)
        assert len(clients) <= 200 + COMMAND_CONNECTIONS

        # The stream, 20 callbacks at a time, each answered while the 200 waits block.
        answers: list[int] = []
        for first in range(0, 200, 20):
            batch = (busy + woken)[first : first + 20]
            answers += await asyncio.gather(
                *(post(receiver.url, {**TYPING, "Sid": sid}) for sid in batch)
            )
            state = await agent.call_tool(STATUS_TOOL, {"Sid": batch[0]})
            assert state["version"] == 1
        assert answers == [204] * 200

        results = await asyncio.gather(*waits)
    for sid, result in zip(quiet + woken, results, strict=True):
        assert result["sid"] == sid
        if sid in quiet:
            assert result["new"] is False and result["version"] == 0
            assert result["note"].startswith(f"Nothing new came within {seconds} s")
        else:
            assert result["new"] is True and result["typing"] is True


async def test_one_wait_past_the_bound_is_refused_clearly_and_nothing_else_is(
    redis_server: RedisServer,
) -> None:
    with pytest.raises(ConfigurationError, match="max_waits must be at least 1"):
        RedisProgressStore(redis_server.url, max_waits=0)
    store = RedisProgressStore(redis_server.url, max_waits=5)
    async with (
        OCPAgent(progress_store=store) as agent,
        agent.serve_status_callbacks(environ=TWILIO_ENV) as receiver,
    ):
        await agent.register_api("twilio", environ=TWILIO_ENV)
        holding = [
            asyncio.create_task(
                agent.call_tool(WAIT_TOOL, {"Sid": payment_sid(n), "TimeoutSeconds": 60})
            )
            for n in range(5)
        ]
        await until_blocked(redis_server, 5)

        with pytest.raises(TooManyWaits) as caught:
            await agent.call_tool(WAIT_TOOL, {"Sid": PAYMENT_SID})
        failure = caught.value
        assert isinstance(failure, ProgressStoreUnavailable) and failure.retryable
        assert "5 waits for payment progress are already blocked" in str(failure)
        assert "max_waits" in str(failure) and REDIS_PASSWORD not in str(failure)
        error = await model_error(agent, WAIT_TOOL, {"Sid": PAYMENT_SID})
        assert "Call getPaymentStatus for the current state" in error

        # Nothing else is refused: a callback is stored, the status answers, and a wait that
        # finds news at once needs no blocking read.
        assert await post(receiver.url, TYPING) == 204
        assert (await agent.call_tool(STATUS_TOOL, {"Sid": PAYMENT_SID}))["version"] == 1
        update = await agent.call_tool(WAIT_TOOL, {"Sid": PAYMENT_SID, "AfterVersion": 0})
        assert update["new"] is True

        # A wait that ends, woken or cancelled, gives its place back.
        assert await post(receiver.url, {**TYPING, "Sid": payment_sid(0)}) == 204
        assert (await holding[0])["new"] is True
        holding[1].cancel()
        with pytest.raises(asyncio.CancelledError):
            await holding[1]
        again = [
            asyncio.create_task(agent.call_tool(WAIT_TOOL, {"Sid": PAYMENT_SID})) for _ in range(2)
        ]
        await until_blocked(redis_server, 5)
        assert await post(receiver.url, CARD_ENTERED) == 204
        for update in await asyncio.gather(*again):
            assert update["new"] is True and update["version"] == 2
        for task in holding[2:]:
            task.cancel()
        await asyncio.gather(*holding[2:], return_exceptions=True)
    await store.aclose()  # the agent closes only a store it made


async def ten_times_the_bounds(store: RedisProgressStore, server: RedisServer, first: int) -> None:
    """10 x max_waits waits at once (max_waits block, the others are refused), then
    10 x the command connections' callbacks at once, which wake the blocked ones."""
    assert store.max_waits == 20
    sids = [payment_sid(first + n) for n in range(10 * COMMAND_CONNECTIONS)]
    waits = [asyncio.create_task(store.wait(sid, 0, 60)) for sid in sids[:200]]
    await until_blocked(server, 20)
    deadline = time.monotonic() + 30
    while sum(task.done() for task in waits) < 180:
        assert time.monotonic() < deadline, "the waits past the bound were not refused"
        await asyncio.sleep(0.01)
    blocked = [c for c in await connections_to(server) if "b" in c["flags"]]
    assert len(blocked) == 20

    stored = await asyncio.gather(*(store.append(event_of({**TYPING, "Sid": s})) for s in sids))
    assert stored == [True] * len(sids)  # a burst queues for a connection, none fails
    outcomes = await asyncio.gather(*waits, return_exceptions=True)
    refused = [o for o in outcomes if isinstance(o, TooManyWaits)]
    woken = [o for o in outcomes if isinstance(o, PaymentProgress) and o.version == 1]
    assert (len(refused), len(woken)) == (180, 20)


async def test_ten_times_the_bounds_leave_tasks_connections_and_memory_flat(
    redis_server: RedisServer,
) -> None:
    store = RedisProgressStore(redis_server.url, max_waits=20)
    tasks = len(asyncio.all_tasks())
    try:
        await ten_times_the_bounds(store, redis_server, 0)  # fills every pool
        connections = len(await connections_to(redis_server))
        assert connections <= 20 + COMMAND_CONNECTIONS

        async def one_more_round(first: int) -> None:
            await ten_times_the_bounds(store, redis_server, first)
            assert len(asyncio.all_tasks()) == tasks
            assert len(await connections_to(redis_server)) == connections

        growth = await growth_between(partial(one_more_round, 1000), partial(one_more_round, 2000))
        assert growth < 100 * 1024, f"{growth:,} bytes more after another round"
    finally:
        await store.aclose()
