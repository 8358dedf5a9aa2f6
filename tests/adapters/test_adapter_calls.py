"""The per-framework helpers: the model's call as the SDK delivers it, the result message back."""

from __future__ import annotations

import json
from typing import Any

import pytest
from anthropic.types import ToolResultBlockParam, ToolUseBlock
from openai.types.chat import ChatCompletionMessageToolCall, ChatCompletionToolMessageParam
from openai.types.responses import ResponseFunctionToolCall
from openai.types.responses.response_input_param import FunctionCallOutput
from pydantic import TypeAdapter
from support.credentials import AUTH_TOKEN
from support.payments import PAYMENT_BODY, PAYMENT_VIEW, update_arguments
from support.servers import RecordingServer

from ocp_twilio import OCPAgent, anthropic_tool_result, openai_tool_result


@pytest.fixture
def agent(agent: OCPAgent) -> OCPAgent:
    """The conftest's agent, its Pay tools offered to an OpenAI and an Anthropic model."""
    agent.tools_for("openai", tags=["pay"])
    agent.tools_for("anthropic", tags=["pay"])
    return agent


def chat_call(arguments: Any, name: str = "updatePayments") -> ChatCompletionMessageToolCall:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return ChatCompletionMessageToolCall.model_validate(
        {"id": "call_1", "type": "function", "function": {"name": name, "arguments": text}}
    )


def strict_style(arguments: dict[str, Any]) -> dict[str, Any]:
    """What a strict-mode model sends: every property, null for those it leaves out."""
    keys = ["AccountSid", "CallSid", "Sid", "IdempotencyKey", "StatusCallback", "Capture", "Status"]
    return {k: arguments.get(k) for k in keys}


async def test_openai_chat_call_in_strict_style_is_sent_as_the_original_schema_wants(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    message = await openai_tool_result(agent, chat_call(strict_style(update_arguments())))

    TypeAdapter(ChatCompletionToolMessageParam).validate_python(message)
    assert message["role"] == "tool" and message["tool_call_id"] == "call_1"
    assert json.loads(message["content"]) == PAYMENT_VIEW
    [request] = recording_server.requests
    assert request.form == [
        ("IdempotencyKey", "order-42-expiry"),
        ("StatusCallback", "https://example.com/pay-status"),
        ("Capture", "expiration-date"),
    ]


async def test_openai_strict_json_text_object_is_decoded_before_the_call(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    arguments = {
        "CallSid": update_arguments()["CallSid"],
        "IdempotencyKey": "order-42-start",
        "StatusCallback": "https://example.com/pay-status",
        "PaymentMethod": "ach-debit",
        "Parameter": '{"txn_id": "42"}',
        "ChargeAmount": None,
    }
    call = {
        "id": "call_2",
        "function": {"name": "createPayments", "arguments": json.dumps(arguments)},
    }
    recording_server.reply(201, PAYMENT_BODY)

    message = await openai_tool_result(agent, call)

    assert json.loads(message["content"]) == PAYMENT_VIEW
    assert ("Parameter", '{"txn_id":"42"}') in recording_server.requests[0].form
    assert "ChargeAmount" not in dict(recording_server.requests[0].form)


async def test_openai_responses_call_with_bad_input_is_an_error_result_and_nothing_is_sent(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    item = ResponseFunctionToolCall(
        type="function_call",
        call_id="fc_1",
        name="updatePayments",
        arguments=json.dumps(update_arguments(Status="complete", Sid="PK1")),
    )

    output = await openai_tool_result(agent, item)

    TypeAdapter(FunctionCallOutput).validate_python(output)
    assert output["type"] == "function_call_output" and output["call_id"] == "fc_1"
    result = json.loads(output["output"])
    assert result["is_error"] is True
    assert "nothing was sent" in result["error"]
    assert "Sid: must match the pattern" in result["error"]
    assert "give exactly one of Capture or Status" in result["error"]
    assert recording_server.requests == []


async def test_openai_arguments_that_are_not_json_are_an_error_result(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    message = await openai_tool_result(agent, chat_call('{"CallSid": "4111 1111'))

    error = json.loads(message["content"])["error"]
    assert "not valid JSON" in error and "4111" not in error
    assert recording_server.requests == []


async def test_anthropic_tool_use_success_and_api_failure(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    block = ToolUseBlock(
        type="tool_use", id="toolu_1", name="updatePayments", input=update_arguments()
    )

    ok = await anthropic_tool_result(agent, block)
    recording_server.reply(
        400, {"code": 64019, "message": "Required payment information incomplete", "status": 400}
    )
    failed = await anthropic_tool_result(agent, block.model_dump())

    for result in (ok, failed):
        TypeAdapter(ToolResultBlockParam).validate_python(result)
        assert result["tool_use_id"] == "toolu_1"
        assert AUTH_TOKEN not in result["content"]
    assert ok["is_error"] is False and json.loads(ok["content"]) == PAYMENT_VIEW
    assert failed["is_error"] is True
    assert "Twilio error 64019" in failed["content"]
    assert "change the arguments" in failed["content"]


async def test_anthropic_unknown_tool_and_non_object_input_are_error_results(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    unknown = await anthropic_tool_result(
        agent, {"type": "tool_use", "id": "t1", "name": "updatePayment", "input": {}}
    )
    not_object = await anthropic_tool_result(
        agent, {"type": "tool_use", "id": "t2", "name": "updatePayments", "input": ["x"]}
    )

    assert unknown["is_error"] and "Did you mean: updatePayments" in unknown["content"]
    assert not_object["is_error"] and "must be one JSON object" in not_object["content"]
    assert recording_server.requests == []


async def test_transport_failure_is_an_error_result_saying_a_retry_is_safe() -> None:
    async with OCPAgent(timeout=2) as agent:
        await agent.register_api(
            "twilio",
            base_url="http://127.0.0.1:9",
            environ={"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": AUTH_TOKEN},
        )
        agent.tools_for("openai", tags=["pay"])
        message = await openai_tool_result(agent, chat_call(update_arguments()))

    error = json.loads(message["content"])["error"]
    assert "Connection failed" in error and "same IdempotencyKey" in error
    assert AUTH_TOKEN not in error
