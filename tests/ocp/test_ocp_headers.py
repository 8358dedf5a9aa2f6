"""The OCP context on the wire and in the history, through a real socket."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from support.credentials import ACCOUNT_SID, AUTH_TOKEN, TWILIO_ENV
from support.payments import CALL_SID, CREATE_TOOL, PAYMENT_SID, UPDATE_TOOL, update_arguments
from support.servers import RecordingServer

from ocp_twilio import (
    HISTORY_LIMIT,
    OCP_HEADER_NAMES,
    SESSION_LIMIT,
    InvalidArguments,
    OCPAgent,
    RequestTimeout,
    ResponseValidationError,
    TransportError,
    TwilioAPIError,
    decode_header_text,
    decode_session,
)
from ocp_twilio.specs.model import packaged_schemas_dir

GOAL = "Kartenzahlung für Bestellung 42 — 注文"

# Every value of a card payment's arguments; none may show in the context or its headers.
PAYMENT_ARGUMENTS = {
    "CallSid": CALL_SID,
    "IdempotencyKey": "order-42-start-7f3a",
    "StatusCallback": "https://shop.example/pay-status/secret-path-9c1",
    "ChargeAmount": 1234.56,
    "Currency": "eur",
    "Description": "Order 42 for Jane Roe",
    "PaymentConnector": "stripe-connector-x1",
    "ValidCardTypes": "visa amex",
    "Parameter": {"customer_ref": "cust-5b2e"},
}


@pytest.fixture
async def ocp_agent(recording_server: RecordingServer) -> AsyncIterator[OCPAgent]:
    """An agent whose Twilio API is registered with OCP headers on."""
    async with OCPAgent(
        agent_type="payment_assistant", user="alice", workspace="shop", agent_goal=GOAL
    ) as agent:
        await agent.register_api(
            "twilio", base_url=recording_server.url, environ=TWILIO_ENV, ocp_headers=True
        )
        yield agent


def ocp_headers_of(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower().startswith("ocp-")}


async def test_twilio_gets_no_ocp_headers_by_default(recording_server: RecordingServer) -> None:
    async with OCPAgent(agent_type="payment_assistant", agent_goal=GOAL) as agent:
        await agent.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)
        await agent.call_tool("updatePayments", update_arguments())

    [request] = recording_server.requests
    assert ocp_headers_of(request.headers) == {}
    # The call is still part of the context's history.
    assert [r.tool for r in agent.context.history] == [UPDATE_TOOL]


async def test_apis_registered_with_ocp_headers_receive_the_context(
    ocp_agent: OCPAgent, recording_server: RecordingServer
) -> None:
    await ocp_agent.call_tool("updatePayments", update_arguments())
    await ocp_agent.call_tool("updatePayments", update_arguments(IdempotencyKey="k2"))

    first, second = (r.headers for r in recording_server.requests)
    assert set(ocp_headers_of(second)) == set(OCP_HEADER_NAMES)
    context = ocp_agent.context
    assert second["OCP-Context-ID"] == context.context_id
    assert second["OCP-Agent-Type"] == "payment_assistant"
    assert second["OCP-Version"] == "1.0"
    assert second["OCP-User"] == "alice"
    assert second["OCP-Workspace"] == "shop"
    assert decode_header_text(second["OCP-Current-Goal"]) == GOAL
    assert decode_session(first["OCP-Session"])["history"] == []
    session = decode_session(second["OCP-Session"])
    assert session["context_id"] == context.context_id
    assert session["current_goal"] == GOAL
    assert session["api_specs"] == {"twilio": "python:ocp_twilio.ocp.plugin:twilio_api"}
    [earlier] = session["history"]
    assert earlier["action"] == UPDATE_TOOL
    assert earlier["result"] == "success"
    assert earlier["api_endpoint"] == (
        "POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Payments/{Sid}.json"
    )


async def test_a_new_goal_is_sent_with_the_next_call(
    ocp_agent: OCPAgent, recording_server: RecordingServer
) -> None:
    await ocp_agent.call_tool("updatePayments", update_arguments())
    ocp_agent.context.update_goal("refund order 42")
    await ocp_agent.call_tool("updatePayments", update_arguments(IdempotencyKey="k2"))

    goals = [r.headers["OCP-Current-Goal"] for r in recording_server.requests]
    assert [decode_header_text(g) for g in goals] == [GOAL, "refund order 42"]


async def test_no_argument_value_reaches_the_context_or_the_headers(
    ocp_agent: OCPAgent, recording_server: RecordingServer
) -> None:
    await ocp_agent.call_tool("createPayments", PAYMENT_ARGUMENTS)
    await ocp_agent.call_tool("updatePayments", update_arguments(Capture="payment-card-number"))
    with pytest.raises(InvalidArguments):
        await ocp_agent.call_tool("createPayments", {**PAYMENT_ARGUMENTS, "ChargeAmount": -5})

    sent = json.dumps([ocp_headers_of(r.headers) for r in recording_server.requests])
    sessions = json.dumps(
        [decode_session(r.headers["OCP-Session"]) for r in recording_server.requests]
    )
    kept = json.dumps(ocp_agent.context.to_dict())
    secrets = [
        *(json.dumps(v).strip('"') for v in PAYMENT_ARGUMENTS.values()),
        "cust-5b2e",
        "payment-card-number",
        PAYMENT_SID,
        ACCOUNT_SID,
        AUTH_TOKEN,
    ]
    for text in (sent, sessions, kept):
        assert [s for s in secrets if s in text] == []
    assert [r.tool for r in ocp_agent.context.history] == [CREATE_TOOL, UPDATE_TOOL, CREATE_TOOL]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_the_history_records_success_and_each_kind_of_failure(
    recording_server: RecordingServer,
) -> None:
    async with OCPAgent() as agent:
        await agent.register_api(
            "twilio",
            base_url=recording_server.url,
            environ=TWILIO_ENV,
            response_validation="strict",
        )
        await agent.register_api(
            "offline",
            spec=packaged_schemas_dir(),
            base_url=f"http://127.0.0.1:{closed_port()}",
            environ=TWILIO_ENV,
        )
        await agent.call_tool("updatePayments", update_arguments(), api="twilio")
        with pytest.raises(InvalidArguments):
            await agent.call_tool("updatePayments", update_arguments(Sid="nope"), api="twilio")
        recording_server.reply(400, {"code": 20404, "message": "not found", "status": 400})
        with pytest.raises(TwilioAPIError):
            await agent.call_tool("updatePayments", update_arguments(), api="twilio")
        recording_server.reply(202, {"sid": "not-a-payment-sid"})
        with pytest.raises(ResponseValidationError):
            await agent.call_tool("updatePayments", update_arguments(), api="twilio")

        async def slow(request: web.Request) -> web.Response:
            await asyncio.sleep(1)
            return web.json_response({}, status=202)

        recording_server.respond = slow
        with pytest.raises(RequestTimeout):
            await agent.call_tool("updatePayments", update_arguments(), api="twilio", timeout=0.05)
        with pytest.raises(TransportError):
            await agent.call_tool("updatePayments", update_arguments(), api="offline")

    outcomes = [(r.api, r.result, r.status) for r in agent.context.history]
    assert outcomes == [
        ("twilio", "success", None),
        ("twilio", "InvalidArguments", None),
        ("twilio", "TwilioAPIError", 400),
        ("twilio", "ResponseValidationError", None),
        ("twilio", "RequestTimeout", None),
        ("offline", "TransportError", None),
    ]
    assert all(r.tool == UPDATE_TOOL for r in agent.context.history)


async def test_a_thousand_calls_keep_every_session_header_within_8_kb(
    ocp_agent: OCPAgent, recording_server: RecordingServer
) -> None:
    calls = 1000
    for number in range(calls):
        await ocp_agent.call_tool(
            "updatePayments", update_arguments(IdempotencyKey=f"order-42-step-{number}")
        )

    requests = recording_server.requests
    assert len(requests) == calls
    sizes = [len(r.headers["OCP-Session"]) for r in requests]
    assert max(sizes) <= SESSION_LIMIT
    # Bounded: the last header is no larger than once the history was full.
    assert sizes[-1] <= max(sizes[: HISTORY_LIMIT + 1])
    last = decode_session(requests[-1].headers["OCP-Session"])
    assert last["session"]["interaction_count"] == calls - 1
    assert len(last["history"]) == HISTORY_LIMIT
    all_ocp = sum(len(k) + len(v) for k, v in ocp_headers_of(requests[-1].headers).items())
    assert all_ocp <= SESSION_LIMIT + 512
    assert ocp_agent.context.to_dict()["session"]["interaction_count"] == calls


async def test_history_holds_the_tool_names_not_the_request(ocp_agent: OCPAgent) -> None:
    await ocp_agent.call_tool("updatePayments", update_arguments())

    [record] = ocp_agent.context.history
    entry: dict[str, Any] = record.to_dict()
    assert set(entry) == {"timestamp", "action", "api_endpoint", "result", "metadata"}
    assert entry["metadata"] == {"api": "twilio"}
