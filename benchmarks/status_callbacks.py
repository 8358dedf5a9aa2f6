"""Signed StatusCallbacks a served receiver stores per second, and the memory a full in-memory
progress store holds.

Run by hand:  .venv/bin/python benchmarks/status_callbacks.py [--callbacks 2000] [--sessions 10000]
Callbacks are posted one after another over one connection to 127.0.0.1, each signed; the
memory figure is tracemalloc's for ``--sessions`` sessions of 30 distinct callbacks each.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import tracemalloc
from urllib.parse import urlencode

import aiohttp

from ocp_twilio import MemoryProgressStore, OCPAgent, compute_signature
from ocp_twilio.payments.progress import callback_event, kept_fields

TOKEN = "benchmark-auth-token"
ENV = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": TOKEN}


def fields(session: int, step: int) -> dict[str, str]:
    return {
        "AccountSid": "AC" + "0" * 32,
        "CallSid": "CA" + "0" * 32,
        "Sid": f"PK{session:032x}",
        "DateCreated": "2026-12-01T14:00:00Z",
        "DateUpdated": f"2026-12-01T14:{step // 60:02d}:{step % 60:02d}Z",
        "Capture": "payment-card-number",
        "PartialResult": "true",
        "PaymentCardNumber": "x" * min(step + 1, 12),
        "Required": "payment-card-number,expiration-date,security-code,postal-code",
    }


async def throughput(count: int) -> float:
    async with OCPAgent() as agent, agent.serve_status_callbacks(environ=ENV) as receiver:
        bodies = []
        for n in range(count):
            form = fields(n // 30, n % 30)
            signature = compute_signature(TOKEN, receiver.url, form)
            bodies.append((urlencode(form).encode(), signature))
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        async with aiohttp.ClientSession() as session:
            started = time.perf_counter()
            for body, signature in bodies:
                sent = {**headers, "X-Twilio-Signature": signature}
                async with session.post(receiver.url, data=body, headers=sent) as response:
                    assert response.status == 204, response.status
            return count / (time.perf_counter() - started)


async def memory(sessions: int) -> float:
    tracemalloc.start()
    store = MemoryProgressStore(max_sessions=sessions)
    for session in range(sessions):
        for step in range(30):
            event = callback_event(kept_fields(fields(session, step)))
            assert event is not None
            await store.append(event)
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return current / 1024 / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callbacks", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=10_000)
    options = parser.parse_args()
    rate = asyncio.run(throughput(options.callbacks))
    megabytes = asyncio.run(memory(options.sessions))
    print(f"{rate:.0f} signed callbacks stored per second ({options.callbacks} posted)")
    print(f"{megabytes:.1f} MB for {options.sessions} sessions of 30 callbacks")


if __name__ == "__main__":
    main()
