"""What the send ledger adds to a createMessage: the same sends with the ledger off
(``SendSettings(window=0, lookups=0)``: the plain operation runner) and on, in one run.

Every send carries a new SendKey, so none is refused and both agents do the same work but for
the ledger. The answers come from a MockTransport with a message as Twilio answers it, so the
figure is the client's CPU. With ``--redis-url`` a third agent records in that Redis
(RedisSendLedger): its figure is wall time per send, one round trip to Redis included.
Rounds alternate between the agents and each figure is the median over the rounds.

    .venv/bin/python benchmarks/send_ledger.py [--calls 20000] [--rounds 9] [--redis-url URL]

Prints JSON: microseconds per send without and with the ledger, and the difference.
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
from typing import Any

from ocp_twilio import MockTransport, OCPAgent, RedisSendLedger, Response, SendSettings
from ocp_twilio.specs.model import packaged_schemas_dir

ROOT = Path(__file__).resolve().parents[1]
MESSAGES_SPEC = ROOT / "tests" / "data" / "specs" / "messaging.yaml"
ACCOUNT = "AC" + "0" * 32
ENVIRON = {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": "x" * 32}
MESSAGE = {"To": "+15005550199", "From": "+15005550006", "Body": "Your appointment is at 3pm"}
ANSWER = {"sid": "SM" + "3" * 32, "account_sid": ACCOUNT, "status": "queued"}


def answer(request: Any) -> Response:
    return Response.json(201, ANSWER)


async def agent_with(settings: SendSettings) -> OCPAgent:
    agent = OCPAgent(transport=MockTransport(answer), sends=settings)
    await agent.register_api(
        "twilio", spec=[packaged_schemas_dir(), MESSAGES_SPEC], environ=ENVIRON
    )
    return agent


async def per_send(
    agent: OCPAgent, calls: int, first: int, clock: Callable[[], float] = time.process_time
) -> float:
    start = clock()
    for n in range(first, first + calls):
        await agent.call_tool("createMessage", {**MESSAGE, "SendKey": f"k{n}"})
    return (clock() - start) / calls * 1e6


async def main(calls: int, rounds: int, redis_url: str | None) -> dict[str, Any]:
    agents = {
        "off": await agent_with(SendSettings(window=0, lookups=0)),
        "memory": await agent_with(SendSettings()),
    }
    clocks: dict[str, Callable[[], float]] = {"off": time.process_time}
    clocks["memory"] = time.process_time
    if redis_url:
        agents["redis"] = await agent_with(SendSettings(ledger=RedisSendLedger(redis_url)))
        agents["off, wall time"] = agents["off"]
        clocks["redis"] = clocks["off, wall time"] = time.perf_counter
    sent = 0
    for name, agent in agents.items():  # warm up: validators compiled, caches filled
        await per_send(agent, 200, sent, clocks[name])
        sent += 200
    samples: dict[str, list[float]] = {name: [] for name in agents}
    for _ in range(rounds):
        for name, agent in agents.items():
            samples[name].append(await per_send(agent, calls, sent, clocks[name]))
            sent += calls
    medians = {name: statistics.median(values) for name, values in samples.items()}
    figures: dict[str, Any] = {
        "us_cpu_per_send_without_ledger": round(medians["off"], 2),
        "us_cpu_per_send_with_memory_ledger": round(medians["memory"], 2),
        "memory_ledger_us_cpu_per_send": round(medians["memory"] - medians["off"], 2),
    }
    if redis_url:
        figures["us_wall_per_send_without_ledger"] = round(medians["off, wall time"], 2)
        figures["us_wall_per_send_with_redis_ledger"] = round(medians["redis"], 2)
        figures["redis_ledger_us_wall_per_send"] = round(
            medians["redis"] - medians["off, wall time"], 2
        )
    for agent in {id(a): a for a in agents.values()}.values():
        await agent.aclose()
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--redis-url", default=None)
    options = parser.parse_args()
    figures = asyncio.run(main(options.calls, options.rounds, options.redis_url))
    json.dump(figures, sys.stdout, indent=2)
    print()
