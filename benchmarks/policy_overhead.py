"""CPU a policy adds to a call: the same calls with and without an operator's policy, in one run.

Two real operations, answered by a MockTransport with Twilio's real answers, so that the
figure is the client's CPU and nothing else moves it:

- updatePayments capturing a card number: a tool whose effects depend on its arguments (a
  completion would spend money), so every rule is read per call;
- fetchMessage: a read that no rule touches, the policy's quick path.

The policy is a realistic one: deletes denied, approval for sends and charges,
a pinned sender, recipients kept to +1 numbers, a cap on amounts, a rate limit and budgets.
Rounds alternate between the two agents and each figure is the median over the rounds.

    .venv/bin/python benchmarks/policy_overhead.py [--calls 20000] [--rounds 9]

Prints JSON: microseconds of CPU per call with and without the policy, and the difference.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from ocp_twilio import MockTransport, OCPAgent, Policy, Response
from ocp_twilio.specs.model import packaged_schemas_dir

ROOT = Path(__file__).resolve().parents[1]
MESSAGES_SPEC = ROOT / "tests" / "data" / "specs" / "messaging.yaml"
ACCOUNT = "AC" + "0" * 32
CALL = "CA" + "1" * 32
PAYMENT = "PK" + "2" * 32
MESSAGE_SID = "SM" + "3" * 32
ENVIRON = {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": "x" * 32}
POLICY = {
    "deny": ["effect:delete"],
    "require_approval": ["effect:contacts-person", "effect:spends-money"],
    "pin": {"createMessage": {"From": "+15005550006"}},
    "limits": {
        "recipients": {"prefixes": ["+1"]},
        "amounts": {"USD": 100},
        "rates": [{"tools": "createMessage", "calls": 10, "per": "1m"}],
        "budgets": {"sends": {"count": 100, "per": "1d"}, "spend": {"USD": 500, "per": "1d"}},
    },
}
PAYMENT_BODY = {
    "account_sid": ACCOUNT,
    "call_sid": CALL,
    "sid": PAYMENT,
    "date_created": "Wed, 18 Dec 2019 20:02:01 +0000",
    "date_updated": "Wed, 18 Dec 2019 20:02:01 +0000",
    "uri": f"/2010-04-01/Accounts/{ACCOUNT}/Calls/{CALL}/Payments/{PAYMENT}.json",
}
MESSAGE_BODY = {"sid": MESSAGE_SID, "account_sid": ACCOUNT, "status": "delivered", "body": "hi"}
CALLS: dict[str, dict[str, Any]] = {
    "updatePayments": {
        "CallSid": CALL,
        "Sid": PAYMENT,
        "IdempotencyKey": "order-42-expiry",
        "StatusCallback": "https://example.com/pay",
        "Capture": "expiration-date",
    },
    "fetchMessage": {"Sid": MESSAGE_SID},
}


def answer(request: Any) -> Response:
    body = PAYMENT_BODY if "/Payments/" in str(request.url) else MESSAGE_BODY
    return Response.json(202 if body is PAYMENT_BODY else 200, body)


async def agent_with(policy: Policy | None) -> OCPAgent:
    agent = OCPAgent(transport=MockTransport(answer), response_validation="strict")
    await agent.register_api(
        "twilio", spec=[packaged_schemas_dir(), MESSAGES_SPEC], environ=ENVIRON
    )
    if policy is not None:
        agent.use_policy(policy)
    return agent


async def cpu_per_call(agent: OCPAgent, name: str, calls: int) -> float:
    arguments = CALLS[name]
    start = time.process_time()
    for _ in range(calls):
        await agent.call_tool(name, arguments)
    return (time.process_time() - start) / calls * 1e6


async def main(calls: int, rounds: int) -> dict[str, Any]:
    plain = await agent_with(None)
    guarded = await agent_with(Policy.from_mapping(POLICY))
    figures: dict[str, Any] = {}
    for name in CALLS:
        for agent in (plain, guarded):  # warm up: validators compiled, caches filled
            await cpu_per_call(agent, name, 200)
        without, with_policy = [], []
        for _ in range(rounds):
            without.append(await cpu_per_call(plain, name, calls))
            with_policy.append(await cpu_per_call(guarded, name, calls))
        differences = [w - o for w, o in zip(with_policy, without, strict=True)]
        figures[name] = {
            "us_per_call_without_policy": round(statistics.median(without), 2),
            "us_per_call_with_policy": round(statistics.median(with_policy), 2),
            "policy_us_per_call": round(statistics.median(differences), 2),
            "ratio": round(statistics.median(with_policy) / statistics.median(without), 3),
        }
    await plain.aclose()
    await guarded.aclose()
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=9)
    options = parser.parse_args()
    json.dump(asyncio.run(main(options.calls, options.rounds)), sys.stdout, indent=2)
    print()
