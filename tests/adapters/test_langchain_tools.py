"""as_langchain_tools through langchain-core's own tool-calling path."""

from __future__ import annotations

import asyncio
import json

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import StructuredTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from support.offers import PROGRESS
from support.payments import (
    CREATE_TOOL,
    PAYMENT_SID,
    PAYMENT_VIEW,
    STATUS_TOOL,
    UPDATE_TOOL,
    update_arguments,
)
from support.sandbox import CALLBACK, sandbox_in_thread
from support.servers import RecordingServer

from ocp_twilio import ConfigurationError, OCPAgent
from ocp_twilio.adapters.langchain import as_langchain_tools


def by_name(agent: OCPAgent) -> dict[str, StructuredTool]:
    return {tool.name: tool for tool in as_langchain_tools(agent)}


async def test_tool_calls_of_an_ai_message_are_validated_and_answered(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    tools = by_name(agent)
    reply = AIMessage(
        content="",
        tool_calls=[
            {"name": UPDATE_TOOL, "args": update_arguments(), "id": "c1"},
            {"name": UPDATE_TOOL, "args": update_arguments(Status="cancel"), "id": "c2"},
        ],
    )

    messages = [await tools[call["name"]].ainvoke(call) for call in reply.tool_calls]

    ok, refused = messages
    assert isinstance(ok, ToolMessage) and isinstance(refused, ToolMessage)
    assert ok.tool_call_id == "c1" and ok.status == "success"
    assert json.loads(str(ok.content)) == PAYMENT_VIEW
    assert refused.tool_call_id == "c2" and refused.status == "error"
    assert "give exactly one of Capture or Status" in str(refused.content)
    assert len(recording_server.requests) == 1


async def test_unknown_argument_is_refused_not_dropped(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    call = {
        "name": UPDATE_TOOL,
        "args": update_arguments(CardNumber="4111111111111111"),
        "id": "c3",
        "type": "tool_call",
    }

    message = await by_name(agent)[UPDATE_TOOL].ainvoke(call)

    assert message.status == "error"
    assert "CardNumber: is not an accepted argument" in message.content
    assert "4111111111111111" not in message.content
    assert recording_server.requests == []


async def test_schema_reaches_the_model_binding_unchanged(agent: OCPAgent) -> None:
    tool = by_name(agent)[CREATE_TOOL]

    bound = convert_to_openai_tool(tool)

    parameters = bound["function"]["parameters"]
    assert bound["function"]["name"] == CREATE_TOOL
    assert parameters["properties"]["ChargeAmount"]["exclusiveMaximum"] == 1000000
    assert set(parameters["required"]) == {"CallSid", "StatusCallback"}


async def test_invoke_inside_a_running_loop_says_to_use_ainvoke(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    call = {"name": UPDATE_TOOL, "args": update_arguments(), "id": "c4", "type": "tool_call"}

    with pytest.raises(ConfigurationError, match=r"use `await tool.ainvoke\(...\)`"):
        by_name(agent)[UPDATE_TOOL].invoke(call)

    assert recording_server.requests == []


def test_invoke_outside_a_loop_calls_the_sandbox() -> None:
    with sandbox_in_thread() as sandbox:
        agent = OCPAgent(response_validation="strict")
        asyncio.run(agent.register_api("twilio", environ=sandbox.environ()))
        tool = by_name(agent)[CREATE_TOOL]
        call_sid = sandbox.start_call()
        messages = [
            tool.invoke(
                {"name": CREATE_TOOL, "args": arguments, "id": f"c{n}", "type": "tool_call"}
            )
            for n, arguments in enumerate(
                [
                    {"CallSid": call_sid, "IdempotencyKey": "k1", "StatusCallback": CALLBACK},
                    {"CallSid": call_sid, "IdempotencyKey": "k2", "StatusCallback": CALLBACK},
                    {"CallSid": "not a sid"},
                ]
            )
        ]

    first, second, refused = messages
    assert isinstance(first, ToolMessage) and first.status == "success"
    assert json.loads(str(first.content))["call_sid"] == call_sid
    assert second.status == "success"  # a second call, in a loop of its own
    assert refused.status == "error" and "CallSid" in str(refused.content)


async def test_a_model_offered_the_progress_tools_is_bound_to_those_alone(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    tools = as_langchain_tools(agent, [agent.get_tool(name) for name in PROGRESS])
    call = {"name": STATUS_TOOL, "args": {"Sid": PAYMENT_SID}, "id": "c5", "type": "tool_call"}

    status = await tools[0].ainvoke(call)

    # langchain-core looks up no name: each StructuredTool runs its one tool, and an executor
    # (LangGraph's ToolNode) finds names among these alone.
    assert [convert_to_openai_tool(tool)["function"]["name"] for tool in tools] == PROGRESS
    assert status.status == "error" and "No status callback receiver" in status.content
    assert recording_server.requests == []
