"""Each call_tool is an OpenTelemetry span after the GenAI conventions for tool execution,
exported by the SDK's InMemorySpanExporter; no span holds an argument value, a credential or
card data; without opentelemetry nothing of it is imported."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from support.credentials import TWILIO_ENV
from support.fault_server import fault_server
from support.payments import CREATE_TOOL, PAYMENT_SID, STATUS_TOOL, UPDATE_TOOL, update_arguments
from support.sandbox import UNKNOWN_CALL, run_card_payment
from support.span_capture import captured_spans, tool_call_ids

from ocp_twilio import (
    InvalidArguments,
    MemoryProgressStore,
    OCPAgent,
    RetryPolicy,
    TwilioAPIError,
)
from ocp_twilio.adapters import anthropic_tool_result, openai_tool_result
from ocp_twilio.sandbox import TEST_CARD, Sandbox


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return captured_spans()


def attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def exported_text(spans: tuple[ReadableSpan, ...]) -> str:
    """Everything a span exporter would send: names, attributes, events, status."""
    return "\n".join(span.to_json() for span in spans)


async def test_a_payment_is_one_span_per_call_with_the_conventions_attributes(
    sandbox: Sandbox, sandbox_agent: OCPAgent, spans: InMemorySpanExporter
) -> None:
    call_sid = sandbox.start_call()
    await run_card_payment(sandbox_agent, call_sid)

    finished = spans.get_finished_spans()
    assert [s.name for s in finished] == [f"execute_tool {CREATE_TOOL}"] + [
        f"execute_tool {UPDATE_TOOL}"
    ] * 5
    first = finished[0]
    assert first.kind is SpanKind.INTERNAL
    assert first.status.status_code is StatusCode.UNSET
    seen = attributes(first)
    assert seen.pop("twilio.request_id").startswith("RQ")
    assert seen == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": CREATE_TOOL,
        "gen_ai.tool.type": "function",
        "http.request.method": "POST",
        "http.response.status_code": 201,
        "ocp_twilio.api": "twilio",
        "ocp_twilio.retry_count": 0,
    }
    assert attributes(finished[-1])["http.response.status_code"] == 202


async def test_no_span_holds_an_argument_value_a_secret_or_card_data(
    sandbox: Sandbox, sandbox_agent: OCPAgent, spans: InMemorySpanExporter
) -> None:
    call_sid = sandbox.start_call()
    payment = await run_card_payment(sandbox_agent, call_sid)  # the caller keys in TEST_CARD
    refused = {"CallSid": call_sid, "Sid": payment, "IdempotencyKey": "secret-key-value"}
    with pytest.raises(InvalidArguments):
        await sandbox_agent.call_tool(UPDATE_TOOL, {**refused, "Capture": TEST_CARD.number})

    finished = spans.get_finished_spans()
    assert len(finished) == 7
    text = exported_text(finished)
    for value in (
        TEST_CARD.number,
        sandbox.auth_token,
        call_sid,
        payment,
        "secret-key-value",
        f"{call_sid}-create",
        "https://agent.example/pay-status",
    ):
        assert value not in text, value


async def test_a_twilio_error_sets_the_error_attributes(
    sandbox_agent: OCPAgent, spans: InMemorySpanExporter
) -> None:
    with pytest.raises(TwilioAPIError) as raised:
        await sandbox_agent.call_tool(
            CREATE_TOOL,
            {
                "CallSid": UNKNOWN_CALL,
                "IdempotencyKey": "k",
                "StatusCallback": "https://a.example/s",
            },
        )

    [span] = spans.get_finished_spans()
    seen = attributes(span)
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description is None  # Twilio's message may quote the arguments
    assert span.events == ()  # nor is the exception recorded
    assert seen["error.type"] == "TwilioAPIError"
    assert seen["twilio.error_code"] == 20404
    assert seen["http.response.status_code"] == 404
    assert seen["twilio.request_id"] == raised.value.request_id


async def test_refused_arguments_are_an_error_span_with_nothing_sent(
    sandbox_agent: OCPAgent, spans: InMemorySpanExporter
) -> None:
    with pytest.raises(InvalidArguments):
        await sandbox_agent.call_tool(CREATE_TOOL, {"CallSid": "not a sid"})

    [span] = spans.get_finished_spans()
    seen = attributes(span)
    assert seen["error.type"] == "InvalidArguments"
    assert "http.response.status_code" not in seen and "twilio.request_id" not in seen


async def test_retries_are_counted(spans: InMemorySpanExporter) -> None:
    policy = RetryPolicy(max_retries=3, backoff_base=0.01, backoff_max=0.02)
    async with fault_server() as server, OCPAgent(retries=policy) as agent:
        server.then("503", "429")
        await agent.register_api("twilio", base_url=server.url, environ=TWILIO_ENV)
        await agent.call_tool(UPDATE_TOOL, update_arguments())

    [span] = spans.get_finished_spans()
    assert attributes(span)["ocp_twilio.retry_count"] == 2
    assert attributes(span)["http.response.status_code"] == 202


async def test_a_progress_tool_is_a_span_without_http_and_a_compact_tool_none_of_its_own(
    sandbox: Sandbox, spans: InMemorySpanExporter
) -> None:
    async with OCPAgent(progress_store=MemoryProgressStore()) as agent:
        await agent.register_api("twilio", environ=sandbox.environ())
        await agent.call_tool("getPaymentStatus", {"Sid": PAYMENT_SID}, tool_call_id="c1")
        await agent.call_tool("findTwilioTool", {"query": "payment"})
        await agent.call_tool(
            "callTwilioTool",
            {"name": "getPaymentStatus", "arguments": {"Sid": PAYMENT_SID}},
            tool_call_id="c2",
        )

    finished = spans.get_finished_spans()
    assert [s.name for s in finished] == [f"execute_tool {STATUS_TOOL}"] * 2
    assert [attributes(s) for s in finished] == [
        {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": STATUS_TOOL,
            "gen_ai.tool.type": "function",
            "gen_ai.tool.call.id": call_id,
            "ocp_twilio.api": "twilio",
            "ocp_twilio.retry_count": 0,
        }
        for call_id in ("c1", "c2")
    ]


async def test_the_models_call_id_is_the_spans(
    sandbox: Sandbox, sandbox_agent: OCPAgent, spans: InMemorySpanExporter
) -> None:
    arguments = {
        "CallSid": sandbox.start_call(),
        "IdempotencyKey": "k",
        "StatusCallback": "https://a.example/s",
    }
    call = {"id": "call_7", "function": {"name": CREATE_TOOL, "arguments": json.dumps(arguments)}}

    block = {"type": "tool_use", "id": "toolu_8", "name": CREATE_TOOL, "input": arguments}
    sandbox_agent.tools_for("openai", tags=["pay"])
    sandbox_agent.tools_for("anthropic", tags=["pay"])

    answer = await openai_tool_result(sandbox_agent, call)
    result = await anthropic_tool_result(sandbox_agent, block)

    assert "is_error" not in answer["content"] and result["is_error"] is False
    assert tool_call_ids(spans) == ["call_7", "toolu_8"]


# A payment's first call in a process of its own, with ``{setup}`` run first.
CALL_PROBE = """
import asyncio, sys
{setup}
from ocp_twilio import OCPAgent
from ocp_twilio._tracing import tracer
from ocp_twilio.sandbox import Sandbox

async def main():
    async with Sandbox() as sandbox, OCPAgent() as agent:
        await agent.register_api("twilio", environ=sandbox.environ())
        result = await agent.call_tool("createPayments", {{
            "CallSid": sandbox.start_call(), "IdempotencyKey": "k",
            "StatusCallback": "https://a.example/s"}})
        print(result["sid"][:2], tracer() is None, sys.modules.get("opentelemetry") is not None)

asyncio.run(main())
"""


@pytest.mark.parametrize(
    "setup",
    [
        "sys.modules['opentelemetry'] = None  # as where it is not installed",
        "",  # installed, and not imported by the application
    ],
    ids=["absent", "not imported"],
)
def test_without_opentelemetry_imported_calls_work_and_never_import_it(setup: str) -> None:
    finished = subprocess.run(
        [sys.executable, "-c", CALL_PROBE.format(setup=setup)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.split() == ["PK", "True", "False"]
