"""A model runs only the tools it was offered.

A scripted model, offered only the two read-only progress tools, tries to complete a payment
(updatePayments with Status=complete) and to create another (createPayments), by name and
through the compact tools it was never given, through the OpenAI and Anthropic result helpers
(the SDKs' own types) and an MCP server (the SDK's client). A real aiohttp server on 127.0.0.1
counts what reaches it: nothing. The framework adapters' own tool-calling paths are tested in
their files (test_openai_agents_tools, test_pydantic_ai_tools, test_google_adk_tools,
test_langchain_tools).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from anthropic.types import ToolUseBlock
from mcp import Client
from mcp.shared.exceptions import MCPError
from openai.types.chat import ChatCompletionMessageToolCall
from openai.types.responses import ResponseFunctionToolCall
from support.credentials import TWILIO_ENV
from support.offers import ATTACKS, COMPLETE, PROGRESS
from support.payments import (
    CREATE_TOOL,
    PAYMENT_BODY,
    PAYMENT_VIEW,
    STATUS_TOOL,
    UPDATE_TOOL,
    WAIT_TOOL,
    create_arguments,
)
from support.servers import RecordingServer
from support.specs import THINGS_SPEC

from ocp_twilio import ConfigurationError, OCPAgent, anthropic_tool_result, openai_tool_result
from ocp_twilio.adapters.langchain import as_langchain_tools
from ocp_twilio.adapters.mcp.server import build_mcp_server

NOT_OFFERED = "is not one of the tools you were given, so nothing was sent"


@pytest.fixture
def progress_only(agent: OCPAgent) -> OCPAgent:
    """The conftest's agent, having offered only the progress tools to each framework."""
    for framework in ("openai", "anthropic", "mcp"):
        agent.tools_for(framework, names=PROGRESS)
    return agent


@pytest.fixture
def things(tmp_path: Path) -> Path:
    """A spec of another API (updateThing)."""
    spec = tmp_path / "things.yaml"
    spec.write_text(THINGS_SPEC)
    return spec


def chat_call(name: str, arguments: Any) -> ChatCompletionMessageToolCall:
    return ChatCompletionMessageToolCall.model_validate(
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments)},
        }
    )


def responses_call(name: str, arguments: Any) -> ResponseFunctionToolCall:
    return ResponseFunctionToolCall(
        type="function_call", call_id="fc_1", name=name, arguments=json.dumps(arguments)
    )


def tool_use(name: str, arguments: Any) -> ToolUseBlock:
    return ToolUseBlock(type="tool_use", id="toolu_1", name=name, input=arguments)


def assert_refused_naming_the_offer(error: str) -> None:
    assert NOT_OFFERED in error
    assert f"Your tools: {STATUS_TOOL}, {WAIT_TOOL}." in error


def error_of(answer: dict[str, Any]) -> str:
    """The error text of a helper's answer, in each shape; it must be an error."""
    if answer.get("type") == "tool_result":
        assert answer["is_error"] is True
        return str(answer["content"])
    result = json.loads(answer["content"] if "content" in answer else answer["output"])
    assert result["is_error"] is True
    return str(result["error"])


# Each way a model's call reaches a result helper: the SDK's type of call, and the helper.
HELPERS = {
    "chat": (chat_call, openai_tool_result),
    "responses": (responses_call, openai_tool_result),
    "anthropic": (tool_use, anthropic_tool_result),
}


@pytest.mark.parametrize("shape", HELPERS)
async def test_calls_outside_the_offer_are_error_results(
    shape: str, progress_only: OCPAgent, recording_server: RecordingServer
) -> None:
    make_call, helper = HELPERS[shape]
    for name, arguments in ATTACKS:
        answer = await helper(progress_only, make_call(name, arguments))

        assert_refused_naming_the_offer(error_of(answer))
    assert recording_server.requests == []


async def test_the_offer_is_checked_before_the_arguments_are_read(
    progress_only: OCPAgent, recording_server: RecordingServer
) -> None:
    not_json = {"id": "call_1", "function": {"name": UPDATE_TOOL, "arguments": '{"Status": '}}
    not_object = {"id": "toolu_1", "name": CREATE_TOOL, "input": ["complete"]}

    message = await openai_tool_result(progress_only, not_json)
    result = await anthropic_tool_result(progress_only, not_object)

    assert_refused_naming_the_offer(error_of(message))
    assert_refused_naming_the_offer(error_of(result))
    assert recording_server.requests == []


async def test_mcp_server_of_the_progress_tools_serves_nothing_else(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    agent.status_callback_receiver(auth_token=TWILIO_ENV["TWILIO_AUTH_TOKEN"])  # else not served
    progress = [agent.get_tool(name) for name in PROGRESS]
    async with Client(build_mcp_server(agent, progress)) as client:
        listed = [tool.name for tool in (await client.list_tools()).tools]
        for name, arguments in ATTACKS:
            with pytest.raises(MCPError, match="No tool named"):
                await client.call_tool(name, arguments)

    assert listed == PROGRESS
    assert recording_server.requests == []


async def test_the_offered_tools_run_and_the_application_is_not_bound(
    progress_only: OCPAgent, recording_server: RecordingServer
) -> None:
    status = await openai_tool_result(
        progress_only, chat_call(STATUS_TOOL, {"Sid": COMPLETE["Sid"]})
    )
    assert NOT_OFFERED not in status["content"]
    # The tool itself answered: this agent runs no receiver.
    assert "No status callback receiver is running" in json.loads(status["content"])["error"]

    # The application's own calls are trusted: any tool, compact ones included.
    completed = await progress_only.call_tool(UPDATE_TOOL, COMPLETE)
    through = await progress_only.call_tool(
        "callTwilioTool", {"name": CREATE_TOOL, "arguments": create_arguments()}
    )

    assert completed == through == PAYMENT_BODY
    update, create = recording_server.requests
    assert update.path_qs.endswith(f"/Payments/{COMPLETE['Sid']}.json")
    assert create.path_qs.endswith("/Payments.json")


async def test_a_list_given_to_the_helper_is_the_offer(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    for framework in ("openai", "anthropic"):
        agent.tools_for(framework, compact=True)  # what another model of the agent was given
    progress = [agent.get_tool(name) for name in PROGRESS]

    for name, arguments in ATTACKS:
        message = await openai_tool_result(agent, chat_call(name, arguments), offered=progress)
        result = await anthropic_tool_result(agent, tool_use(name, arguments), offered=progress)

        assert_refused_naming_the_offer(error_of(message))
        assert_refused_naming_the_offer(error_of(result))
    assert recording_server.requests == []


async def test_the_last_list_is_the_offer(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    agent.tools_for("openai", compact=True)
    agent.tools_for("openai", names=PROGRESS)  # a later turn narrowed the list

    message = await openai_tool_result(agent, chat_call(*ATTACKS[3]))

    assert_refused_naming_the_offer(error_of(message))
    assert recording_server.requests == []


async def test_nothing_offered_runs_nothing(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    message = await openai_tool_result(agent, chat_call(UPDATE_TOOL, COMPLETE))
    result = await anthropic_tool_result(agent, tool_use(STATUS_TOOL, {"Sid": COMPLETE["Sid"]}))

    error = json.loads(message["content"])["error"]
    assert error.startswith(f"No tools were offered to the model, so '{UPDATE_TOOL}' was not run")
    assert "tools_for(...)" in error and "offered=" in error
    assert result["is_error"] is True and "No tools were offered" in result["content"]
    assert recording_server.requests == []


async def test_a_hostile_name_is_cut(agent: OCPAgent, recording_server: RecordingServer) -> None:
    agent.tools_for("openai", names=PROGRESS)
    huge = "u" * 100_000

    message = await openai_tool_result(agent, chat_call(huge, {}))

    error = json.loads(message["content"])["error"]
    assert len(error) < 400 and "u" * 64 + "..." in error
    assert recording_server.requests == []


async def test_compact_tools_reach_their_own_api_only(
    agent: OCPAgent, things: Path, recording_server: RecordingServer
) -> None:
    await agent.register_api(
        "things", spec=things, base_url=recording_server.url, environ=TWILIO_ENV
    )
    # Compact mode for Twilio, with the status tool beside: the three reach every Twilio tool.
    agent.tools_for("openai", compact=True, api="twilio", names=[STATUS_TOOL])

    async def turn(name: str, arguments: Any) -> Any:
        message = await openai_tool_result(agent, chat_call(name, arguments))
        return json.loads(message["content"])

    other = await turn("callTwilioTool", {"name": "updateThing", "arguments": {"Name": "n"}})
    described = await turn("describeTwilioTool", {"name": "updateThing"})
    found = await turn("findTwilioTool", {"query": "update a thing"})
    assert recording_server.requests == []
    completed = await turn("callTwilioTool", {"name": UPDATE_TOOL, "arguments": COMPLETE})

    assert other["is_error"] is True and "No tool named 'updateThing'" in other["error"]
    assert described["is_error"] is True
    assert "updateThing" not in [tool["name"] for tool in found["tools"]]
    assert completed == PAYMENT_VIEW
    [request] = recording_server.requests
    assert ("Status", "complete") in request.form


async def test_an_offer_holds_one_tool_per_name(
    things: Path, recording_server: RecordingServer
) -> None:
    async with OCPAgent() as agent:
        for name in ("left", "right"):
            await agent.register_api(
                name, spec=things, base_url=recording_server.url, environ=TWILIO_ENV
            )

        with pytest.raises(ConfigurationError, match="share tool names"):
            agent.tools_for("openai")
        with pytest.raises(ConfigurationError, match="share tool names"):
            as_langchain_tools(agent)
        agent.tools_for("openai", api="right")
        recording_server.reply(200, {})
        message = await openai_tool_result(agent, chat_call("updateThing", {"Name": "n"}))
        wrong_api = await openai_tool_result(
            agent, chat_call("updateThing", {"Name": "n"}), api="left"
        )

    assert json.loads(message["content"]) == {}
    [request] = recording_server.requests
    assert request.path_qs == "/v1/Things/n.json"
    # api= keeps to the offered tools of that API: none of "left" was offered.
    assert "No tools were offered" in json.loads(wrong_api["content"])["error"]
