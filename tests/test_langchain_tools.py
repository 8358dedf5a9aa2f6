"""as_langchain_tools through langchain-core's own tool-calling path."""

from __future__ import annotations

import json

import pytest
from conftest import CREATE_TOOL, PAYMENT_BODY, UPDATE_TOOL, RecordingServer, update_arguments
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import StructuredTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from ocp_twilio import OCPAgent
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
    assert json.loads(str(ok.content)) == PAYMENT_BODY
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


async def test_tools_are_async_only(agent: OCPAgent) -> None:
    with pytest.raises(NotImplementedError):
        by_name(agent)[UPDATE_TOOL].invoke(update_arguments())
