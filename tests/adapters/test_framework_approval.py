"""The operator's approval through each framework's own human-in-the-loop, driven by one policy:
each framework's runner with a scripted model, against a recording server on 127.0.0.1.

A driver runs one framework: ``start`` runs the model's call until the framework pauses for a
person (a Pause) or the run ends (None); ``answer`` resumes the paused run with the person's
answer, and gives the text the model was given for the call."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

import pytest
from agents import Agent, RunConfig, Runner
from google.adk.agents import LlmAgent
from google.adk.runners import InMemoryRunner
from google.genai import types
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, ToolCall, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.types import Command
from pydantic_ai import Agent as PydanticAgent
from pydantic_ai import DeferredToolRequests, DeferredToolResults, ToolDenied
from pydantic_ai.messages import ModelMessage
from support.credentials import TWILIO_ENV
from support.policy import MESSAGE, messaging_agent
from support.scripted_models import ScriptedLlm, ScriptedModel, returns, scripted
from support.servers import RecordingServer, serve_recording

from ocp_twilio import OCPAgent, Tool
from ocp_twilio.adapters.google_adk import as_adk_tools
from ocp_twilio.adapters.langchain import as_langchain_tools
from ocp_twilio.adapters.openai_agents import as_openai_agents_tools
from ocp_twilio.adapters.pydantic_ai import as_pydantic_ai_toolset
from ocp_twilio.policy.approval import Approval, ApprovalRequest
from ocp_twilio.policy.rules import Policy
from ocp_twilio.specs.model import packaged_schemas_dir

MESSAGING = Path(__file__).parents[1] / "data" / "specs" / "messaging.yaml"
CARD = "4111111111111111"
# The tools' names carry the service's prefix, as Twilio's own files name them.
SEND_TOOL = "api_v2010__createMessage"
SEND = (SEND_TOOL, {"To": "+15551234567", "Body": f"your card {CARD}"})
FETCH = ("api_v2010__fetchMessage", {"Sid": "SM" + "0" * 32})
COMPACT_SEND = ("callTwilioTool", {"name": SEND[0], "arguments": SEND[1]})
REASON = "not to this number"

Call = tuple[str, dict[str, Any]]


@dataclass
class Pause:
    """What a framework's pause shows: the name of the tool the model called, the arguments it
    shows, and the ApprovalRequest as a dict where the framework carries one."""

    tool: str
    arguments: Any
    request: dict[str, Any] | None


class Driver(Protocol):
    via: str

    async def start(self, agent: OCPAgent, call: Call, tools: list[Tool] | None) -> Pause | None:
        """Run the model's ``call`` with the agent's tools (or ``tools``)."""
        ...

    async def answer(self, approve: bool) -> str:
        """Resume with a person's answer (a decline gives REASON where the framework carries
        one); the text the model was given for its call."""
        ...


class OpenAIAgents:
    via = "openai-agents"

    async def start(self, agent: OCPAgent, call: Call, tools: list[Tool] | None) -> Pause | None:
        self.agent = Agent(
            name="messages", model=ScriptedModel(call), tools=as_openai_agents_tools(agent, tools)
        )
        self.result = await Runner.run(self.agent, "send it", run_config=_NO_TRACES)
        if not self.result.interruptions:
            return None
        [item] = self.result.interruptions
        return Pause(str(item.tool_name), json.loads(str(item.arguments)), None)

    async def answer(self, approve: bool) -> str:
        state = self.result.to_state()
        [item] = self.result.interruptions
        if approve:
            state.approve(item)
        else:
            state.reject(item, rejection_message=REASON)
        self.result = await Runner.run(self.agent, state, run_config=_NO_TRACES)
        return self.output()

    def output(self) -> str:
        assert self.result.final_output == "done"
        [output] = [
            i for i in self.result.to_input_list() if i.get("type") == "function_call_output"
        ]
        return str(output["output"])


_NO_TRACES = RunConfig(tracing_disabled=True)


class PydanticAI:
    via = "pydantic-ai"

    async def start(self, agent: OCPAgent, call: Call, tools: list[Tool] | None) -> Pause | None:
        model, _ = scripted(call)
        self.agent = PydanticAgent(
            model,
            toolsets=[as_pydantic_ai_toolset(agent, tools)],
            output_type=[str, DeferredToolRequests],
        )
        result = await self.agent.run("send it")
        self.messages: list[ModelMessage] = result.all_messages()
        if not isinstance(result.output, DeferredToolRequests):
            assert result.output == "done"
            return None
        [part] = result.output.approvals
        self.call_id = part.tool_call_id
        return Pause(part.tool_name, part.args_as_dict(), result.output.metadata[self.call_id])

    async def answer(self, approve: bool) -> str:
        answer = True if approve else ToolDenied(REASON)
        result = await self.agent.run(
            message_history=self.messages,
            deferred_tool_results=DeferredToolResults(approvals={self.call_id: answer}),
        )
        assert result.output == "done"
        [returned] = returns(result.all_messages())
        return returned.model_response_str()


class ScriptedChat(GenericFakeChatModel):
    """GenericFakeChatModel, bound to tools as a real chat model is (its own bind_tools raises)."""

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChat:  # type: ignore[override]
        return self


class LangGraph:
    via = "langgraph"
    config: ClassVar[Any] = {"configurable": {"thread_id": "approval"}}

    async def start(self, agent: OCPAgent, call: Call, tools: list[Tool] | None) -> Pause | None:
        self.graph = _react_graph(as_langchain_tools(agent, tools), call)
        state = await self.graph.ainvoke({"messages": [("user", "send it")]}, self.config)
        if "__interrupt__" not in state:
            self.state = state
            return None
        [pending] = state["__interrupt__"]
        request = pending.value
        assert request["type"] == "tool_approval"
        [call_made] = state["messages"][-1].tool_calls
        return Pause(call_made["name"], call_made["args"], request)

    async def answer(self, approve: bool) -> str:
        decision = {"type": "approve"} if approve else {"type": "reject", "message": REASON}
        self.state = await self.graph.ainvoke(Command(resume=decision), self.config)
        return self.output()

    def output(self) -> str:
        assert self.state["messages"][-1].content == "done"
        [message] = [m for m in self.state["messages"] if isinstance(m, ToolMessage)]
        return str(message.content)


def _react_graph(tools: list[Any], call: Call) -> CompiledStateGraph[Any, Any, Any, Any]:
    """A model and LangGraph's ToolNode in a loop, checkpointed in memory: an interrupt pauses
    it and Command(resume=...) resumes the same thread."""
    name, arguments = call
    return _scripted_graph(tools, [ToolCall(name=name, args=arguments, id="c1")])


def _scripted_graph(
    tools: list[Any], *turns: list[ToolCall]
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """As _react_graph, the model making each turn's tool calls, then answering "done"."""
    replies = [*(AIMessage("", tool_calls=calls) for calls in turns), AIMessage("done")]
    model = ScriptedChat(messages=iter(replies)).bind_tools(tools)

    async def think(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("model", think)
    builder.add_node("tools", ToolNode(tools))
    builder.add_edge(START, "model")
    builder.add_conditional_edges("model", tools_condition)
    builder.add_edge("tools", "model")
    return builder.compile(checkpointer=InMemorySaver())


class GoogleADK:
    via = "google-adk"

    async def start(self, agent: OCPAgent, call: Call, tools: list[Tool] | None) -> Pause | None:
        llm = ScriptedLlm(model="scripted", calls=[call])
        self.runner = InMemoryRunner(
            agent=LlmAgent(name="messages", model=llm, tools=as_adk_tools(agent, tools))
        )
        session = await self.runner.session_service.create_session(
            app_name=self.runner.app_name, user_id="u"
        )
        self.session_id = session.id
        events = await self.run(types.Part(text="send it"))
        confirmations = [
            call
            for event in events
            for call in event.get_function_calls()
            if call.name == "adk_request_confirmation"
        ]
        if not confirmations:
            self.events = events
            return None
        [self.confirmation] = confirmations
        original = self.confirmation.args["originalFunctionCall"]
        request = self.confirmation.args["toolConfirmation"]["payload"]
        return Pause(original["name"], original["args"], request)

    async def answer(self, approve: bool) -> str:
        response = types.FunctionResponse(
            id=self.confirmation.id,
            name="adk_request_confirmation",
            response={"confirmed": approve},
        )
        self.events = await self.run(types.Part(function_response=response))
        return self.output()

    def output(self) -> str:
        texts = [p.text for e in self.events if e.content for p in e.content.parts or () if p.text]
        assert texts == ["done"]
        [response] = [
            r
            for e in self.events
            for r in e.get_function_responses()
            if r.name != "adk_request_confirmation"
        ]
        return json.dumps(response.response)

    async def run(self, part: types.Part) -> list[Any]:
        message = types.Content(role="user", parts=[part])
        events = [
            e
            async for e in self.runner.run_async(
                user_id="u", session_id=self.session_id, new_message=message
            )
        ]
        return events


DRIVERS = [OpenAIAgents, PydanticAI, LangGraph, GoogleADK]


@pytest.fixture(params=DRIVERS, ids=lambda d: d.via)
async def driver(request: pytest.FixtureRequest) -> AsyncIterator[Driver]:
    made = request.param()
    yield made
    if isinstance(made, GoogleADK) and hasattr(made, "runner"):
        await made.runner.close()


@pytest.fixture
async def messaging(recording_server: RecordingServer) -> AsyncIterator[OCPAgent]:
    """An agent on Twilio's Messages whose policy asks a person before contacting anyone."""
    recording_server.reply(201, {"sid": "SM" + "1" * 32, "status": "queued"})
    async with OCPAgent() as agent:
        await agent.register_api(
            "twilio",
            spec=[packaged_schemas_dir(), MESSAGING],
            base_url=recording_server.url,
            environ=TWILIO_ENV,
        )
        agent.use_policy(Policy.from_mapping({"require_approval": ["effect:contacts-person"]}))
        yield agent


async def test_a_call_needing_approval_pauses_the_run_before_anything_is_sent(
    driver: Driver, messaging: OCPAgent, recording_server: RecordingServer
) -> None:
    pause = await driver.start(messaging, SEND, None)

    assert pause is not None and pause.tool == SEND_TOOL
    assert recording_server.requests == []
    if pause.request is not None:  # the framework carries the policy's request: card data masked
        assert pause.request["tool"] == SEND_TOOL
        assert "contacts-person" in pause.request["effects"]
        assert pause.request["arguments"]["To"] == SEND[1]["To"]
        assert CARD not in json.dumps(pause.request)
        assert pause.request["request"]["method"] == "POST"
    else:  # the SDK's item shows the model's arguments as they came
        assert pause.arguments == SEND[1]
    assert messaging.audit.records() == []  # nothing decided yet


async def test_a_declined_call_sends_nothing_and_the_model_reads_a_refusal(
    driver: Driver, messaging: OCPAgent, recording_server: RecordingServer
) -> None:
    await driver.start(messaging, SEND, None)

    seen = await driver.answer(False)

    assert recording_server.requests == []
    # The Agents SDK and Pydantic AI answer a rejection themselves: the tool never runs. In
    # LangGraph and ADK the policy refuses the call, with the reason where a decision has one.
    assert REASON in seen if driver.via != "google-adk" else "declined" in seen
    assert "SM" + "1" * 32 not in seen


async def test_an_approved_call_is_sent_once(
    driver: Driver, messaging: OCPAgent, recording_server: RecordingServer
) -> None:
    await driver.start(messaging, SEND, None)

    seen = await driver.answer(True)

    assert len(recording_server.requests) == 1
    assert "SM" + "1" * 32 in seen
    [record] = messaging.audit.records("approved")
    assert record.tool == SEND_TOOL and record.via == driver.via


async def test_callTwilioTool_asks_the_approval_of_the_tool_it_names(
    driver: Driver, messaging: OCPAgent, recording_server: RecordingServer
) -> None:
    pause = await driver.start(messaging, COMPACT_SEND, messaging.compact_tools())

    assert pause is not None and pause.tool == "callTwilioTool"
    if pause.request is not None:
        assert pause.request["tool"] == SEND_TOOL
    assert recording_server.requests == []
    await driver.answer(True)
    assert len(recording_server.requests) == 1


async def test_a_call_needing_no_approval_runs_without_a_pause(
    driver: Driver, messaging: OCPAgent, recording_server: RecordingServer
) -> None:
    assert await driver.start(messaging, FETCH, None) is None

    assert len(recording_server.requests) == 1
    [record] = messaging.audit.records()
    assert record.decision == "allowed"


async def test_a_langchain_tool_outside_a_graph_asks_the_agents_approver(
    messaging: OCPAgent, recording_server: RecordingServer
) -> None:
    asked: list[ApprovalRequest] = []

    async def approver(request: ApprovalRequest) -> Approval:
        asked.append(request)
        return Approval(False, by="ops")

    [tool] = [t for t in as_langchain_tools(messaging) if t.name == SEND[0]]
    call = {"name": SEND[0], "args": SEND[1], "id": "c1", "type": "tool_call"}

    refused = await tool.ainvoke(call)  # no graph: interrupt() cannot pause, and no approver
    messaging.use_policy(messaging.policy, approver=approver)
    declined = await tool.ainvoke(call)

    assert "no way to ask" in str(refused.content)
    assert [r.tool for r in asked] == [SEND_TOOL] and "declined" in str(declined.content)
    assert recording_server.requests == []


async def test_a_langgraph_resume_makes_no_call_of_the_paused_task_twice() -> None:
    # LangGraph reruns the whole ToolNode task on resume: the message sent beside the call that
    # paused is given back as it went, not sent again. The model's next turn sending the same
    # message (under the same call id even) is a new step: it is sent (with a new SendKey: the
    # send ledger would refuse the identical message otherwise).
    send = ToolCall(name=SEND_TOOL, args=MESSAGE, id="c1")
    again = ToolCall(name=SEND_TOOL, args={**MESSAGE, "SendKey": "next turn"}, id="c1")
    ring = {"To": MESSAGE["To"], "From": MESSAGE["From"], "Url": "https://example.com/twiml"}
    ring_call = ToolCall(name="api_v2010__createCall", args=ring, id="c2")
    async with serve_recording() as server:
        server.reply(201, {"sid": "SM" + "2" * 32, "status": "queued"})
        async with messaging_agent(server.url) as agent:
            agent.use_policy(Policy.from_mapping({"require_approval": ["createCall"]}))
            tools = [agent.get_tool(SEND_TOOL), agent.get_tool("api_v2010__createCall")]
            graph = _scripted_graph(as_langchain_tools(agent, tools), [send, ring_call], [again])
            config: Any = {"configurable": {"thread_id": "once"}}

            paused = await graph.ainvoke({"messages": [("user", "text them, then ring")]}, config)
            [pending] = paused["__interrupt__"]
            state = await graph.ainvoke(Command(resume={"type": "approve"}), config)

    assert pending.value["tool"] == "api_v2010__createCall"
    sent = [r.path_qs.rsplit("/", 1)[-1] for r in server.requests]
    assert sent == ["Messages.json", "Calls.json", "Messages.json"]
    results = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert [m.tool_call_id for m in results] == ["c1", "c2", "c1"]
    assert all(m.status == "success" and "SM" + "2" * 32 in str(m.content) for m in results)
    assert state["messages"][-1].content == "done"
