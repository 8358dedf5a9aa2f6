"""The sandbox's memory after many whole payments: its process's resident size, before and after.

    .venv/bin/python benchmarks/sandbox_memory.py [--payments 100000] [--concurrency 20]

Runs ``ocp-twilio sandbox --json`` as a child process (PYTHONPATH picks which code runs), then
takes each payment over raw HTTP: start a call, createPayments, four captures, complete. The
callback URL is off this machine, so events are recorded and nothing is posted. Prints the
child's VmRSS (Linux /proc) at start and every tenth of the way, and its peak (VmHWM).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp

CAPTURES = ("payment-card-number", "expiration-date", "security-code", "postal-code")
CALLBACK = "https://agent.example/pay-status"
SANDBOX = "from ocp_twilio.cli import main; main(['sandbox', '--json'])"


def memory_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


async def one_payment(http: aiohttp.ClientSession, url: str, account: str, n: int) -> None:
    async with http.post(url + "/sandbox/calls") as response:
        call_sid = (await response.json())["sid"]
    payments = f"{url}/2010-04-01/Accounts/{account}/Calls/{call_sid}/Payments"
    form = {"IdempotencyKey": f"{n}-create", "StatusCallback": CALLBACK, "ChargeAmount": "9.99"}
    async with http.post(payments + ".json", data=form) as response:
        sid = (await response.json())["sid"]
    steps = [{"Capture": c} for c in CAPTURES] + [{"Status": "complete"}]
    for number, step in enumerate(steps):
        form = {"IdempotencyKey": f"{n}-{number}", "StatusCallback": CALLBACK, **step}
        async with http.post(f"{payments}/{sid}.json", data=form) as response:
            if response.status != 202:
                raise RuntimeError(f"payment {n} step {step}: {await response.text()}")


async def run(payments: int, concurrency: int, pid: int, details: dict[str, str]) -> None:
    url, account = details["url"], details["account_sid"]
    headers = {"Authorization": aiohttp.encode_basic_auth(account, details["auth_token"])}
    print(f"start: {memory_mb(pid):.0f} MB")
    next_payment = iter(range(payments))
    report_every = max(payments // 10, 1)

    async def worker(http: aiohttp.ClientSession) -> None:
        for n in next_payment:
            await one_payment(http, url, account, n)
            if (n + 1) % report_every == 0:
                print(f"after {n + 1} payments: {memory_mb(pid):.0f} MB", flush=True)

    async with aiohttp.ClientSession(headers=headers) as http:
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
    print(f"end: {memory_mb(pid):.0f} MB, peak {memory_mb(pid, 'VmHWM'):.0f} MB")


@contextmanager
def sandbox_process(code: str = SANDBOX) -> Iterator[tuple[int, dict[str, str]]]:
    """A sandbox run by ``code`` in a child process: its pid, and the JSON line it prints
    first (its address and login)."""
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert child.stdout is not None
        yield child.pid, json.loads(child.stdout.readline())
    finally:
        child.terminate()
        child.wait(10)


def main(payments: int, concurrency: int) -> None:
    with sandbox_process() as (pid, details):
        asyncio.run(run(payments, concurrency, pid, details))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=20)
    options = parser.parse_args()
    main(options.payments, options.concurrency)
