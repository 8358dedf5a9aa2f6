"""The sandbox's memory while texts stream through it: resident size after 2,000 and 10,000.

    .venv/bin/python benchmarks/sandbox_messages_memory.py [--messages 10000] [--concurrency 100]

Starts a sandbox (default limits and timing) in a child process (PYTHONPATH picks which code
runs) and a receiver of its status callbacks in this one, on 127.0.0.1. Sends the texts over
raw HTTP, ``--concurrency`` at a time, each with a StatusCallback to the receiver; every text
moves queued, sent, delivered and posts two signed callbacks; a 429 (callbacks behind) is
retried 50 ms later. Prints the child's VmRSS (Linux
/proc) every thousand texts, the ratio of the last to the one at 2,000, the callbacks received,
and the peak (VmHWM). ``--json``: one line of JSON instead.
"""

from __future__ import annotations

import argparse
import asyncio
import json

import aiohttp
from aiohttp import web
from sandbox_memory import memory_mb, sandbox_process

SANDBOX = """
import asyncio, json
from ocp_twilio.sandbox import Sandbox

async def main():
    async with Sandbox() as sandbox:
        print(json.dumps({"url": sandbox.url, "account_sid": sandbox.account_sid,
                          "auth_token": sandbox.auth_token, "from": sandbox.phone_number}),
              flush=True)
        await asyncio.Event().wait()

asyncio.run(main())
"""
TO = "+14155550101"  # DELIVERS: every text is delivered


async def run(count: int, concurrency: int, pid: int, details: dict[str, str]) -> dict[str, object]:
    received = 0

    async def record(request: web.Request) -> web.Response:
        nonlocal received
        await request.post()
        received += 1
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/status", record)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    callback = f"http://127.0.0.1:{runner.addresses[0][1]}/status"
    url = f"{details['url']}/2010-04-01/Accounts/{details['account_sid']}/Messages.json"
    headers = {
        "Authorization": aiohttp.encode_basic_auth(details["account_sid"], details["auth_token"])
    }
    form = {"To": TO, "From": details["from"], "Body": "Reminder", "StatusCallback": callback}
    samples: dict[int, float] = {0: memory_mb(pid)}
    next_text = iter(range(count))

    slowed = 0

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal slowed
        for n in next_text:
            while True:
                async with http.post(url, data=form) as response:
                    if response.status == 201:
                        break
                    if response.status != 429:
                        raise RuntimeError(f"text {n}: {response.status} {await response.text()}")
                slowed += 1  # callbacks are behind: the sandbox asks to retry in a moment
                await asyncio.sleep(0.05)
            if (n + 1) % 1_000 == 0:
                samples[n + 1] = memory_mb(pid)

    try:
        async with aiohttp.ClientSession(headers=headers) as http:
            await asyncio.gather(*(worker(http) for _ in range(concurrency)))
        for _ in range(500):  # the last callbacks, a few tens of milliseconds behind
            if received >= 2 * count:
                break
            await asyncio.sleep(0.01)
    finally:
        await runner.cleanup()
    at_2000 = samples.get(2_000, samples[max(samples)])
    return {
        "messages": count,
        "concurrency": concurrency,
        "rss_mb": {str(k): round(v, 1) for k, v in sorted(samples.items())},
        "ratio_last_to_2000": round(samples[max(samples)] / at_2000, 3),
        "callbacks_received": received,
        "answered_429": slowed,
        "peak_mb": round(memory_mb(pid, "VmHWM"), 1),
    }


def main(count: int, concurrency: int, as_json: bool) -> None:
    with sandbox_process(SANDBOX) as (pid, details):
        result = asyncio.run(run(count, concurrency, pid, details))
    if as_json:
        print(json.dumps(result))
        return
    for n, mb in result["rss_mb"].items():  # type: ignore[attr-defined]
        print(f"after {n} texts: {mb} MB")
    print(
        f"last / at 2,000: {result['ratio_last_to_2000']}; callbacks received "
        f"{result['callbacks_received']}; 429 answers {result['answered_429']}; "
        f"peak {result['peak_mb']} MB"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    main(options.messages, options.concurrency, options.json)
