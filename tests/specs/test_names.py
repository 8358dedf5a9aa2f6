"""The name rules in one place: each the framework's published rule, and every name the library
makes safe keeps to the rule it is made for."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from support.adapter_rules import (
    ANTHROPIC_PROPERTY_KEY,
    ANTHROPIC_TOOL_NAME,
    MCP_TOOL_NAME,
    OPENAI_FUNCTION_NAME,
)

from ocp_twilio.specs.names import (
    ARGUMENT_KEY,
    MCP_NAME,
    TOOL_NAME,
    safe_key,
    safe_tool_name,
)

# Names near the rules' edges: their own characters, a few others, lengths around 64 and 128.
NAMES = st.text(
    alphabet=st.sampled_from("aZ09_-.") | st.sampled_from("/ <\n$é"),
    max_size=130,
)


@given(NAMES)
def test_openai_and_anthropic_take_the_same_tool_names(name: str) -> None:
    taken = bool(TOOL_NAME.match(name))
    assert taken is bool(OPENAI_FUNCTION_NAME.match(name)) is bool(ANTHROPIC_TOOL_NAME.match(name))


@given(NAMES)
def test_each_rule_is_its_frameworks(name: str) -> None:
    assert bool(ARGUMENT_KEY.match(name)) is bool(ANTHROPIC_PROPERTY_KEY.match(name))
    assert bool(MCP_NAME.match(name)) is bool(MCP_TOOL_NAME.match(name))


@given(NAMES)
def test_a_key_made_safe_keeps_to_the_key_rule(text: str) -> None:
    key = safe_key(text)
    assert ARGUMENT_KEY.fullmatch(key)
    if ARGUMENT_KEY.fullmatch(text):
        assert key == text  # a key that keeps to the rule already is left as it is


@given(NAMES.filter(lambda text: 0 < len(text) <= 64))
def test_a_tool_name_made_safe_keeps_to_the_tool_name_rule(text: str) -> None:
    name = safe_tool_name(text)
    assert TOOL_NAME.fullmatch(name) and len(name) == len(text)
    if TOOL_NAME.fullmatch(text):
        assert name == text
