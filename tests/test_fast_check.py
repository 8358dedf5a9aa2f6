"""The quick check says yes exactly where jsonschema finds nothing wrong (for plain JSON)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import PAYMENT_BODY
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from schema_strategies import json_values, random_arguments, valid_arguments

from ocp_twilio import Tool, load_operations
from ocp_twilio.fast_check import compile_check
from ocp_twilio.schema import INPUT_FORMATS, OUTPUT_FORMATS
from ocp_twilio.spec import packaged_schemas_dir

TOOLS = {op.name: Tool(op) for op in load_operations([packaged_schemas_dir()])}


def plain_json(value: Any) -> bool:
    try:
        return json.loads(json.dumps(value, allow_nan=False)) == value
    except (TypeError, ValueError):
        return False


def accepted_by_jsonschema(schema: dict[str, Any], formats: Any, value: Any) -> bool:
    return plain_json(value) and Draft202012Validator(schema, format_checker=formats).is_valid(
        value
    )


@pytest.mark.parametrize("name", sorted(TOOLS))
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_quick_yes_only_for_valid_arguments(name: str, data: st.DataObject) -> None:
    schema = TOOLS[name].input_schema
    quick = compile_check(schema, INPUT_FORMATS)
    assert quick is not None
    arguments = data.draw(random_arguments(schema) | valid_arguments(schema))
    if quick(arguments):
        assert accepted_by_jsonschema(schema, INPUT_FORMATS, arguments)
    elif plain_json(arguments):
        assert not accepted_by_jsonschema(schema, INPUT_FORMATS, arguments)


@pytest.mark.parametrize("name", sorted(TOOLS))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_quick_yes_only_for_valid_responses(name: str, data: st.DataObject) -> None:
    schema = TOOLS[name].output_schema
    assert schema is not None
    quick = compile_check(schema, OUTPUT_FORMATS)
    assert quick is not None
    changes = st.dictionaries(
        st.sampled_from(sorted(PAYMENT_BODY)) | st.text(max_size=5), json_values
    )
    body = data.draw(st.builds(lambda c: {**PAYMENT_BODY, **c}, changes) | json_values)
    if quick(body):
        assert accepted_by_jsonschema(schema, OUTPUT_FORMATS, body)
    elif plain_json(body):
        assert not accepted_by_jsonschema(schema, OUTPUT_FORMATS, body)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "const": "x"},
        {"anyOf": [{"type": "string"}]},
        {"type": "object", "additionalProperties": {"type": "string"}},
        {"type": "object", "properties": {"a": {"$ref": "#/$defs/a"}}},
        {"enum": [1, 2]},
    ],
)
def test_schemas_beyond_the_subset_take_the_full_validator(schema: dict[str, Any]) -> None:
    assert compile_check(schema, INPUT_FORMATS) is None


@settings(max_examples=300, deadline=None)
@given(value=json_values | st.sampled_from(["expiration-date", "complete", "", "Complete"]))
def test_string_enum_check_agrees_with_jsonschema(value: Any) -> None:
    schema = {"type": "string", "enum": ["expiration-date", "complete", ""], "description": "d"}
    quick = compile_check(schema, INPUT_FORMATS)
    assert quick is not None
    if plain_json(value):
        assert quick(value) == accepted_by_jsonschema(schema, INPUT_FORMATS, value)
    else:
        assert not quick(value)
