"""The send ledger refuses an identical send within its window, in memory and in a real
redis-server that two agents share; a refused or invalid call records nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import redis
from support.credentials import ACCOUNT_SID
from support.redis_server import RedisServer
from support.sends import CALL, CALL_TOOL, MESSAGE, SEND_TOOL, send_server, sending_agent

from ocp_twilio import (
    Approval,
    ApprovalRequest,
    CallRefused,
    ConfigurationError,
    InvalidArguments,
    MemorySendLedger,
    Policy,
    RedisSendLedger,
    RepeatedSend,
    SendLedgerUnavailable,
    SendSettings,
    TwilioAPIError,
)
from ocp_twilio.adapters._calls import error_text


class Clock:
    """Time that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _personal(texts: Iterator[str] | list[str]) -> list[str]:
    """The texts that hold a number, a body or a URL of the sends."""
    values = (*MESSAGE.values(), CALL["Url"], MESSAGE["To"].lstrip("+"))
    return [text for text in texts if any(value in text for value in values)]


async def test_an_identical_send_within_the_window_is_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, "ocp_twilio")
    clock = Clock()
    ledger = MemorySendLedger(clock=clock)
    async with (
        send_server() as server,
        sending_agent(server.url, sends=SendSettings(ledger=ledger)) as agent,
    ):
        await agent.call_tool(SEND_TOOL, MESSAGE)
        clock.now += 599
        with pytest.raises(RepeatedSend) as caught:
            await agent.call_tool(SEND_TOOL, MESSAGE)
        # Another body, another number, or a call to the same number is another send.
        await agent.call_tool(SEND_TOOL, {**MESSAGE, "Body": "Your appointment is at 4pm"})
        await agent.call_tool(CALL_TOOL, CALL)
        # A new key is a new send on purpose; the same key again is a repeat.
        await agent.call_tool(SEND_TOOL, {**MESSAGE, "SendKey": "second"})
        with pytest.raises(RepeatedSend):
            await agent.call_tool(SEND_TOOL, {**MESSAGE, "SendKey": "second"})
        clock.now += 2  # the first send left its window
        await agent.call_tool(SEND_TOOL, MESSAGE)
    assert len(server.sends) == 5
    refused = caught.value
    assert isinstance(refused, InvalidArguments) and not refused.retryable
    assert refused.age == 599 and refused.window == 600
    text = error_text(refused)
    assert "SendKey" in text and "10 min" in text and "nothing was sent" in text
    # Only digests are kept; no number, body or URL in the ledger, the error or the logs.
    assert _personal([*ledger._sends, text, caplog.text]) == []
    assert all(len(digest) == 64 for digest in ledger._sends)


async def test_a_call_refused_by_the_policy_or_invalid_records_nothing() -> None:
    ledger = MemorySendLedger()

    async def no(request: ApprovalRequest) -> Approval:
        return Approval(False, reason="not now")

    async with (
        send_server() as server,
        sending_agent(server.url, sends=SendSettings(ledger=ledger)) as agent,
    ):
        agent.use_policy(
            Policy.from_mapping({"require_approval": ["effect:contacts-person"]}), approver=no
        )
        with pytest.raises(CallRefused):
            await agent.call_tool(SEND_TOOL, MESSAGE)
        with pytest.raises(InvalidArguments):
            await agent.call_tool(SEND_TOOL, {**MESSAGE, "Bodyy": "typo"})
        assert len(ledger) == 0 and server.sends == []
        agent.use_policy(None)
        await agent.call_tool(SEND_TOOL, MESSAGE)  # not taken for a repeat of either
    assert len(ledger) == 1 and len(server.sends) == 1


async def test_a_send_twilio_refused_is_not_recorded() -> None:
    ledger = MemorySendLedger()
    async with (
        send_server() as server,
        sending_agent(server.url, sends=SendSettings(ledger=ledger)) as agent,
    ):
        server.send = "reject"
        with pytest.raises(TwilioAPIError):
            await agent.call_tool(SEND_TOOL, MESSAGE)
        assert len(ledger) == 0
        server.send = "ok"
        await agent.call_tool(SEND_TOOL, MESSAGE)
    assert len(server.sends) == 2 and len(ledger) == 1


async def test_the_memory_ledger_is_bounded() -> None:
    clock = Clock()
    ledger = MemorySendLedger(max_sends=3, clock=clock)
    for n in range(5):
        assert await ledger.claim(f"d{n}", 600, "t") is None
        clock.now += 1
    assert len(ledger) == 3 and await ledger.claim("d0", 600, "t") is None  # forgotten
    await ledger.release("d4", "other token")  # another claim's token frees nothing
    assert await ledger.claim("d4", 600, "t") == 1
    with pytest.raises(ConfigurationError):
        MemorySendLedger(max_sends=0)


@pytest.mark.parametrize(
    "options",
    [{"window": -1}, {"window": "600"}, {"lookups": 11}, {"lookup_interval": 61}, {"ledger": 3}],
)
def test_settings_are_checked(options: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        SendSettings(**options)  # type: ignore[arg-type]


async def test_two_agents_share_one_redis_ledger(redis_server: RedisServer) -> None:
    clock = Clock()
    first = RedisSendLedger(redis_server.url, clock=clock)
    second = RedisSendLedger(redis_server.url, clock=clock)
    async with (
        send_server() as server,
        sending_agent(server.url, sends=SendSettings(ledger=first)) as one,
        sending_agent(server.url, sends=SendSettings(ledger=second)) as two,
    ):
        await one.call_tool(SEND_TOOL, MESSAGE)
        with pytest.raises(RepeatedSend):
            await two.call_tool(SEND_TOOL, MESSAGE)
        await two.call_tool(SEND_TOOL, {**MESSAGE, "SendKey": "on purpose"})
        clock.now += 601
        await two.call_tool(SEND_TOOL, MESSAGE)
        with pytest.raises(RepeatedSend):
            await one.call_tool(SEND_TOOL, MESSAGE)
    await first.aclose()
    await second.aclose()
    assert len(server.sends) == 3
    # What Redis holds: digests and times, nothing of the numbers, bodies or credentials.
    client = redis.Redis.from_url(redis_server.url)
    try:
        stored = [key.decode() for key in client.keys("*")]
        stored += [client.get(key).decode() for key in client.keys("*")]  # type: ignore[union-attr]
        ttls = [client.pttl(key) for key in client.keys("*")]
    finally:
        client.close()
    assert len(stored) == 4 and _personal(stored) == []
    assert not any(ACCOUNT_SID in text for text in stored)
    assert all(0 < ttl <= 600_000 for ttl in ttls)


async def test_the_agent_uses_redis_where_it_has_a_url(redis_server: RedisServer) -> None:
    async with send_server() as server:
        async with sending_agent(server.url, redis_url=redis_server.url) as one:
            await one.call_tool(SEND_TOOL, MESSAGE)
        async with sending_agent(server.url, redis_url=redis_server.url) as two:
            with pytest.raises(RepeatedSend):
                await two.call_tool(SEND_TOOL, MESSAGE)
    assert len(server.sends) == 1


async def test_a_redis_outage_refuses_the_send_with_nothing_sent(
    redis_server: RedisServer,
) -> None:
    ledger = RedisSendLedger(redis_server.url)
    redis_server.stop()
    async with (
        send_server() as server,
        sending_agent(server.url, sends=SendSettings(ledger=ledger)) as agent,
    ):
        with pytest.raises(SendLedgerUnavailable) as caught:
            await agent.call_tool(SEND_TOOL, MESSAGE)
    await ledger.aclose()
    assert server.sends == [] and caught.value.nothing_sent and caught.value.retryable
    assert "pa55w0rd" not in str(caught.value) and repr(ledger).startswith(
        "<RedisSendLedger redis://127.0.0.1:"
    )


async def test_a_value_nested_too_deep_is_invalid_and_records_nothing() -> None:
    ledger = MemorySendLedger()
    deep: object = "x"
    for _ in range(5000):
        deep = [deep]
    async with (
        send_server() as server,
        sending_agent(server.url, sends=SendSettings(ledger=ledger)) as agent,
    ):
        with pytest.raises(InvalidArguments):
            await agent.call_tool(SEND_TOOL, {**MESSAGE, "Body": deep})
    assert len(ledger) == 0 and server.sends == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis://127.0.0.1:99999/0", "The port of the send ledger's Redis URL is not a number"),
        ("http://127.0.0.1:6379/0", "The send ledger's Redis URL must start with redis://"),
    ],
)
def test_a_ledger_on_no_redis_url_says_so_in_a_sentence(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        RedisSendLedger(url)
