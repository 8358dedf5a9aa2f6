"""The seed's own usage: no ``async with``, no ``aclose()``, inside ``asyncio.run``, and a clean
exit: the agent closes its connections when its event loop shuts down."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from support.sandbox import sandbox_in_thread

from ocp_twilio import AiohttpTransport, OCPAgent
from ocp_twilio._config import CACHE_DIR_ENV
from ocp_twilio.sandbox import Sandbox

HOOK = "https://agent.example/pay-status"

# As the OCP registry page shows it, with createPayments first so that there is a payment to
# update; the calls go to the sandbox named by the TWILIO_* variables.
SEED_USAGE = """
import asyncio, json, sys
from ocp_twilio import OCPAgent

async def main():
    agent = OCPAgent()
    await agent.register_api("twilio")
    created = await agent.call_tool("createPayments", {
        "CallSid": sys.argv[1], "IdempotencyKey": "seed-1",
        "StatusCallback": "https://agent.example/pay-status",
    })
    result = await agent.call_tool("updatePayments", {
        "CallSid": sys.argv[1], "Sid": created["sid"], "IdempotencyKey": "seed-2",
        "StatusCallback": "https://agent.example/pay-status", "Capture": "payment-card-number",
    })
    print(json.dumps({"created": created["sid"], "updated": result["sid"]}))

asyncio.run(main())
"""


SLOW_STEP = re.compile(r"Executing <.*> took \d+(\.\d+)? seconds$")


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with sandbox_in_thread() as running:
        yield running


def test_the_seed_usage_exits_cleanly_with_warnings_as_errors(sandbox: Sandbox) -> None:
    call_sid = sandbox.start_call()
    env = {**os.environ, **sandbox.environ(), "PYTHONDEVMODE": "1"}
    finished = subprocess.run(
        [sys.executable, "-W", "error", "-c", SEED_USAGE, call_sid],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )

    # Debug mode also reports a slow step ("Executing <Task…> took 0.2 seconds") on a loaded
    # machine: that is timing, not a leak.
    reports = [line for line in finished.stderr.splitlines() if not SLOW_STEP.match(line)]
    assert reports == []  # no "Unclosed client session", no "Unclosed connector"
    assert finished.returncode == 0
    sids = json.loads(finished.stdout)
    assert sids["created"] == sids["updated"]
    assert sandbox.payment(sids["created"]).call_sid == call_sid


async def create_payment(agent: OCPAgent, sandbox: Sandbox, cache: Path, key: str) -> str:
    await agent.register_api("twilio", environ={**sandbox.environ(), CACHE_DIR_ENV: str(cache)})
    arguments = {"CallSid": sandbox.start_call(), "IdempotencyKey": key, "StatusCallback": HOOK}
    created = await agent.call_tool("createPayments", arguments)
    return str(created["sid"])


def test_the_session_is_closed_when_the_loop_shuts_down(
    sandbox: Sandbox, isolated_cache: Path
) -> None:
    agent = OCPAgent()
    transport = agent.transport
    assert isinstance(transport, AiohttpTransport)
    sessions: list[aiohttp.ClientSession] = []

    async def seed() -> None:
        await create_payment(agent, sandbox, isolated_cache, "k")
        sessions.append(transport._http())

    asyncio.run(seed())

    assert sessions[0].closed


def test_an_agent_runs_in_one_asyncio_run_after_another(
    sandbox: Sandbox, isolated_cache: Path
) -> None:
    agent = OCPAgent()

    first = asyncio.run(create_payment(agent, sandbox, isolated_cache, "one"))
    second = asyncio.run(create_payment(agent, sandbox, isolated_cache, "two"))

    assert first != second
    assert {sandbox.payment(first).sid, sandbox.payment(second).sid} == {first, second}
