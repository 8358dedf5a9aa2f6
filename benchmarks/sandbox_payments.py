"""How fast whole card payments run through OCPAgent against the embedded sandbox.

    .venv/bin/python benchmarks/sandbox_payments.py [--payments 200] [--concurrency 10]

Each payment is six tool calls (createPayments, four captures, complete) on its own call.
Prints per-call latency percentiles and payments per second; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from ocp_twilio import OCPAgent
from ocp_twilio.sandbox import Sandbox

CAPTURES = ("payment-card-number", "expiration-date", "security-code", "postal-code")
CALLBACK = "https://agent.example/pay-status"


async def one_payment(agent: OCPAgent, sandbox: Sandbox, latencies: list[float]) -> None:
    call_sid = sandbox.start_call()

    async def timed(tool: str, arguments: dict[str, object]) -> dict[str, str]:
        started = time.perf_counter()
        result: dict[str, str] = await agent.call_tool(tool, arguments)
        latencies.append(time.perf_counter() - started)
        return result

    created = await timed(
        "createPayments",
        {"CallSid": call_sid, "IdempotencyKey": f"{call_sid}-c", "StatusCallback": CALLBACK},
    )
    base = {"CallSid": call_sid, "Sid": created["sid"], "StatusCallback": CALLBACK}
    for field in CAPTURES:
        await timed(
            "updatePayments", {**base, "IdempotencyKey": f"{call_sid}-{field}", "Capture": field}
        )
    await timed(
        "updatePayments", {**base, "IdempotencyKey": f"{call_sid}-done", "Status": "complete"}
    )


async def main(payments: int, concurrency: int) -> None:
    latencies: list[float] = []
    limit = asyncio.Semaphore(concurrency)
    async with Sandbox() as sandbox, OCPAgent(response_validation="strict") as agent:
        await agent.register_api("twilio", environ=sandbox.environ())

        async def bounded() -> None:
            async with limit:
                await one_payment(agent, sandbox, latencies)

        await one_payment(agent, sandbox, [])  # warm up: validators compile on first use
        started = time.perf_counter()
        await asyncio.gather(*(bounded() for _ in range(payments)))
        elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"{payments} payments ({len(latencies)} calls), concurrency {concurrency}: "
        f"{elapsed:.2f} s, {payments / elapsed:.0f} payments/s"
    )
    print(
        f"per call: p50 {cuts[49] * 1000:.2f} ms, p95 {cuts[94] * 1000:.2f} ms, "
        f"max {max(latencies) * 1000:.2f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=10)
    options = parser.parse_args()
    asyncio.run(main(options.payments, options.concurrency))
