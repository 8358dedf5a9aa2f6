"""Every fault of a real local server ends in a defined OCPError or in a correct retry.

updatePayments sends an IdempotencyKey, so Twilio deduplicates a repeat and any failure may be
retried; createNote (tests/data/specs/unkeyed.yaml) sends none, so only an answer that says the
request was not processed (429) or a connection that never opened may be retried.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from support.credentials import TWILIO_ENV
from support.fault_server import FaultServer, connections_in_use, fault_server
from support.files import SPECS
from support.payments import CALL_SID, PAYMENT_BODY, PAYMENT_SID, UPDATE_TOOL, update_arguments
from support.secret_scan import assert_no_secrets

from ocp_twilio import (
    InvalidArguments,
    OCPAgent,
    OCPError,
    RequestTimeout,
    ResponseTooLarge,
    ResponseValidationError,
    RetryPolicy,
    TransportError,
    TwilioAPIError,
)

UNKEYED_SPEC = SPECS / "unkeyed.yaml"
ATTEMPT_TIMEOUT = 0.3
FAST_RETRIES = RetryPolicy(max_retries=2, backoff_base=0.01, backoff_max=0.02, deadline=5.0)
RETRIED = "retried"
# Far beyond any attempt timeout and retry schedule here: a call still running then hangs.
HANG_LIMIT = 10.0

# fault: (outcome with an IdempotencyKey, outcome without one)
OUTCOMES: dict[str, tuple[Any, Any]] = {
    "429": (RETRIED, RETRIED),
    "500": (RETRIED, TwilioAPIError),
    "502": (RETRIED, TwilioAPIError),
    "503": (RETRIED, TwilioAPIError),
    "503 retry-after 0": (RETRIED, TwilioAPIError),  # Twilio does not say it was not processed
    "504": (RETRIED, TwilioAPIError),
    "reset before response": (RETRIED, TransportError),
    "reset after response starts": (RETRIED, TransportError),
    "truncated body": (RETRIED, TransportError),
    "slow headers": (RETRIED, RequestTimeout),
    "html error page": (RETRIED, TwilioAPIError),
    "invalid json": (ResponseValidationError, ResponseValidationError),
    "empty 200": (ResponseValidationError, ResponseValidationError),
    "wrong content type": (ResponseValidationError, ResponseValidationError),
    "huge body": (ResponseTooLarge, ResponseTooLarge),
    "huge chunked body": (ResponseTooLarge, ResponseTooLarge),
}


@pytest.fixture
async def faults() -> AsyncIterator[FaultServer]:
    async with fault_server() as server:
        yield server


@asynccontextmanager
async def fault_agent(url: str, spec: Path | None = None) -> AsyncIterator[OCPAgent]:
    """An agent with short timeouts and quick retries, its tools served from ``url``."""
    async with OCPAgent(
        timeout=ATTEMPT_TIMEOUT,
        retries=FAST_RETRIES,
        max_response_bytes=16 * 1024,
    ) as agent:
        await agent.register_api("twilio", spec=spec, base_url=url, environ=TWILIO_ENV)
        yield agent


@pytest.fixture
async def keyed_agent(faults: FaultServer) -> AsyncIterator[OCPAgent]:
    async with fault_agent(faults.url) as agent:
        yield agent


async def outcome_of(agent: OCPAgent, tool: str, arguments: dict[str, Any]) -> Any:
    try:
        return await asyncio.wait_for(agent.call_tool(tool, arguments), HANG_LIMIT)
    except OCPError as exc:
        return exc


@pytest.mark.parametrize("keyed", [True, False], ids=["with key", "without key"])
@pytest.mark.parametrize("fault", OUTCOMES)
async def test_fault(
    fault: str,
    keyed: bool,
    faults: FaultServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    faults.then(fault)
    expected = OUTCOMES[fault][0 if keyed else 1]
    tool, arguments = (
        ("updatePayments", update_arguments()) if keyed else ("createNote", {"Text": "x"})
    )
    async with fault_agent(faults.url, None if keyed else UNKEYED_SPEC) as agent:
        outcome = await outcome_of(agent, tool, arguments)
        assert connections_in_use(agent) == 0
        hits = list(faults.hits)
        # The agent stays usable: a failed exchange leaves no broken connection behind.
        assert await outcome_of(agent, tool, arguments) == PAYMENT_BODY
        assert connections_in_use(agent) == 0
    if expected == RETRIED:
        assert outcome == PAYMENT_BODY
        assert hits == [fault, "ok"]
    else:
        assert type(outcome) is expected, outcome
        assert hits == [fault], "a request that may have been processed was sent again"
    assert_no_secrets([caplog.text, str(outcome), repr(outcome)])


@pytest.mark.parametrize("fault", ["500", "503 retry-after 0", "reset before response"])
@pytest.mark.parametrize("key", ["", " ", "\t\n", "note-1"])
async def test_only_a_non_blank_idempotency_key_makes_a_post_safe_to_repeat(
    fault: str, key: str, faults: FaultServer
) -> None:
    """A blank key dedupes nothing: it is refused unsent, for any operation that takes a key."""
    faults.then(fault)
    async with fault_agent(faults.url, UNKEYED_SPEC) as agent:
        outcome = await outcome_of(agent, "createNote", {"Text": "x", "IdempotencyKey": key})
    if key.strip():
        assert faults.hits == [fault, "ok"]
        assert outcome == PAYMENT_BODY
    else:
        assert faults.hits == []
        assert isinstance(outcome, InvalidArguments)


@pytest.mark.parametrize("key", ["", " ", "\t"])
async def test_the_curated_tools_refuse_a_blank_idempotency_key(
    key: str, faults: FaultServer, keyed_agent: OCPAgent
) -> None:
    with pytest.raises(InvalidArguments) as caught:
        await keyed_agent.call_tool("updatePayments", update_arguments(IdempotencyKey=key))
    assert {e.path for e in caught.value.errors} == {("IdempotencyKey",)}
    assert faults.hits == []


@pytest.mark.parametrize(
    ("fault", "error"),
    [("500", TwilioAPIError), ("reset before response", TransportError), ("429", TwilioAPIError)],
)
async def test_retries_are_bounded(
    fault: str, error: type[OCPError], faults: FaultServer, keyed_agent: OCPAgent
) -> None:
    faults.then(*[fault] * 10)
    assert type(await outcome_of(keyed_agent, "updatePayments", update_arguments())) is error
    assert faults.hits == [fault] * (1 + FAST_RETRIES.max_retries)
    assert connections_in_use(keyed_agent) == 0


async def test_deadline_bounds_the_whole_call(faults: FaultServer) -> None:
    policy = RetryPolicy(max_retries=10, backoff_base=0.01, backoff_max=0.01, deadline=0.7)
    faults.then(*["slow headers"] * 10)
    async with OCPAgent(timeout=ATTEMPT_TIMEOUT, retries=policy) as agent:
        await agent.register_api("twilio", base_url=faults.url, environ=TWILIO_ENV)
        started = time.monotonic()
        with pytest.raises(RequestTimeout):
            await agent.call_tool("updatePayments", update_arguments())
        elapsed = time.monotonic() - started
    # Generous for a busy machine; without the deadline, 11 attempts would take 3.3 s or more.
    assert elapsed < policy.deadline + 1.0
    assert 2 <= len(faults.hits) <= 3


async def test_retry_after_is_honoured(faults: FaultServer, keyed_agent: OCPAgent) -> None:
    faults.then("429 retry-after 1")
    started = time.monotonic()
    assert await keyed_agent.call_tool("updatePayments", update_arguments()) == PAYMENT_BODY
    assert time.monotonic() - started >= 0.95
    assert faults.hits == ["429 retry-after 1", "ok"]


async def test_retry_after_beyond_the_deadline_gives_up_at_once(
    faults: FaultServer, keyed_agent: OCPAgent
) -> None:
    faults.then("429 retry-after 3600")
    started = time.monotonic()
    with pytest.raises(TwilioAPIError) as caught:
        await keyed_agent.call_tool("updatePayments", update_arguments())
    assert caught.value.status == 429
    assert caught.value.code == 20429
    assert time.monotonic() - started < 10  # did not wait the hour it was told to
    assert faults.hits == ["429 retry-after 3600"]


async def test_refused_connection_is_retried_even_without_a_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with fault_agent(f"http://127.0.0.1:{port}", UNKEYED_SPEC) as agent:
        outcome = await outcome_of(agent, "createNote", {"Text": "hello"})
        assert connections_in_use(agent) == 0
    assert type(outcome) is TransportError
    assert outcome.nothing_sent
    retries = [r for r in caplog.records if "retry" in r.getMessage()]
    assert len(retries) == FAST_RETRIES.max_retries


async def test_no_retries_when_disabled(faults: FaultServer) -> None:
    faults.then("429")
    async with OCPAgent(retries=0) as agent:
        await agent.register_api("twilio", base_url=faults.url, environ=TWILIO_ENV)
        with pytest.raises(TwilioAPIError):
            await agent.call_tool("updatePayments", update_arguments())
    assert faults.hits == ["429"]


async def test_register_api_retries_override_the_agent(faults: FaultServer) -> None:
    faults.then("500", "500")
    async with OCPAgent(retries=0) as agent:
        policy = RetryPolicy(max_retries=2, backoff_base=0.01, backoff_max=0.01)
        await agent.register_api("twilio", base_url=faults.url, environ=TWILIO_ENV, retries=policy)
        assert await agent.call_tool("updatePayments", update_arguments()) == PAYMENT_BODY
    assert faults.hits == ["500", "500", "ok"]


async def test_retries_are_logged_without_secrets_or_argument_values(
    faults: FaultServer,
    keyed_agent: OCPAgent,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="ocp_twilio")
    faults.then("503", "reset before response")
    await keyed_agent.call_tool("updatePayments", update_arguments())
    messages = [r.getMessage() for r in caplog.records if r.name == "ocp_twilio"]
    retried = [m for m in messages if "retry" in m]
    assert retried[0].startswith(f"{UPDATE_TOOL} POST: HTTP 503; retry 1 of 2 in ")
    disconnected = "Connection failed: ServerDisconnectedError"
    assert retried[1].startswith(f"{UPDATE_TOOL} POST: {disconnected}; retry 2 of 2 in ")
    values = [str(v) for v in update_arguments().values()] + [CALL_SID, PAYMENT_SID]
    for message in messages:
        assert not any(value in message for value in values), message
    assert_no_secrets(messages)


async def test_calls_in_flight_are_capped(faults: FaultServer) -> None:
    in_flight = 0
    peak = 0
    handle = faults.handle

    async def counting(request: Any) -> Any:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        try:
            return await handle(request)
        finally:
            in_flight -= 1

    faults.handle = counting  # type: ignore[method-assign]
    async with OCPAgent(max_in_flight=3) as agent:
        await agent.register_api("twilio", base_url=faults.url, environ=TWILIO_ENV)
        calls = [agent.call_tool("updatePayments", update_arguments()) for _ in range(20)]
        assert await asyncio.gather(*calls) == [PAYMENT_BODY] * 20
        assert connections_in_use(agent) == 0
    assert peak == 3
