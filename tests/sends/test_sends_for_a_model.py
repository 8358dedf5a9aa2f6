"""What a model reads of an unknown outcome and of a repeat, through an adapter; sends racing
each other; a dry run; and Twilio's own Messages and Calls operations as sends."""

from __future__ import annotations

import asyncio
import json

import pytest
from support.files import SHARED_OAI
from support.redis_server import RedisServer
from support.sends import MESSAGE, QUICK, SEND_TOOL, message_record, send_server, sending_agent

from ocp_twilio import (
    MemorySendLedger,
    Policy,
    RedisSendLedger,
    RepeatedSend,
    SendLedger,
    SendSettings,
    anthropic_tool_result,
    load_tools,
)

FOUND_SID = "SM" + "4" * 32


async def test_a_model_reads_what_the_look_up_found_and_how_to_send_again() -> None:
    async with send_server() as server, sending_agent(server.url, sends=QUICK) as agent:
        tools = [agent.get_tool(SEND_TOOL)]
        server.send = "hold"
        server.listed = [message_record(FOUND_SID)]
        block = {"type": "tool_use", "id": "t1", "name": SEND_TOOL, "input": MESSAGE}
        unknown = await anthropic_tool_result(agent, block, offered=tools)
        server.send = "ok"
        repeat = await anthropic_tool_result(agent, {**block, "id": "t2"}, offered=tools)
    assert unknown["is_error"] is True and repeat["is_error"] is True
    text = json.dumps(unknown["content"])
    assert "outcome unknown" in text and f"sent ({FOUND_SID}" in text
    assert "SendKey" in json.dumps(repeat["content"])
    for value in MESSAGE.values():
        assert value not in text and value not in json.dumps(repeat["content"])
    assert len(server.sends) == 1


@pytest.mark.parametrize("shared", ["memory", "redis"])
async def test_identical_sends_racing_each_other_go_out_once(
    shared: str, request: pytest.FixtureRequest
) -> None:
    ledger: SendLedger = MemorySendLedger()
    if shared == "redis":
        redis_server: RedisServer = request.getfixturevalue("redis_server")
        ledger = RedisSendLedger(redis_server.url)
    async with (
        send_server() as server,
        sending_agent(server.url, sends=SendSettings(ledger=ledger)) as agent,
    ):
        outcomes = await asyncio.gather(
            *(agent.call_tool(SEND_TOOL, MESSAGE) for _ in range(8)), return_exceptions=True
        )
    if isinstance(ledger, RedisSendLedger):
        await ledger.aclose()
    assert len(server.sends) == 1, [type(o).__name__ for o in outcomes]
    assert sum(isinstance(o, RepeatedSend) for o in outcomes) == 7


async def test_a_dry_run_records_nothing() -> None:
    ledger = MemorySendLedger()
    async with (
        send_server() as server,
        sending_agent(server.url, sends=SendSettings(ledger=ledger)) as agent,
    ):
        agent.use_policy(Policy.from_mapping({"dry_run": True}))
        answer = await agent.call_tool(SEND_TOOL, {**MESSAGE, "SendKey": "k"})
    assert answer["dry_run"] is True and "SendKey" not in json.dumps(answer["request"])
    assert len(ledger) == 0 and server.sends == []


def test_twilios_create_message_and_create_call_are_the_sends() -> None:
    if not SHARED_OAI.is_dir():
        pytest.skip(f"needs Twilio's OpenAPI files at {SHARED_OAI}")
    tools = load_tools("twilio", spec=[SHARED_OAI / "twilio_api_v2010.yaml"])
    with_key = sorted(t.name for t in tools if "SendKey" in t.input_schema["properties"])
    assert with_key == ["api_v2010__createCall", "api_v2010__createMessage"]
