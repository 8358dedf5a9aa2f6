"""Calls per second and client CPU per call, against one local server, in one run:

(a) raw aiohttp posting a pre-built form body,
(b) OCPAgent.call_tool("updatePayments", ...) with input and strict output validation,
(c) twilio-python's async client (AsyncTwilioHttpClient, update_async).

Run by hand (needs the bench extra):  .venv/bin/python benchmarks/bench_calls.py
The server runs in its own process, so that CPU per call is the client's alone. Rounds of the
three variants alternate, so that drift of a shared machine hits them alike.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import socket
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from ocp_twilio import OCPAgent
from ocp_twilio.credentials import Credentials

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "bench-token-" + "0" * 20
CALL_SID = "CA" + "fedcba9876543210" * 2
PAYMENT_SID = "PK" + "00112233445566778899aabbccddeeff"
PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{CALL_SID}/Payments/{PAYMENT_SID}.json"
ARGUMENTS = {
    "CallSid": CALL_SID,
    "Sid": PAYMENT_SID,
    "IdempotencyKey": "order-42-expiry",
    "StatusCallback": "https://example.com/pay-status",
    "Capture": "expiration-date",
}
RESPONSE = json.dumps(
    {
        "account_sid": ACCOUNT_SID,
        "call_sid": CALL_SID,
        "sid": PAYMENT_SID,
        "date_created": "Wed, 18 Dec 2019 20:02:01 +0000",
        "date_updated": "Wed, 18 Dec 2019 20:02:01 +0000",
        "uri": PATH,
    }
).encode()

Call = Callable[[], Awaitable[Any]]


def serve(port: int) -> None:
    """The local server: every request gets Twilio's 202 with a payments resource."""

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=202, body=RESPONSE, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


@dataclass
class Measured:
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    calls: int = 0

    def add(self, seconds: float, cpu: float, calls: int) -> None:
        self.seconds.append(seconds)
        self.cpu.append(cpu)
        self.calls += calls

    @property
    def calls_per_second(self) -> float:
        return self.calls / sum(self.seconds)

    @property
    def cpu_us_per_call(self) -> float:
        return sum(self.cpu) / self.calls * 1e6

    @property
    def spread(self) -> float:
        rates = [1 / s for s in self.seconds]
        return statistics.pstdev(rates) / statistics.mean(rates)


async def run_round(call: Call, calls: int, concurrency: int) -> tuple[float, float]:
    todo = iter(range(calls))

    async def worker() -> None:
        for _ in todo:
            await call()

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - wall, time.process_time() - cpu


async def bench(url: str, calls: int, rounds: int, concurrency: int) -> dict[str, Measured]:
    body = urlencode(
        {k: ARGUMENTS[k] for k in ("IdempotencyKey", "StatusCallback", "Capture")}
    ).encode()
    headers = {
        "Authorization": Credentials.create(ACCOUNT_SID, AUTH_TOKEN).authorization,
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session,
        OCPAgent(response_validation="strict", max_in_flight=concurrency) as agent,
    ):
        await agent.register_api(
            "twilio", base_url=url, account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN
        )
        http_client = AsyncTwilioHttpClient()
        twilio = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=http_client, environment={})
        twilio.api.base_url = url
        payment = twilio.api.v2010.accounts(ACCOUNT_SID).calls(CALL_SID).payments(PAYMENT_SID)

        async def raw_aiohttp() -> Any:
            async with session.post(url + PATH, data=body, headers=headers) as response:
                return await response.read()

        async def ocp_call_tool() -> Any:
            return await agent.call_tool("updatePayments", ARGUMENTS)

        async def twilio_python() -> Any:
            return await payment.update_async(
                idempotency_key="order-42-expiry",
                status_callback="https://example.com/pay-status",
                capture="expiration-date",
            )

        variants: dict[str, Call] = {
            "(a) raw aiohttp": raw_aiohttp,
            "(b) call_tool": ocp_call_tool,
            "(c) twilio-python": twilio_python,
        }
        results = {name: Measured() for name in variants}
        try:
            for call in variants.values():  # warm up: connections, compiled validators
                await run_round(call, calls // 5, concurrency)
            for _ in range(rounds):
                for name, call in variants.items():
                    seconds, cpu = await run_round(call, calls, concurrency)
                    results[name].add(seconds, cpu, calls)
        finally:
            await http_client.close()
    return results


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def wait_until_up(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(100):
            try:
                async with session.get(url + "/"):
                    return
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
    raise RuntimeError(f"the benchmark server at {url} did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per round and variant")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=10)
    options = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = multiprocessing.Process(target=serve, args=(port,), daemon=True)
    server.start()
    try:
        asyncio.run(wait_until_up(url))
        results = asyncio.run(bench(url, options.calls, options.rounds, options.concurrency))
    finally:
        server.terminate()
        server.join()
    print(
        f"{options.rounds} rounds x {options.calls} calls, {options.concurrency} in flight\n"
        f"{'variant':<24}{'calls/s':>10}{'CPU us/call':>14}{'spread':>9}"
    )
    for name, measured in results.items():
        print(
            f"{name:<24}{measured.calls_per_second:>10.0f}{measured.cpu_us_per_call:>14.0f}"
            f"{measured.spread:>9.1%}"
        )
    a, b, c = (results[n] for n in ("(a) raw aiohttp", "(b) call_tool", "(c) twilio-python"))
    print(
        f"(b)/(a) calls/s {b.calls_per_second / a.calls_per_second:.2f}, "
        f"CPU {a.cpu_us_per_call / b.cpu_us_per_call:.2f} (target >= 0.8); "
        f"(b)/(c) calls/s {b.calls_per_second / c.calls_per_second:.2f}, "
        f"CPU {c.cpu_us_per_call / b.cpu_us_per_call:.2f} (target >= 2)"
    )


if __name__ == "__main__":
    main()
