"""as_adk_tools through ADK's own Runner, with a BaseLlm that asks for tool calls, against the
sandbox on 127.0.0.1."""

from __future__ import annotations

from google.adk.agents import LlmAgent
from google.adk.runners import InMemoryRunner
from google.genai import types
from support.offers import ATTACKS, PROGRESS
from support.sandbox import CREATE_TOOL, UNKNOWN_CALL, conflicting_update, create_call
from support.scripted_models import ScriptedLlm
from support.servers import RecordingServer
from support.span_capture import captured_spans, tool_call_ids

from ocp_twilio import OCPAgent, Tool
from ocp_twilio.adapters.google_adk import as_adk_tools
from ocp_twilio.sandbox import Sandbox


async def run(
    agent: OCPAgent, llm: ScriptedLlm, tools: list[Tool] | None = None
) -> list[types.FunctionResponse]:
    """Run an ADK agent with the agent's tools (or ``tools``); the function responses it
    produced."""
    adk_agent = LlmAgent(name="payments", model=llm, tools=list(as_adk_tools(agent, tools)))
    runner = InMemoryRunner(agent=adk_agent)
    session = await runner.session_service.create_session(app_name=runner.app_name, user_id="u")
    message = types.Content(role="user", parts=[types.Part(text="take the payment")])
    responses = []
    texts = []
    async for event in runner.run_async(user_id="u", session_id=session.id, new_message=message):
        for part in (event.content.parts if event.content else None) or []:
            if part.function_response is not None:
                responses.append(part.function_response)
            if part.text:
                texts.append(part.text)
    await runner.close()
    assert texts == ["done"]
    return responses


async def test_a_function_call_runs_against_the_sandbox(
    sandbox: Sandbox, sandbox_agent: OCPAgent
) -> None:
    call_sid = sandbox.start_call()
    llm = ScriptedLlm(model="scripted", calls=[create_call(call_sid, ChargeAmount=12.5)])

    spans = captured_spans()

    [answer] = await run(sandbox_agent, llm)

    assert (answer.name, answer.id) == (CREATE_TOOL, "call_1")
    assert answer.response is not None
    assert answer.response["call_sid"] == call_sid and answer.response["sid"].startswith("PK")
    assert tool_call_ids(spans) == ["call_1"]
    declared = {
        d.name: d
        for tool in llm.requests[0].config.tools or []
        for d in tool.function_declarations or []
    }
    schema = declared[CREATE_TOOL].parameters_json_schema
    assert schema["required"] == ["CallSid", "StatusCallback"]


async def test_bad_arguments_and_api_errors_are_error_results(
    sandbox: Sandbox, sandbox_agent: OCPAgent
) -> None:
    call_sid = sandbox.start_call()
    llm = ScriptedLlm(
        model="scripted", calls=[conflicting_update(call_sid), create_call(UNKNOWN_CALL)]
    )

    refused, missing = await run(sandbox_agent, llm)

    assert refused.response is not None and missing.response is not None
    assert "exactly one of Capture or Status" in refused.response["error"]
    assert "20404" in missing.response["error"]
    assert len(llm.requests) == 3  # each failure went back to the model; the run went on


async def test_a_model_offered_the_progress_tools_runs_nothing_else(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    progress = [agent.get_tool(name) for name in PROGRESS]
    for name, arguments in ATTACKS:
        llm = ScriptedLlm(model="scripted", calls=[(name, arguments)])

        [answer] = await run(agent, llm, progress)

        # ADK dispatches by name among the agent's tools: the model is told it has no such tool.
        assert answer.name == name and answer.response is not None
        assert "no tool with that name is available" in answer.response["error"]
        declared = llm.requests[0].config.tools or []
        assert [d.name for tool in declared for d in tool.function_declarations or []] == PROGRESS
    assert recording_server.requests == []
