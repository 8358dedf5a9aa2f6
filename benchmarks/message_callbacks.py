"""Message status callbacks: the delay from a callback's arrival at the receiver to the return
of the waitForMessageStatus call waiting for it on Redis (receiver in process A, the waiting
agent in process B), and the memory of a served receiver with its in-memory store as the
messages in flight grow from 2,000 to 10,000.

Run by hand:  .venv/bin/python benchmarks/message_callbacks.py [--callbacks 1000]
              [--in-flight 2000,10000] [--redis-url redis://127.0.0.1:6379/0]
Without --redis-url it starts redis-server (from PATH) on a free port of 127.0.0.1, without
persistence. Latency: callbacks go one at a time, each once its wait is blocked (a message's
queued, sent, delivered); the arrival is taken when the request reaches process A's aiohttp
application, the wake-up when call_tool returns in process B, both on CLOCK_MONOTONIC. Memory:
tracemalloc's, after every message in flight got its queued and sent callbacks (signed, posted
over one connection to 127.0.0.1), per message and in all.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

# Process A's part (the receiver, until stdin closes) is progress_latency's: the same receiver.
from progress_latency import (
    ENV,
    TOKEN,
    RedisServer,
    posted_wakes,
    receive,
    receiving_process,
    summary,
)

from ocp_twilio import MemoryProgressStore, OCPAgent, compute_signature

SPEC = Path(__file__).resolve().parents[1] / "tests" / "data" / "specs" / "callbacks.yaml"
WAIT_TOOL = "waitForMessageStatus"
STEPS = ("queued", "sent", "delivered")
RUN = time.time_ns() // 1000


def fields(message: int, status: str) -> dict[str, str]:
    sid = f"SM{RUN:016x}{message:016x}"
    return {
        "AccountSid": "AC" + "0" * 32,
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "From": "+15017122661",
        "To": f"+1555{message % 10_000_000:07d}",
        "ApiVersion": "2010-04-01",
    }


def message_url(receiver_url: str) -> str:
    return receiver_url.replace("/pay-status", "/message-status")


async def post_all(url: str, forms: list[dict[str, str]]) -> None:
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(connector=connector) as session:
        for form in forms:
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": compute_signature(TOKEN, url, form),
            }
            async with session.post(url, data=urlencode(form), headers=headers) as response:
                assert response.status == 204, response.status


async def measured(agent: OCPAgent, url: str, count: int) -> list[float]:
    await agent.register_api("twilio", spec=str(SPEC), environ=ENV)
    woken = []
    async with aiohttp.ClientSession() as session:
        for number in range(count):
            form = fields(number // len(STEPS), STEPS[number % len(STEPS)])
            arguments = {"Sid": form["MessageSid"], "TimeoutSeconds": 30}
            woken.append(await posted_wakes(agent, session, url, form, WAIT_TOOL, arguments))
    return woken


async def on_redis(count: int, redis_url: str) -> list[float]:
    receiving = receiving_process(__file__, redis_url)
    assert receiving.stdin is not None and receiving.stdout is not None
    try:
        url = message_url(receiving.stdout.readline().strip())
        async with OCPAgent(redis_url=redis_url) as agent:
            woken = await measured(agent, url, count)
    finally:
        receiving.stdin.close()
        arrivals = json.loads(receiving.stdout.readline() or "[]")
        receiving.wait(30)
    return [w - a for a, w in zip(arrivals, woken, strict=True)]


async def memory(in_flight: int) -> int:
    """The bytes a served receiver and its memory store hold for ``in_flight`` messages, each
    queued then sent."""
    store = MemoryProgressStore(max_sessions=in_flight)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    async with (
        OCPAgent() as agent,
        agent.serve_status_callbacks(environ=ENV, store=store) as receiver,
    ):
        url = receiver.url_for("message")
        await post_all(url, [fields(m, s) for m in range(in_flight) for s in STEPS[:2]])
        assert len(store) == in_flight
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--callbacks", type=int, default=1000)
    parser.add_argument("--in-flight", default="2000,10000")
    parser.add_argument("--redis-url", help="a running Redis (default: start redis-server)")
    parser.add_argument("--receive", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receive:
        asyncio.run(receive())
        return
    server = None if args.redis_url else RedisServer()
    try:
        url = args.redis_url or server.url  # type: ignore[union-attr]
        print(summary("Redis", asyncio.run(on_redis(args.callbacks, url))))
    finally:
        if server is not None:
            server.stop()
    for count in (int(n) for n in args.in_flight.split(",")):
        held = asyncio.run(memory(count))
        print(
            f"{count:>6} messages in flight: {held / 1e6:.2f} MB, "
            f"{held / count:,.0f} bytes per message"
        )


if __name__ == "__main__":
    main()
