"""How long a key pressed at the sandbox console takes to reach every open page, and how large a
new page's snapshot is once the timeline is full.

    .venv/bin/python benchmarks/console_events.py [--keys 300] [--viewers 1 8]

An in-process sandbox on 127.0.0.1; each viewer reads the event stream over its own connection,
as a browser's EventSource does. A console call captures the card number again and again (the
callback URL is off this machine, so nothing is posted); each key is one POST to /keys, timed
from before the POST until every viewer has read the callback it caused. Prints the median,
95th percentile and maximum, then the snapshot's size with 1,000 timeline entries.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.console import CONSOLE, console_client, messages
from support.sandbox import basic_auth

from ocp_twilio.sandbox import Limits, Sandbox

CALLBACK = "https://agent.example/pay-status"
DIGITS_PER_ENTRY = 30


async def read_callbacks(stream: aiohttp.ClientResponse, seen: list[int]) -> None:
    async for message in messages(stream):
        if message["type"] == "callback":
            seen[0] += 1


async def measure(keys: int, viewers: int) -> list[float]:
    async with Sandbox(limits=Limits(max_viewers=viewers)) as sandbox:
        login = {"Authorization": basic_auth(sandbox.account_sid, sandbox.auth_token)}
        async with aiohttp.ClientSession(headers=login) as http, console_client(sandbox) as page:
            counts = [[0] for _ in range(viewers)]
            streams = [await http.get(sandbox.url + CONSOLE + "/events") for _ in range(viewers)]
            readers = [
                asyncio.create_task(read_callbacks(s, c))
                for s, c in zip(streams, counts, strict=True)
            ]
            call_sid = sandbox.start_call(console=True)
            account = sandbox.account_sid
            payments = f"{sandbox.url}/2010-04-01/Accounts/{account}/Calls/{call_sid}/Payments"
            form = {"IdempotencyKey": "create", "StatusCallback": CALLBACK}
            async with http.post(payments + ".json", data=form) as answer:
                sid = (await answer.json())["sid"]
            times: list[float] = []
            for n in range(keys):
                if n % DIGITS_PER_ENTRY == 0:
                    if n:
                        await page.post(
                            sandbox.url + CONSOLE + "/keys", data={"Sid": sid, "Key": "#"}
                        )
                        # The entry is judged (invalid-card-number) and the card asked for again.
                    step = {**form, "IdempotencyKey": f"c{n}", "Capture": "payment-card-number"}
                    async with http.post(f"{payments}/{sid}.json", data=step) as answer:
                        assert answer.status == 202
                    await until(lambda: all(c[0] == len(sandbox.events()) for c in counts))
                expected = len(sandbox.events()) + 1
                started = time.perf_counter()
                async with page.post(
                    sandbox.url + CONSOLE + "/keys", data={"Sid": sid, "Key": "4"}
                ) as answer:
                    assert answer.status == 200
                await until(lambda n=expected: all(c[0] >= n for c in counts))
                times.append(time.perf_counter() - started)
            for task in readers:
                task.cancel()
            for stream in streams:
                stream.close()
            return times


async def until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0)


async def snapshot_bytes() -> int:
    async with Sandbox() as sandbox:
        call_sid = sandbox.start_call()
        state = sandbox.state
        for _ in range(400):  # three callbacks each
            session = state.create_payment(
                state.account_sid, call_sid, {"StatusCallback": CALLBACK}
            )
            state.update_payment(
                state.account_sid,
                call_sid,
                session.sid,
                {"StatusCallback": CALLBACK, "Capture": "postal-code"},
            )
            state.calls[call_sid].payments.clear()  # past the 20 payments of one call
        assert len(sandbox.console.timeline) == 1_000
        return len(json.dumps(sandbox.console.snapshot()).encode())


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=300)
    parser.add_argument("--viewers", type=int, nargs="+", default=[1, 8])
    options = parser.parse_args()
    for viewers in options.viewers:
        times = sorted(await measure(options.keys, viewers))
        p95 = times[int(len(times) * 0.95) - 1]
        print(
            f"{viewers} viewer(s), {len(times)} keys: key to every page "
            f"median {statistics.median(times) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms, "
            f"max {times[-1] * 1000:.2f} ms"
        )
    print(f"snapshot with a full timeline: {await snapshot_bytes() / 1024:.0f} KiB")


asyncio.run(main())
