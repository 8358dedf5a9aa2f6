"""Scripted models for each agent framework's own runner: each makes the given tool calls, one
per turn, then answers "done"."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from agents import ModelResponse, Usage
from agents.models.interface import Model
from google.adk.models.base_llm import BaseLlm
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from google.genai import types
from openai.types.responses import (
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
)
from pydantic import Field
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.messages import ModelResponse as PydanticResponse
from pydantic_ai.models.function import AgentInfo, FunctionModel

Calls = tuple[str, dict[str, Any]]


class ScriptedModel(Model):
    """An OpenAI Agents SDK model; it keeps what the SDK sent it on each turn."""

    def __init__(self, *calls: Calls) -> None:
        self.calls = list(calls)
        self.inputs: list[Any] = []
        self.tools: list[Any] = []

    async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
        self.inputs.append(kwargs["input"])
        self.tools = kwargs["tools"]
        if self.calls:
            name, arguments = self.calls.pop(0)
            n = len(self.inputs)
            item: Any = ResponseFunctionToolCall(
                id=f"fc_{n}",
                call_id=f"call_{n}",
                name=name,
                arguments=json.dumps(arguments),
                type="function_call",
            )
        else:
            text = ResponseOutputText(text="done", type="output_text", annotations=[])
            item = ResponseOutputMessage(
                id="msg", content=[text], role="assistant", status="completed", type="message"
            )
        return ModelResponse(output=[item], usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        raise NotImplementedError("the tests run without streaming")


def scripted(*calls: Calls) -> tuple[FunctionModel, list[AgentInfo]]:
    """A Pydantic AI FunctionModel, and what it was given on each turn."""
    queue = list(calls)
    seen: list[AgentInfo] = []

    def respond(messages: list[ModelMessage], info: AgentInfo) -> PydanticResponse:
        seen.append(info)
        if not queue:
            return PydanticResponse(parts=[TextPart("done")])
        name, arguments = queue.pop(0)
        return PydanticResponse(
            parts=[ToolCallPart(name, arguments, tool_call_id=f"call_{len(seen)}")]
        )

    return FunctionModel(respond), seen


def returns(messages: list[ModelMessage]) -> list[ToolReturnPart]:
    """The tool results of a Pydantic AI run's messages."""
    return [
        part
        for message in messages
        if isinstance(message, ModelRequest)
        for part in message.parts
        if isinstance(part, ToolReturnPart)
    ]


class ScriptedLlm(BaseLlm):
    """A Google ADK model; it keeps each request."""

    calls: list[Calls] = Field(default_factory=list)
    requests: list[LlmRequest] = Field(default_factory=list)

    async def generate_content_async(
        self, llm_request: LlmRequest, stream: bool = False
    ) -> AsyncGenerator[LlmResponse, None]:
        self.requests.append(llm_request)
        if self.calls:
            name, arguments = self.calls.pop(0)
            call = types.FunctionCall(id=f"call_{len(self.requests)}", name=name, args=arguments)
            part = types.Part(function_call=call)
        else:
            part = types.Part(text="done")
        yield LlmResponse(content=types.Content(role="model", parts=[part]))
