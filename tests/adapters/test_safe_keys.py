"""Keys Anthropic's rule refuses ("twilio/text") go out as aliases and come back as the keys.

Anthropic's tools, MCP's and LangChain's (which hosts such as Claude Code and ChatAnthropic give
to Anthropic's API as they are) carry the aliases; the calls made with them reach a real local
server with the API's own keys in the JSON body.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from anthropic.types import ToolUseBlock
from langchain_core.messages import ToolMessage
from langchain_core.utils.function_calling import convert_to_openai_tool
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from support.adapter_rules import ANTHROPIC_PROPERTY_KEY, property_keys
from support.credentials import TWILIO_ENV
from support.files import SPECS
from support.servers import RecordingServer

from ocp_twilio import OCPAgent, Tool, anthropic_tool_result, load_tools
from ocp_twilio.adapters import tool_definitions
from ocp_twilio.adapters._keys import real_keys
from ocp_twilio.adapters.langchain import as_langchain_tools
from ocp_twilio.specs.model import OperationSpec, ParameterSpec

SPEC = SPECS / "slashed_keys.yaml"
TOOL = "test_content__createTemplate"
LONG = "this/key/is/longer/than/the/sixty/four/characters/that/anthropic/takes"
LONG_ALIAS = LONG.replace("/", "_")[:64]
CREATED = {"sid": "HX" + "0" * 32}

# The body Twilio must receive, and the call a model makes from the exported schema: the same
# with the aliases the schema gives. The keys of "variables" are free-form data, never aliased.
SENT = {
    "friendly_name": "greeting",
    "types": {
        "twilio/text": {"body": "Hi"},
        "twilio_text": "plain",
        "twilio/list-picker": {"items": [{"item/id": "a", "item": "A"}, {"item/id": "b"}]},
        "choice/of": {"by/name": "x"},
        LONG: "long",
    },
    "variables": {"first/name": {"value/text": "Ada"}},
}
ALIASES = {
    "twilio/text": "twilio_text_2",  # "twilio_text" is a sibling's name
    "twilio/list-picker": "twilio_list-picker",
    "item/id": "item_id",
    "choice/of": "choice_of",
    "by/name": "by_name",
    LONG: LONG_ALIAS,
    "value/text": "value_text",
}


def aliased(value: Any) -> Any:
    if isinstance(value, dict):
        return {ALIASES.get(k, k): aliased(v) for k, v in value.items()}
    if isinstance(value, list):
        return [aliased(v) for v in value]
    return value


MODEL_ARGUMENTS = aliased(SENT)


@pytest.fixture
async def content_agent(recording_server: RecordingServer) -> AsyncIterator[OCPAgent]:
    recording_server.reply(201, CREATED)
    async with OCPAgent() as agent:
        await agent.register_api(
            "twilio", spec=SPEC, base_url=recording_server.url, environ=TWILIO_ENV
        )
        agent.tools_for("anthropic")  # the tool list an Anthropic model is given
        yield agent


def exported_schema(framework: str) -> dict[str, Any]:
    """The input schema a model is given, by each format that aliases keys."""
    tools = load_tools("twilio", SPEC)
    if framework == "langchain":
        [structured] = as_langchain_tools(OCPAgent(), tools)
        parameters: dict[str, Any] = convert_to_openai_tool(structured)["function"]["parameters"]
        return parameters
    [definition] = tool_definitions(tools, framework)  # type: ignore[arg-type]
    schema: dict[str, Any] = definition[
        "input_schema" if framework == "anthropic" else "inputSchema"
    ]
    return schema


@pytest.mark.parametrize("framework", ["anthropic", "mcp", "langchain"])
def test_every_key_of_the_exported_schema_meets_the_rule(framework: str) -> None:
    schema = exported_schema(framework)

    jsonschema.Draft202012Validator.check_schema(schema)
    keys = property_keys(schema)
    assert keys and all(ANTHROPIC_PROPERTY_KEY.match(k) for k in keys), keys
    types = schema["properties"]["types"]
    # A key keeps its name where it may; the alias of "twilio/text" steps around "twilio_text".
    assert list(types["properties"]) == [
        "twilio_text_2",
        "twilio_text",
        "twilio_list-picker",
        "choice_of",
        LONG_ALIAS,
    ]
    assert len(LONG_ALIAS) == 64
    text = types["properties"]["twilio_text_2"]
    assert text["description"] == 'Stands for "twilio/text". Plain text.'
    assert "description" not in types["properties"]["twilio_text"]
    picked = types["properties"]["twilio_list-picker"]["properties"]["items"]["items"]
    assert picked["required"] == ["item_id"]
    assert list(picked["properties"]) == ["item_id", "item"]
    branches = types["properties"]["choice_of"]["anyOf"]
    assert [list(b["properties"]) for b in branches] == [["by_name"], ["by_number"]]
    assert branches[0]["required"] == ["by_name"]
    assert list(schema["properties"]["variables"]["additionalProperties"]["properties"]) == [
        "value_text"
    ]
    assert schema == exported_schema("anthropic")  # one aliasing for every format


def test_openai_has_no_key_rule_and_keeps_the_keys() -> None:
    [definition] = tool_definitions(load_tools("twilio", SPEC), "openai")
    types = definition["function"]["parameters"]["properties"]["types"]
    assert "twilio/text" in types["properties"]


def test_aliases_stay_distinct_and_turn_back_at_any_place() -> None:
    twin = "k" * 70
    spec = OperationSpec(
        name="x",
        method="POST",
        path="/v1/Things",
        body_encoding="json",
        parameters=(
            ParameterSpec(name="Start<", location="query", schema={"type": "string"}),
            ParameterSpec(
                name="Body",
                location="body",
                schema={
                    "type": "object",
                    "properties": {
                        "a/b": {"type": "string"},
                        "a:b": {"type": "string"},
                        "a_b_2": {"type": "string"},
                        twin + "/1": {"type": "string"},
                        twin + "/2": {"type": "string"},
                    },
                },
            ),
        ),
    )
    tool = Tool(spec)
    [definition] = tool_definitions([tool], "anthropic")
    properties = definition["input_schema"]["properties"]

    assert list(properties) == ["Start_", "Body"]
    assert list(properties["Body"]["properties"]) == [
        "a_b",
        "a_b_3",
        "a_b_2",
        "k" * 64,
        "k" * 62 + "_2",
    ]
    body = {"a_b": 1, "a_b_3": 2, "a_b_2": 3, "k" * 64: 4, "k" * 62 + "_2": 5, "other": 6}
    assert real_keys(tool, {"Start_": "s", "Body": body, "Unknown/key": 7}) == {
        "Start<": "s",
        "Body": {"a/b": 1, "a:b": 2, "a_b_2": 3, twin + "/1": 4, twin + "/2": 5, "other": 6},
        "Unknown/key": 7,
    }


async def test_anthropic_call_with_aliases_sends_the_api_keys(
    content_agent: OCPAgent, recording_server: RecordingServer
) -> None:
    block = ToolUseBlock(type="tool_use", id="toolu_1", name=TOOL, input=MODEL_ARGUMENTS)

    result = await anthropic_tool_result(content_agent, block)

    assert result["is_error"] is False, result["content"]
    assert json.loads(result["content"]) == CREATED
    [request] = recording_server.requests
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body) == SENT


async def test_langchain_call_with_aliases_sends_the_api_keys(
    content_agent: OCPAgent, recording_server: RecordingServer
) -> None:
    [tool] = as_langchain_tools(content_agent)
    call = {"name": TOOL, "args": MODEL_ARGUMENTS, "id": "c1", "type": "tool_call"}

    message = await tool.ainvoke(call)

    assert isinstance(message, ToolMessage) and message.status == "success", message.content
    [request] = recording_server.requests
    assert json.loads(request.body) == SENT


async def test_mcp_call_with_aliases_sends_the_api_keys(recording_server: RecordingServer) -> None:
    recording_server.reply(201, CREATED)
    parameters = StdioServerParameters(
        command=str(Path(sys.executable).with_name("ocp-twilio")),
        args=["mcp", "--spec", str(SPEC)],
        env={**TWILIO_ENV, "TWILIO_BASE_URL": recording_server.url},
    )
    async with stdio_client(parameters) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        [listed] = (await session.list_tools()).tools
        result = await session.call_tool(TOOL, MODEL_ARGUMENTS)

    assert "twilio_text_2" in listed.input_schema["properties"]["types"]["properties"]
    assert result.is_error is False and result.structured_content == CREATED
    [request] = recording_server.requests
    assert json.loads(request.body) == SENT


async def test_keys_that_are_no_aliases_reach_validation_untouched(
    content_agent: OCPAgent, recording_server: RecordingServer
) -> None:
    unknown = {**MODEL_ARGUMENTS, "types": {**MODEL_ARGUMENTS["types"], "bogus/key": 1}}
    # Both the alias and the key it stands for: the alias is not turned back, so it is refused.
    doubled = {**MODEL_ARGUMENTS, "types": {"twilio_text_2": {"body": "a"}, **SENT["types"]}}
    as_sent = SENT  # the API's own keys are taken as they are

    refused = [
        await anthropic_tool_result(
            content_agent, {"id": f"t{i}", "name": TOOL, "input": arguments}
        )
        for i, arguments in enumerate((unknown, doubled))
    ]
    assert recording_server.requests == []
    accepted = await anthropic_tool_result(
        content_agent, {"id": "t3", "name": TOOL, "input": as_sent}
    )

    assert [r["is_error"] for r in refused] == [True, True]
    assert "bogus/key" in refused[0]["content"] and "nothing was sent" in refused[0]["content"]
    assert "twilio_text_2" in refused[1]["content"]
    assert accepted["is_error"] is False
    assert json.loads(recording_server.requests[0].body) == SENT
