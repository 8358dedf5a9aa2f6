"""What the OCP context costs per call: header building, OCP-Session size, calls per second.

Run: .venv/bin/python benchmarks/ocp_session.py [calls]
Everything stays on 127.0.0.1; the request loop is bounded by ``calls``.
"""

from __future__ import annotations

import asyncio
import sys
import time

from aiohttp import web
from aiohttp.test_utils import TestServer

from ocp_twilio import OCPAgent, OCPContext

ACCOUNT_SID = "AC" + "0" * 32
CALL_SID = "CA" + "1" * 32
PAYMENT_SID = "PK" + "2" * 32


def header_cost(rounds: int = 2000) -> tuple[float, int]:
    context = OCPContext(agent_type="bench", user="alice", workspace="shop", current_goal="pay")
    for number in range(1000):
        context.record_call("updatePayments", "twilio", "POST /Payments/{Sid}.json", "success")
        context.record_call(f"tool{number}", "twilio", "GET /x", "TwilioAPIError", 404)
    started = time.perf_counter()
    for _ in range(rounds):
        headers = context.headers()
    return (time.perf_counter() - started) / rounds * 1e6, len(headers["OCP-Session"])


async def calls_per_second(calls: int, ocp_headers: bool) -> float:
    async def answer(request: web.Request) -> web.Response:
        return web.json_response({"sid": PAYMENT_SID}, status=202)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    async with TestServer(app, host="127.0.0.1") as server, OCPAgent() as agent:
        await agent.register_api(
            "twilio",
            base_url=str(server.make_url("")),
            account_sid=ACCOUNT_SID,
            auth_token="bench-token",
            ocp_headers=ocp_headers,
            response_validation="off",
        )
        started = time.perf_counter()
        for number in range(calls):
            arguments = {
                "CallSid": CALL_SID,
                "Sid": PAYMENT_SID,
                "IdempotencyKey": f"k{number}",
                "StatusCallback": "https://example.com/s",
                "Capture": "expiration-date",
            }
            await agent.call_tool("updatePayments", arguments)
        return calls / (time.perf_counter() - started)


async def main(calls: int) -> None:
    micros, size = header_cost()
    print(f"headers() with a full history: {micros:.0f} us per call, OCP-Session {size} bytes")
    for ocp_headers in (False, True):
        rate = await calls_per_second(calls, ocp_headers)
        print(f"{calls} calls, ocp_headers={ocp_headers}: {rate:.0f} calls/s")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
