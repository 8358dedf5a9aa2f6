"""as_openai_agents_tools through the Agents SDK's own Runner, with a scripted Model that asks
for tool calls, against the sandbox on 127.0.0.1."""

from __future__ import annotations

import json
from typing import Any

import pytest
from agents import Agent, FunctionTool, ModelBehaviorError, RunConfig, Runner
from support.offers import ATTACKS, PROGRESS
from support.sandbox import CREATE_TOOL, UNKNOWN_CALL, UPDATE_TOOL, conflicting_update, create_call
from support.scripted_models import ScriptedModel
from support.servers import RecordingServer
from support.span_capture import captured_spans, tool_call_ids

from ocp_twilio import OCPAgent
from ocp_twilio.adapters.openai_agents import as_openai_agents_tools
from ocp_twilio.sandbox import Sandbox


async def run(agent: OCPAgent, model: ScriptedModel) -> list[dict[str, Any]]:
    """Run an SDK agent with the sandbox's tools; the function_call_output items it produced."""
    sdk_agent = Agent(name="payments", model=model, tools=list(as_openai_agents_tools(agent)))
    result = await Runner.run(
        sdk_agent, "take the payment", run_config=RunConfig(tracing_disabled=True)
    )
    assert result.final_output == "done"
    return [item for item in result.to_input_list() if item.get("type") == "function_call_output"]


async def test_a_tool_call_runs_against_the_sandbox(
    sandbox: Sandbox, sandbox_agent: OCPAgent
) -> None:
    call_sid = sandbox.start_call()
    model = ScriptedModel(create_call(call_sid, ChargeAmount=12.5))
    spans = captured_spans()

    [output] = await run(sandbox_agent, model)

    assert output["call_id"] == "call_1"
    payment = json.loads(output["output"])
    assert payment["call_sid"] == call_sid and payment["sid"].startswith("PK")
    assert len(model.inputs) == 2  # the SDK gave the result back to the model
    assert CREATE_TOOL in [tool.name for tool in model.tools]
    assert tool_call_ids(spans) == ["call_1"]  # the SDK's id of the call, on its trace


async def test_tools_are_the_sdks_function_tools_with_strict_schemas(
    sandbox_agent: OCPAgent,
) -> None:
    tools = {tool.name: tool for tool in as_openai_agents_tools(sandbox_agent)}

    tool = tools[UPDATE_TOOL]
    assert isinstance(tool, FunctionTool) and tool.strict_json_schema
    schema = tool.params_json_schema
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == set(schema["properties"])
    assert not as_openai_agents_tools(sandbox_agent, [], strict=False)


async def test_bad_arguments_and_api_errors_are_failed_tool_results(
    sandbox: Sandbox, sandbox_agent: OCPAgent
) -> None:
    call_sid = sandbox.start_call()
    model = ScriptedModel(
        conflicting_update(call_sid),
        create_call(UNKNOWN_CALL),  # no such call: Twilio's 404
        (CREATE_TOOL, "not an object"),  # type: ignore[arg-type]
    )

    outputs = await run(sandbox_agent, model)

    refused, missing, not_object = [json.loads(o["output"]) for o in outputs]
    assert all(o["is_error"] is True for o in (refused, missing, not_object))
    assert "exactly one of Capture or Status" in refused["error"]
    assert "20404" in missing["error"]
    assert "one JSON object" in not_object["error"]
    assert len(model.inputs) == 4  # each failure went back to the model; the run went on


async def test_a_model_offered_the_progress_tools_runs_nothing_else(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    progress = [agent.get_tool(name) for name in PROGRESS]
    for name, arguments in ATTACKS:
        model = ScriptedModel((name, arguments))
        tools = list(as_openai_agents_tools(agent, progress))
        sdk_agent = Agent(name="payments", model=model, tools=tools)

        # The SDK dispatches by name among the tools it was given, and ends the run.
        with pytest.raises(ModelBehaviorError, match=f"Tool {name} not found"):
            await Runner.run(sdk_agent, "finish it", run_config=RunConfig(tracing_disabled=True))

        assert [tool.name for tool in model.tools] == PROGRESS
    assert recording_server.requests == []
