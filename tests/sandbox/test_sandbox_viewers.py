"""Console viewers that never read, over real sockets: they hold the console's places only until
their backlog overflows (a busy console) or their stream's lifetime ends (a quiet one); then
they are dropped, a new viewer gets a place, and tasks and memory stay flat across ten times
the cap of them."""

from __future__ import annotations

import asyncio
import gc
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import aiohttp
import pytest
from support.console import CONSOLE, console_client, messages
from support.sandbox import basic_auth, payments_path, raw_post, wait_until

from ocp_twilio.sandbox import Limits, Sandbox

CALLBACK = "https://agent.example/pay-status"  # not on loopback: recorded, never posted


@asynccontextmanager
async def non_readers(sandbox: Sandbox, count: int) -> AsyncIterator[list[socket.socket]]:
    """``count`` clients that open the console's event stream and never read a byte of it."""
    loop = asyncio.get_running_loop()
    port = int(sandbox.url.rsplit(":", 1)[1])
    login = basic_auth(sandbox.account_sid, sandbox.auth_token)
    request = f"GET {CONSOLE}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {login}\r\n\r\n"
    opened: list[socket.socket] = []
    try:
        for _ in range(count):
            client = socket.socket()
            opened.append(client)
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            client.setblocking(False)
            await loop.sock_connect(client, ("127.0.0.1", port))
            await loop.sock_sendall(client, request.encode())
        yield opened
    finally:
        for client in opened:
            client.close()


async def refused_for_now(sandbox: Sandbox, client: aiohttp.ClientSession) -> str:
    """A viewer past the cap: 503, saying how long a silent page keeps its place."""
    async with client.get(sandbox.url + CONSOLE + "/events") as refused:
        assert refused.status == 503
        return str((await refused.json())["message"])


async def a_reader_gets_a_place(
    sandbox: Sandbox, client: aiohttp.ClientSession, change: Callable[[], Awaitable[object]]
) -> None:
    """A new page opens the stream and reads its snapshot, then the messages of a change."""
    async with client.get(sandbox.url + CONSOLE + "/events") as stream:
        assert stream.status == 200
        kinds = []
        async for message in messages(stream):
            kinds.append(message["type"])
            if len(kinds) > 1:
                break
            await change()
        assert kinds[0] == "snapshot" and kinds[1] in ("call", "request"), kinds


def live_objects() -> int:
    gc.collect()
    return len(gc.get_objects())


async def test_viewers_that_never_read_on_a_busy_console_are_dropped_by_their_backlog() -> None:
    # Events and keys are kept few, so that what is measured is the viewers'; a backlog of 100
    # messages (1,000 by default) makes the test quicker.
    limits = Limits(max_events=100, max_idempotency_keys=100, max_viewer_backlog=100)
    async with Sandbox(limits=limits) as sandbox, console_client(sandbox) as client:
        call_sid = sandbox.start_call()
        payments = []
        for n in range(20):  # every message then carries twenty payments' views (~10 KB)
            form = {"IdempotencyKey": f"create-{n}", "StatusCallback": CALLBACK}
            status, created, _ = await raw_post(sandbox, payments_path(sandbox, call_sid), form)
            assert status == 201
            payments.append(created["sid"])
        requests = 0

        async def busy() -> None:
            """A card number keyed in: some twenty messages to every viewer."""
            nonlocal requests
            requests += 1
            sid = payments[requests % len(payments)]
            step = {
                "IdempotencyKey": f"capture-{requests}",
                "StatusCallback": CALLBACK,
                "Capture": "payment-card-number",
            }
            status, _, _ = await raw_post(sandbox, payments_path(sandbox, call_sid, sid), step)
            assert status == 202

        while len(sandbox.console.timeline) < 1_000:  # full before anything is measured
            await busy()
        viewers = sandbox.console.viewers
        rounds = 10  # ten times the cap of 8 viewers, all silent
        for round_ in range(rounds):
            async with non_readers(sandbox, limits.max_viewers):
                await wait_until(lambda: len(viewers) == limits.max_viewers)
                assert "within 600 s" in await refused_for_now(sandbox, client)
                for _ in range(1_000):  # some 20 MB to each: their buffers hold far less
                    if not len(viewers):
                        break
                    await busy()
                assert len(viewers) == 0
            await a_reader_gets_a_place(sandbox, client, busy)
            await wait_until(lambda: len(viewers) == 0)
            if round_ == 0:
                tasks = len(asyncio.all_tasks())
                objects, blocks = live_objects(), sys.getallocatedblocks()
        assert requests > rounds * 10  # the traffic that filled their buffers was made

        assert len(asyncio.all_tasks()) == tasks
        # Under ten objects, or ten blocks of memory, per viewer dropped since the first round
        # (the margin is for what earlier tests of the process finish meanwhile): each viewer
        # held its connection, its socket's buffers and 100 messages of some 10 KB, hundreds of
        # objects, so a kept one shows.
        grown = (live_objects() - objects, sys.getallocatedblocks() - blocks)
        dropped = (rounds - 1) * limits.max_viewers
        assert grown[0] < dropped * 10 and grown[1] < dropped * 10, grown


async def test_viewers_that_never_read_on_a_quiet_console_are_dropped_by_their_lifetime() -> None:
    limits = Limits(viewer_lifetime=0.5)
    async with Sandbox(limits=limits) as sandbox, console_client(sandbox) as client:
        viewers = sandbox.console.viewers

        async def a_call() -> None:
            assert (await raw_post(sandbox, "/sandbox/calls"))[0] == 201

        for round_ in range(10):  # ten times the cap of 8 viewers, all silent
            async with non_readers(sandbox, limits.max_viewers):
                await wait_until(lambda: len(viewers) == limits.max_viewers)
                assert "within 0.5 s" in await refused_for_now(sandbox, client)
                await wait_until(lambda: len(viewers) == 0)  # with nothing published
                await a_reader_gets_a_place(sandbox, client, a_call)
            await wait_until(lambda: len(viewers) == 0)
            if round_ == 0:
                tasks = len(asyncio.all_tasks())
        assert len(asyncio.all_tasks()) == tasks


async def test_a_reading_page_is_cut_at_its_lifetime_and_may_come_back() -> None:
    async with (
        Sandbox(limits=Limits(viewer_lifetime=0.3)) as sandbox,
        console_client(sandbox) as client,
    ):
        for _ in range(2):  # as EventSource does: connect again, from a fresh snapshot
            async with client.get(sandbox.url + CONSOLE + "/events") as stream:
                kinds = []
                with pytest.raises(aiohttp.ClientPayloadError):  # the connection was cut
                    async for message in messages(stream):
                        kinds.append(message["type"])
                assert kinds == ["snapshot"], kinds
            await wait_until(lambda: len(sandbox.console.viewers) == 0)
