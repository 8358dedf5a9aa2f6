"""jsonschema-rs's quick yes is jsonschema's yes, on every tool's schemas.

The library asks jsonschema-rs only "valid?", and lets jsonschema decide every "no". So the one
thing that must never happen is a yes from jsonschema-rs where jsonschema finds an error. The
tests also hold the quick path to real answers (Twilio's own examples): it must say yes to them,
or it would save nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from support.answers import CALL_BODY, MESSAGE_BODY
from support.files import SHARED_OAI
from support.payments import PAYMENT_BODY
from support.schema_strategies import json_values, random_arguments, valid_arguments

from ocp_twilio import Tool, load_operations
from ocp_twilio.specs.model import packaged_schemas_dir
from ocp_twilio.tools.formats import INPUT_FORMATS, OUTPUT_FORMATS, SOUND_PATTERNS
from ocp_twilio.tools.validation import is_plain_json, quick_validator

CURATED = {op.name: Tool(op) for op in load_operations([packaged_schemas_dir()])}
# A real answer of each curated tool that answers with a body (deleteMessage answers 204).
_PAGE = {"page": 0, "page_size": 50, "start": 0, "end": 0, "next_page_uri": None}
REAL_ANSWERS: dict[str, dict[str, Any]] = {
    "createPayments": PAYMENT_BODY,
    "updatePayments": PAYMENT_BODY,
    "createMessage": MESSAGE_BODY,
    "fetchMessage": MESSAGE_BODY,
    "listMessage": {"messages": [MESSAGE_BODY], **_PAGE},
    "createCall": CALL_BODY,
    "fetchCall": CALL_BODY,
    "updateCall": CALL_BODY,
    "listCall": {"calls": [CALL_BODY], **_PAGE},
}
OAI_FILES = sorted(SHARED_OAI.glob("*.yaml")) if SHARED_OAI.is_dir() else []
needs_oai = pytest.mark.skipif(not OAI_FILES, reason=f"Twilio's OpenAPI files not at {SHARED_OAI}")


def tools_of(path: Any) -> list[Tool]:
    return [Tool(op) for op in load_operations([path])]


def assert_agree(schema: Mapping[str, Any], formats: FormatChecker, instance: Any) -> bool:
    """Fails where jsonschema-rs says yes and jsonschema no; returns jsonschema-rs's verdict."""
    quick, full = _validators(schema, formats)
    if not is_plain_json(instance):
        return False  # never offered to jsonschema-rs
    quick_yes = quick.is_valid(instance)
    if quick_yes:
        assert full.is_valid(instance), f"jsonschema-rs said yes to {instance!r}"
    return quick_yes


_COMPILED: dict[tuple[int, int], tuple[Any, Draft202012Validator, Any]] = {}


def _validators(schema: Mapping[str, Any], formats: FormatChecker) -> tuple[Any, Any]:
    key = (id(schema), id(formats))
    if key not in _COMPILED:
        quick = quick_validator(schema, formats)
        assert quick is not None, "jsonschema-rs could not compile a schema jsonschema takes"
        full = Draft202012Validator(schema, format_checker=formats)
        _COMPILED[key] = (quick, full, schema)  # the schema kept alive, so its id stays its own
    quick, full, _ = _COMPILED[key]
    return quick, full


# --- instances of any converted Twilio schema -------------------------------------------------

_FORMAT_SAMPLES = {
    "date-time-rfc-2822": [
        "Wed, 18 Dec 2019 20:02:01 +0000",
        "Thu, 29 Feb 2024 10:00:00 +0000",
        "Sat, 31 Apr 2021 10:00:00 +0000",
        "18 Dec 2019 20:02:01",
        "Wed, 18 Dec 2019 24:02:01 +0000",
        "2019-12-18T20:02:01Z",
    ],
    "date-time": [
        "2019-12-18T20:02:01Z",
        "2019-12-18T20:02:01.123+01:00",
        "2019-12-18T20:02:01.123456-05:30",
        "2019-02-30T20:02:01Z",
        "2019-12-18 20:02:01",
        "2019-12-18T20:02:01",
        "Wed, 18 Dec 2019 20:02:01 +0000",
    ],
    "uri": ["https://api.twilio.com/x", "/2010-04-01/Accounts.json", "a b", "", "x\x00"],
    "date": ["2019-12-18", "2019-13-01", "2019-12-18T00:00:00Z"],
    "email": ["a@b.example", "not-an-email"],
}


def instances(schema: Any, root: Mapping[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values near the schema: mostly of its shape, sometimes of another (jsonschema decides)."""
    if not isinstance(schema, Mapping) or depth > 6:
        return json_values
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        return instances(target, root, depth + 1)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return st.one_of([instances(s, root, depth + 1) for s in schema[key]])
    shaped = _shaped(schema, root, depth)
    return st.one_of(shaped, shaped, shaped, json_values)


def _shaped(schema: Mapping[str, Any], root: Mapping[str, Any], depth: int) -> st.SearchStrategy:
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kinds = schema.get("type", "object" if "properties" in schema else None)
    kind = next((k for k in kinds if k != "null"), None) if isinstance(kinds, list) else kinds
    if kind == "string":
        if "format" in schema and schema["format"] in _FORMAT_SAMPLES:
            return st.sampled_from(_FORMAT_SAMPLES[schema["format"]]) | st.text(max_size=8)
        if "pattern" in schema:
            return st.from_regex(schema["pattern"]) | st.text(max_size=8)
        return st.text(max_size=20)
    if kind == "integer":
        return st.integers(-(2**63), 2**63)
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False) | st.integers()
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(instances(schema.get("items", {}), root, depth + 1), max_size=3)
    if kind == "object":
        properties = schema.get("properties", {})
        return st.fixed_dictionaries(
            {}, optional={n: instances(s, root, depth + 1) for n, s in properties.items()}
        )
    return json_values


# --- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("check", sorted(SOUND_PATTERNS, key=lambda f: f.__name__))
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_a_sound_pattern_matches_only_what_its_check_accepts(check: Any, data: Any) -> None:
    pattern = SOUND_PATTERNS[check]
    value = data.draw(st.from_regex(re.compile(pattern.removesuffix("$") + r"\Z")))
    assert check(value), value
    # Rust's regex reads the pattern as Python's re does.
    rust = jsonschema_rs.Draft202012Validator({"type": "string", "pattern": pattern})
    assert rust.is_valid(value)


@pytest.mark.parametrize("name", sorted(CURATED))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_curated_arguments(name: str, data: Any) -> None:
    schema = CURATED[name].input_schema
    arguments = data.draw(random_arguments(schema) | valid_arguments(schema))
    assert_agree(schema, INPUT_FORMATS, arguments)


@pytest.mark.parametrize("name", sorted(REAL_ANSWERS))
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_curated_responses(name: str, data: Any) -> None:
    schema = CURATED[name].output_schema
    real = REAL_ANSWERS[name]
    assert schema is not None
    changes = st.dictionaries(st.sampled_from(sorted(real)) | st.text(max_size=5), json_values)
    body = data.draw(st.builds(lambda c: {**real, **c}, changes) | json_values)
    assert_agree(schema, OUTPUT_FORMATS, body)


def test_the_quick_path_takes_a_real_answer() -> None:
    assert set(REAL_ANSWERS) == {n for n, tool in CURATED.items() if tool.output_schema}
    for name, answer in REAL_ANSWERS.items():
        schema = CURATED[name].output_schema
        assert schema is not None
        assert assert_agree(schema, OUTPUT_FORMATS, answer)


@needs_oai
@pytest.mark.parametrize("path", OAI_FILES, ids=lambda p: p.stem)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_twilio_schema(path: Any, data: Any) -> None:
    tools = _tools_by_file(path)
    if not tools:
        pytest.skip(f"{path.name} describes no operation")
    tool = data.draw(st.sampled_from(tools))
    schema = tool.output_schema if tool.output_schema and data.draw(st.booleans()) else None
    if schema is None:
        assert_agree(tool.input_schema, INPUT_FORMATS, data.draw(instances(tool.input_schema, {})))
    else:
        assert_agree(schema, OUTPUT_FORMATS, data.draw(instances(schema, schema)))


@needs_oai
def test_twilio_examples_take_the_quick_path() -> None:
    """Twilio's own response examples: jsonschema-rs says yes wherever jsonschema does."""
    import yaml

    checked = quick = 0
    for path in OAI_FILES:
        by_id = {t.spec.operation_id: t for t in _tools_by_file(path)}
        document = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        for item in document["paths"].values():
            for operation in item.values():
                if not isinstance(operation, Mapping) or operation.get("operationId") not in by_id:
                    continue
                schema = by_id[operation["operationId"]].output_schema
                if schema is None:
                    continue
                _, full = _validators(schema, OUTPUT_FORMATS)
                for example in _examples(operation):
                    if not full.is_valid(example):
                        continue
                    checked += 1
                    quick += assert_agree(schema, OUTPUT_FORMATS, example)
    assert checked > 500
    assert quick == checked, f"{checked - quick} valid examples missed the quick path"


_BY_FILE: dict[Any, list[Tool]] = {}


def _tools_by_file(path: Any) -> list[Tool]:
    if path not in _BY_FILE:
        _BY_FILE[path] = tools_of(path)
    return _BY_FILE[path]


def _examples(operation: Mapping[str, Any]) -> list[Any]:
    found = []
    for response in operation.get("responses", {}).values():
        media = response.get("content", {}).get("application/json", {})
        for example in media.get("examples", {}).values():
            if isinstance(example, Mapping) and "value" in example:
                found.append(example["value"])
    return found
