"""10,000 calls at 200 in flight against a real local server: no errors, no leaks, flat memory."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from support.credentials import TWILIO_ENV
from support.fault_server import connections_in_use
from support.payments import PAYMENT_BODY, update_arguments
from support.secret_scan import scanning_logs

from ocp_twilio import OCPAgent

CALLS = 10_000
IN_FLIGHT = 200
WARM_UP = 1_000
# A leak of 1 KiB per call would add 10 MB; allocator noise stays well below this.
RSS_GROWTH_LIMIT = 8 * 1024 * 1024


def rss_bytes() -> int:
    """Resident set size now (not the peak), from /proc."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096


class PeakCounter:
    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self.served = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await request.read()
            await asyncio.sleep(0)  # let other requests in, so that the cap is reached
            self.served += 1
            return web.json_response(PAYMENT_BODY, status=202)
        finally:
            self.now -= 1


@pytest.fixture
async def counter() -> AsyncIterator[tuple[PeakCounter, str]]:
    counting = PeakCounter()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", counting.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield counting, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="RSS is read from /proc")
async def test_ten_thousand_calls_at_two_hundred_in_flight(
    counter: tuple[PeakCounter, str],
) -> None:
    server, url = counter
    with scanning_logs("ocp_twilio", "aiohttp") as scanner:
        before, after, caught = await run_calls(url)
    print(f"\nRSS before {before / 2**20:.1f} MiB, after {after / 2**20:.1f} MiB")
    assert server.served == WARM_UP + CALLS
    assert server.peak == IN_FLIGHT
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert after - before < RSS_GROWTH_LIMIT
    assert scanner.scanned >= CALLS
    assert scanner.leaks == 0


async def run_calls(url: str) -> tuple[int, int, list[warnings.WarningMessage]]:
    """RSS before and after CALLS calls (after a warm-up), and the warnings of the run."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with OCPAgent(max_in_flight=IN_FLIGHT, timeout=30) as agent:
            await agent.register_api("twilio", base_url=url, environ=TWILIO_ENV)
            arguments = update_arguments()

            async def calls(count: int) -> int:
                """``count`` calls by IN_FLIGHT workers; how many returned the expected body."""
                todo = iter(range(count))

                async def worker() -> int:
                    return sum(
                        [
                            await agent.call_tool("updatePayments", arguments) == PAYMENT_BODY
                            for _ in todo
                        ]
                    )

                return sum(await asyncio.gather(*(worker() for _ in range(IN_FLIGHT))))

            assert await calls(WARM_UP) == WARM_UP
            gc.collect()
            before = rss_bytes()
            assert await calls(CALLS) == CALLS
            gc.collect()
            after = rss_bytes()
            assert connections_in_use(agent) == 0
        gc.collect()
    return before, after, caught
