"""The delay from a StatusCallback's arrival at the receiver to the wake-up of the
waitForPaymentUpdate call waiting for it: on Redis (receiver in process A, the waiting agent in
process B) and in memory (one process: the in-memory store cannot be shared).

Run by hand:  .venv/bin/python benchmarks/progress_latency.py [--callbacks 1000]
              [--idle-waits 0] [--redis-url redis://127.0.0.1:6379/0]
Without --redis-url it starts redis-server (from PATH) on a free port of 127.0.0.1, without
persistence, and stops it at the end. --idle-waits N keeps N more waitForPaymentUpdate calls
blocked throughout, on sessions that get no callback, in the waiting agent's process (on Redis,
N connections blocked in XREAD besides). Callbacks go one at a time, each once its wait is
blocked, in sessions of 20 (a card payment's typing and entered steps). The arrival is taken
by the receiving process when the request reaches its aiohttp application, the wake-up when
call_tool returns; both on CLOCK_MONOTONIC, which every process of a Linux machine shares.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import aiohttp
import redis
from aiohttp import web

from ocp_twilio import OCPAgent, compute_signature

TOKEN = "benchmark-auth-token"
ENV = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": TOKEN}
WAIT_TOOL = "api_v2010__waitForPaymentUpdate"
PER_SESSION = 20
# The run's sessions are its own, also on a Redis that earlier runs wrote to.
RUN = time.time_ns() // 1000
# A wait is blocked in its read well within this; the callback is posted after it.
SETTLE = 0.005
Arrivals = list[float]


def fields(number: int) -> dict[str, str]:
    step = number % PER_SESSION
    return {
        "AccountSid": "AC" + "0" * 32,
        "CallSid": "CA" + "0" * 32,
        "Sid": f"PK{RUN:016x}{number // PER_SESSION:016x}",
        "DateCreated": "2026-12-01T14:00:00Z",
        "DateUpdated": f"2026-12-01T14:00:{step:02d}Z",
        "Capture": "payment-card-number",
        "PartialResult": "true" if step < PER_SESSION - 1 else "false",
        "PaymentCardNumber": "x" * min(step + 1, 12),
        "Required": "payment-card-number,expiration-date,security-code,postal-code",
    }


@asynccontextmanager
async def timed_receiver(agent: OCPAgent, arrivals: Arrivals) -> AsyncIterator[str]:
    """The agent's receiver in an application that notes when each request arrives."""

    @web.middleware
    async def note_arrival(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        arrivals.append(time.monotonic())
        return await handler(request)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    receiver = agent.status_callback_receiver(f"http://127.0.0.1:{port}", environ=ENV)
    app = web.Application(middlewares=[note_arrival])
    app.add_routes(receiver.routes())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
        yield receiver.url
    finally:
        await runner.cleanup()


async def wake_ups(agent: OCPAgent, url: str, count: int, idle_waits: int) -> list[float]:
    """Post ``count`` callbacks to ``url``, each while a wait for it blocks, beside
    ``idle_waits`` waits that nothing wakes; the wake-up times."""
    await agent.register_api("twilio", environ=ENV)

    async def idle(number: int) -> None:
        while True:  # each ends after 60 s with nothing new: wait again
            sid = f"PK{RUN:016x}{0xFFFFFFFF - number:016x}"
            await agent.call_tool(WAIT_TOOL, {"Sid": sid, "TimeoutSeconds": 60})

    idling = [asyncio.create_task(idle(number)) for number in range(idle_waits)]
    await asyncio.sleep(1 if idle_waits else 0)  # all blocked, well within it
    try:
        return await measured(agent, url, count)
    finally:
        for task in idling:
            task.cancel()
        await asyncio.gather(*idling, return_exceptions=True)


async def measured(agent: OCPAgent, url: str, count: int) -> list[float]:
    woken = []
    async with aiohttp.ClientSession() as session:
        for number in range(count):
            form = fields(number)
            arguments = {"Sid": form["Sid"], "AfterVersion": number % PER_SESSION}
            woken.append(await posted_wakes(agent, session, url, form, WAIT_TOOL, arguments))
    return woken


async def posted_wakes(
    agent: OCPAgent,
    session: aiohttp.ClientSession,
    url: str,
    form: dict[str, str],
    tool: str,
    arguments: dict[str, Any],
) -> float:
    """Wait with ``tool`` while ``form`` is posted, signed, to ``url``; when the wait returned."""
    waiting = asyncio.create_task(agent.call_tool(tool, arguments))
    await asyncio.sleep(SETTLE)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": compute_signature(TOKEN, url, form),
    }
    async with session.post(url, data=urlencode(form), headers=headers) as response:
        assert response.status == 204, response.status
    result = await waiting
    woken = time.monotonic()
    assert result["new"] is True, result
    return woken


async def in_memory(count: int, idle_waits: int) -> list[float]:
    arrivals: Arrivals = []
    async with OCPAgent() as agent, timed_receiver(agent, arrivals) as url:
        woken = await wake_ups(agent, url, count, idle_waits)
    return [w - a for a, w in zip(arrivals, woken, strict=True)]


def receiving_process(script: str, redis_url: str) -> subprocess.Popen[str]:
    """``script --receive``: process A, whose receiver stores callbacks in ``redis_url``; it
    prints the receiver's URL, and ends when its stdin closes."""
    return subprocess.Popen(
        [sys.executable, script, "--receive"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "OCP_TWILIO_REDIS_URL": redis_url},
    )


async def on_redis(count: int, idle_waits: int, redis_url: str) -> list[float]:
    receiving = receiving_process(__file__, redis_url)
    assert receiving.stdin is not None and receiving.stdout is not None
    try:
        url = receiving.stdout.readline().strip()
        async with OCPAgent(redis_url=redis_url) as agent:
            woken = await wake_ups(agent, url, count, idle_waits)
    finally:
        receiving.stdin.close()
        arrivals = json.loads(receiving.stdout.readline() or "[]")
        receiving.wait(30)
    return [w - a for a, w in zip(arrivals, woken, strict=True)]


async def receive() -> None:
    """Process A: the receiver on the Redis of OCP_TWILIO_REDIS_URL, until stdin closes; then
    the arrival times, as JSON."""
    arrivals: Arrivals = []
    async with OCPAgent() as agent, timed_receiver(agent, arrivals) as url:
        print(url, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    print(json.dumps(arrivals), flush=True)


class RedisServer:
    """A redis-server without persistence, on a free port, for the run."""

    def __init__(self) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            sys.exit("redis-server is not installed: apt-get install redis-server, or --redis-url")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.directory = tempfile.TemporaryDirectory()
        arguments = ["--bind", "127.0.0.1", "--port", str(self.port), "--save", ""]
        arguments += ["--appendonly", "no", "--dir", self.directory.name]
        self.process = subprocess.Popen([executable, *arguments], stdout=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        client = redis.Redis.from_url(self.url)
        for _ in range(500):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.01)
        client.close()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self.directory.cleanup()


def summary(name: str, delays: list[float]) -> str:
    ms = sorted(d * 1000 for d in delays)
    p99 = ms[min(len(ms) - 1, round(0.99 * len(ms)) - 1)]
    return (
        f"{name:>7}: median {statistics.median(ms):.2f} ms, p99 {p99:.2f} ms, "
        f"max {ms[-1]:.2f} ms over {len(ms)} callbacks"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--callbacks", type=int, default=1000)
    parser.add_argument("--idle-waits", type=int, default=0, help="waits blocked throughout")
    parser.add_argument("--redis-url", help="a running Redis (default: start redis-server)")
    parser.add_argument("--receive", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receive:
        asyncio.run(receive())
        return
    print(summary("memory", asyncio.run(in_memory(args.callbacks, args.idle_waits))))
    server = None if args.redis_url else RedisServer()
    try:
        url = args.redis_url or server.url  # type: ignore[union-attr]
        print(summary("Redis", asyncio.run(on_redis(args.callbacks, args.idle_waits, url))))
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
