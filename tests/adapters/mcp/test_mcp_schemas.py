"""What the MCP server publishes of a tool's schemas: an object root for outputSchema ($ref
roots resolved, bounded), and only the formats MCP clients know."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from ocp_twilio.adapters._exported_formats import exported_schema
from ocp_twilio.adapters.mcp.tools import _object_root
from ocp_twilio.tools.formats import INPUT_FORMATS

RFC_2822 = "Wed, 18 Dec 2019 20:02:01 +0000"


def test_a_root_ref_to_an_object_is_inlined_with_its_defs() -> None:
    schema = {
        "$ref": "#/$defs/account",
        "$defs": {
            "account": {"type": "object", "properties": {"sub": {"$ref": "#/$defs/sub"}}},
            "sub": {"type": "object", "properties": {"sid": {"type": "string"}}},
        },
    }
    root = _object_root(schema)
    assert root is not None
    assert root["type"] == "object" and "$ref" not in root
    Draft202012Validator(root).validate({"sub": {"sid": "AC1"}})
    with pytest.raises(Exception, match="is not of type 'string'"):
        Draft202012Validator(root).validate({"sub": {"sid": 5}})


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "array", "items": {"type": "string"}},
        {"$ref": "#/$defs/list", "$defs": {"list": {"type": "array"}}},
        {"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/a"}}},  # a loop ends
        {"$ref": "https://example.com/schema.json"},  # nothing is fetched
        {"$ref": "#/$defs/missing", "$defs": {}},
    ],
)
def test_no_output_schema_where_the_root_is_no_object(schema: dict[str, Any]) -> None:
    assert _object_root(schema) is None


def test_unknown_formats_become_words_and_input_patterns() -> None:
    schema = {
        "type": "object",
        "properties": {
            "When": {"type": "string", "format": "date-time-rfc-2822", "description": "When."},
            "Url": {"type": "string", "format": "uri"},
            "Phone": {"type": "string", "format": "phone-number"},
            "Kind": {"enum": [{"format": "kept as data"}]},
        },
    }
    given = exported_schema(schema, "input")
    answered = exported_schema(schema, "output")

    when = given["properties"]["When"]
    assert "format" not in when
    assert when["description"].startswith("When. A date as RFC 2822 writes it")
    assert Draft202012Validator({"pattern": when["pattern"]}).is_valid(RFC_2822)
    assert INPUT_FORMATS.conforms(RFC_2822, "date-time-rfc-2822")
    assert given["properties"]["Url"]["format"] == "uri"
    assert given["properties"]["Phone"]["description"].startswith("A phone number in E.164")
    assert given["properties"]["Kind"] == schema["properties"]["Kind"]
    # Answers: no pattern (it would refuse dates the check accepts); relative URIs are fine.
    assert "pattern" not in answered["properties"]["When"]
    assert "format" not in answered["properties"]["When"]
    assert answered["properties"]["Url"]["format"] == "uri-reference"
    assert schema["properties"]["When"]["format"] == "date-time-rfc-2822"  # not changed
