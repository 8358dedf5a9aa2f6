"""as_pydantic_ai_toolset through Pydantic AI's Agent.run, with its FunctionModel making the tool
calls, against the sandbox on 127.0.0.1."""

from __future__ import annotations

import pytest
from pydantic_ai import Agent, FunctionToolset, ModelRetry, UnexpectedModelBehavior
from pydantic_ai.models.test import TestModel
from support.offers import ATTACKS, PROGRESS
from support.sandbox import CREATE_TOOL, UNKNOWN_CALL, conflicting_update, create_call
from support.scripted_models import returns, scripted
from support.servers import RecordingServer
from support.span_capture import captured_spans, tool_call_ids

from ocp_twilio import OCPAgent
from ocp_twilio.adapters.pydantic_ai import as_pydantic_ai_toolset
from ocp_twilio.sandbox import Sandbox


async def test_a_tool_call_runs_against_the_sandbox(
    sandbox: Sandbox, sandbox_agent: OCPAgent
) -> None:
    call_sid = sandbox.start_call()
    model, seen = scripted(create_call(call_sid, ChargeAmount=12.5))
    pydantic_agent = Agent(model, toolsets=[as_pydantic_ai_toolset(sandbox_agent)])
    spans = captured_spans()

    result = await pydantic_agent.run("take the payment")

    assert result.output == "done"
    [answer] = returns(result.all_messages())
    assert (answer.outcome, answer.tool_call_id) == ("success", "call_1")
    assert answer.content["call_sid"] == call_sid and answer.content["sid"].startswith("PK")
    assert tool_call_ids(spans) == ["call_1"]
    offered = {tool.name: tool for tool in seen[0].function_tools}
    assert offered[CREATE_TOOL].parameters_json_schema["required"] == ["CallSid", "StatusCallback"]


async def test_refused_arguments_ask_for_a_retry_and_api_errors_fail_the_call(
    sandbox: Sandbox, sandbox_agent: OCPAgent
) -> None:
    call_sid = sandbox.start_call()
    model, _ = scripted(conflicting_update(call_sid), create_call(UNKNOWN_CALL))
    toolset = as_pydantic_ai_toolset(sandbox_agent, max_retries=2)

    result = await Agent(model, toolsets=[toolset]).run("take the payment")

    assert result.output == "done"
    refused, missing = returns(result.all_messages())
    assert refused.outcome == "retried"
    assert "exactly one of Capture or Status" in str(refused.content)
    assert missing.outcome == "failed"
    assert "20404" in str(missing.content)


async def test_retries_used_up_end_the_run_as_pydantic_ai_does(sandbox_agent: OCPAgent) -> None:
    # TestModel makes up arguments from the schema (a Sid that breaks its pattern) and sends them
    # again when asked to retry: past the budget Pydantic AI ends the run with its own error.
    [tool] = [t for t in sandbox_agent.list_tools() if t.name == "api_v2010__getPaymentStatus"]
    toolset = as_pydantic_ai_toolset(sandbox_agent, [tool])
    assert isinstance(toolset, FunctionToolset)

    with pytest.raises(UnexpectedModelBehavior, match="exceeded max retries") as raised:
        await Agent(TestModel(), toolsets=[toolset]).run("status?")

    assert isinstance(raised.value.__cause__, ModelRetry)
    assert "Sid: must match the pattern" in raised.value.__cause__.message


async def test_a_model_offered_the_progress_tools_runs_nothing_else(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    toolset = as_pydantic_ai_toolset(agent, [agent.get_tool(name) for name in PROGRESS])
    for name, arguments in ATTACKS:
        model, seen = scripted((name, arguments))

        result = await Agent(model, toolsets=[toolset]).run("finish it")

        # Pydantic AI dispatches by name among the toolset's tools: the model is told it has no
        # such tool, and the run goes on.
        [answer] = returns(result.all_messages())
        assert answer.outcome == "retried"
        assert f"Unknown tool name: {name!r}" in str(answer.content)
        assert result.output == "done"
        assert [tool.name for tool in seen[0].function_tools] == PROGRESS
    assert recording_server.requests == []
