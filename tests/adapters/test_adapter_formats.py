"""Every exported tool, in every format, against the framework's own types and naming rules."""

from __future__ import annotations

from typing import Any

import jsonschema
import mcp_types
import pytest
from anthropic.types import ToolParam
from openai.types.chat import ChatCompletionToolParam
from openai.types.responses import FunctionToolParam
from pydantic import TypeAdapter
from support.adapter_rules import (
    ANTHROPIC_PROPERTY_KEY,
    ANTHROPIC_TOOL_NAME,
    MCP_TOOL_NAME,
    OPENAI_FUNCTION_NAME,
    property_keys,
    strict_violations,
)
from support.credentials import TWILIO_ENV
from support.files import SPECS
from support.payments import CREATE_TOOL, PAY_TOOLS, UPDATE_TOOL

from ocp_twilio import ConfigurationError, OCPAgent, SpecError, Tool, load_tools
from ocp_twilio.adapters import tool_definitions
from ocp_twilio.specs.model import OperationSpec, ParameterSpec

WIDGETS = SPECS / "widgets.yaml"
TOOL_SETS = {"payments": None, "widgets": WIDGETS}
FETCH_WIDGET = "test_service__fetchWidget"  # widgets.yaml's service is test_service
UPDATE_WIDGET = "test_service__updateWidget"
DELETE_WIDGET = "test_service__deleteWidget"


def tools_of(which: str) -> tuple[Tool, ...]:
    return load_tools("twilio", TOOL_SETS[which])


@pytest.mark.parametrize("which", TOOL_SETS)
@pytest.mark.parametrize("shape", ["chat", "responses"])
@pytest.mark.parametrize("strict", [False, True])
def test_openai_tools_are_valid_openai_params(which: str, shape: Any, strict: bool) -> None:
    tools = tools_of(which)
    exported = tool_definitions(tools, "openai", strict=strict, shape=shape)
    param_type: Any = ChatCompletionToolParam if shape == "chat" else FunctionToolParam
    assert len(exported) == len(tools)
    for definition in exported:
        TypeAdapter(param_type).validate_python(definition, strict=True)
        function = definition["function"] if shape == "chat" else definition
        assert OPENAI_FUNCTION_NAME.match(function["name"])
        jsonschema.Draft202012Validator.check_schema(function["parameters"])
        assert not strict_violations(function["parameters"]) or not function.get("strict")


@pytest.mark.parametrize("which", TOOL_SETS)
def test_strict_export_meets_strict_rules_where_expressible(which: str) -> None:
    exported = tool_definitions(tools_of(which), "openai", strict=True)
    strict = {d["function"]["name"]: d["function"] for d in exported if d["function"].get("strict")}
    for name, function in strict.items():
        assert strict_violations(function["parameters"]) == [], name
    # Only a free-form object below the top level cannot be strict; the rest must be.
    expected_loose = {FETCH_WIDGET} if which == "widgets" else set()
    assert {d["function"]["name"] for d in exported} - set(strict) == expected_loose


def test_strict_rewriting_keeps_the_rules_in_words() -> None:
    [definition] = tool_definitions(
        [t for t in tools_of("widgets") if t.name == UPDATE_WIDGET], "openai", strict=True
    )
    function = definition["function"]
    properties = function["parameters"]["properties"]
    assert "Give exactly one of Mode or Level." in function["description"]
    assert properties["FriendlyName"] == {
        "type": ["string", "null"],
        "description": "A name. Must not be empty. At most 64 characters. Default widget.",
    }
    assert properties["Url"]["description"] == "Format uri."
    assert properties["Labels"]["type"] == ["array", "null"]
    assert "Items must differ." in properties["Labels"]["description"]
    assert properties["Labels"]["maxItems"] == 5
    assert properties["Attributes"]["type"] == ["string", "null"]
    assert "JSON text" in properties["Attributes"]["description"]
    assert properties["Size"]["type"] == ["object", "null"]
    assert properties["Size"]["properties"]["Unit"] == {
        "type": ["string", "null"],
        "enum": ["cm", "in", None],
    }
    assert properties["Mode"]["enum"] == ["fast", "slow", None]
    assert "Must not be any of" in properties["WidgetSid"]["description"]


@pytest.mark.parametrize("which", TOOL_SETS)
def test_anthropic_tools_are_valid_tool_params(which: str) -> None:
    exported = tool_definitions(tools_of(which), "anthropic")
    for definition in exported:
        TypeAdapter(ToolParam).validate_python(definition, strict=True)
        assert ANTHROPIC_TOOL_NAME.match(definition["name"])
        keys = property_keys(definition["input_schema"])
        assert keys and all(ANTHROPIC_PROPERTY_KEY.match(k) for k in keys)
        assert definition["input_schema"]["type"] == "object"
        assert not {"oneOf", "anyOf", "allOf"} & set(definition["input_schema"])
        jsonschema.Draft202012Validator.check_schema(definition["input_schema"])


@pytest.mark.parametrize("which", TOOL_SETS)
def test_mcp_tools_are_valid_mcp_tools(which: str) -> None:
    for definition in tool_definitions(tools_of(which), "mcp"):
        tool = mcp_types.Tool.model_validate(definition)
        assert MCP_TOOL_NAME.match(tool.name)
        assert tool.annotations is not None
        jsonschema.Draft202012Validator.check_schema(tool.input_schema)


def test_mcp_annotations_follow_the_effects() -> None:
    hints = {
        d["name"]: d["annotations"]
        for d in tool_definitions([*tools_of("widgets"), *tools_of("payments")], "mcp")
    }
    assert hints[FETCH_WIDGET]["readOnlyHint"] is True
    assert hints[DELETE_WIDGET] == {
        "readOnlyHint": False,
        "destructiveHint": True,
        "idempotentHint": True,
        "openWorldHint": True,
    }
    assert hints[UPDATE_WIDGET]["idempotentHint"] is False  # POST without an IdempotencyKey
    assert hints[UPDATE_TOOL]["idempotentHint"] is True  # POST with a required key
    # An update, which may also charge a card (Status complete).
    assert hints[UPDATE_TOOL]["destructiveHint"] is True
    # Only adds: a session on a call already there, nothing charged until it completes.
    assert hints[CREATE_TOOL]["destructiveHint"] is False
    assert hints[UPDATE_WIDGET]["destructiveHint"] is True


def test_a_name_a_framework_refuses_is_a_clear_error() -> None:
    spec = OperationSpec(
        name="x" * 65,
        method="GET",
        path="/v1/Things",
        parameters=(ParameterSpec(name="Start<", location="query", schema={"type": "string"}),),
    )
    # "Start<" goes out as "Start_" (adapters/_keys.py): only the name is refused.
    with pytest.raises(SpecError) as refused:
        tool_definitions([Tool(spec)], "anthropic")
    assert str(refused.value) == (
        f"{'x' * 65} cannot be exported to Anthropic: the tool name must match "
        "^[a-zA-Z0-9_-]{1,64}$."
    )
    with pytest.raises(SpecError, match="cannot be exported to OpenAI"):
        tool_definitions([Tool(spec)], "openai")
    # Keys under $defs are not aliased ($ref would have to follow): still refused by name.
    defs = {"$defs": {"Part": {"type": "object", "properties": {"a/b": {"type": "string"}}}}}
    spec = OperationSpec(
        name="x",
        method="GET",
        path="/v1/Things",
        parameters=(ParameterSpec(name="Part", location="query", schema=defs),),
    )
    with pytest.raises(SpecError, match=r"argument names \['a/b'\] must match"):
        tool_definitions([Tool(spec)], "anthropic")


async def test_agent_tools_for_filters_and_delegates() -> None:
    async with OCPAgent() as agent:
        await agent.register_api("twilio", environ=TWILIO_ENV)
        openai = agent.tools_for("openai", names=["updatePayments"], shape="responses")
        assert [d["name"] for d in openai] == [UPDATE_TOOL]
        assert [d["name"] for d in agent.tools_for("anthropic", tags=["pay"])] == PAY_TOOLS
        with pytest.raises(ConfigurationError, match="No service named 'nothing'"):
            agent.tools_for("mcp", services=["nothing"])
        with pytest.raises(ConfigurationError, match="Unknown framework 'gemini'"):
            agent.tools_for("gemini")  # type: ignore[arg-type]
