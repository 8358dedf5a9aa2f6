"""Values the fuzz found that JSON Schema alone lets through: kept as plain regression tests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support.credentials import TWILIO_ENV
from support.payments import CALL_SID
from support.servers import RecordingServer

from ocp_twilio import InvalidArguments, OCPAgent, ResponseValidationError
from ocp_twilio.adapters import anthropic_tool_result, openai_tool_result

CREATE = {"CallSid": CALL_SID, "IdempotencyKey": "k-1", "StatusCallback": "https://e.com/s"}


@pytest.mark.parametrize(
    "amount", [float("nan"), float("inf"), Decimal("NaN"), Decimal("sNaN"), Decimal("-Infinity")]
)
async def test_non_finite_numbers_are_refused(
    amount: Any, agent: OCPAgent, recording_server: RecordingServer
) -> None:
    with pytest.raises(InvalidArguments) as caught:
        await agent.call_tool("createPayments", {**CREATE, "ChargeAmount": amount})
    assert [str(e) for e in caught.value.errors] == [
        "ChargeAmount: must be a finite number, not NaN or Infinity"
    ]
    assert recording_server.requests == []


async def test_decimals_are_sent_in_plain_notation(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    arguments = {**CREATE, "ChargeAmount": Decimal("1E+2"), "Parameter": {"fee": Decimal("0.5")}}
    await agent.call_tool("createPayments", arguments)
    form = dict(recording_server.requests[0].form)
    assert form["ChargeAmount"] == "100"
    assert form["Parameter"] == '{"fee":0.5}'


@pytest.mark.parametrize("value", [{1, 2}, b"bytes", object()])
async def test_values_json_cannot_carry_are_refused(
    value: Any, agent: OCPAgent, recording_server: RecordingServer
) -> None:
    with pytest.raises(InvalidArguments) as caught:
        await agent.call_tool("createPayments", {**CREATE, "Parameter": {"field": value}})
    assert [str(e) for e in caught.value.errors] == [
        "Parameter.field: must be a JSON value: string, number, boolean, null, array or object"
    ]
    assert recording_server.requests == []


async def test_a_non_finite_number_does_not_hide_the_other_problems(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    arguments = {"CallSid": CALL_SID, "ChargeAmount": float("nan"), "Timeout": 0}
    with pytest.raises(InvalidArguments) as caught:
        await agent.call_tool("createPayments", arguments)
    assert [str(e) for e in caught.value.errors] == [
        "ChargeAmount: must be a finite number, not NaN or Infinity",
        "StatusCallback: is required but missing",
        "Timeout: must be at least 1",
    ]
    assert recording_server.requests == []


async def test_keys_of_an_open_object_must_be_text(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    with pytest.raises(InvalidArguments) as caught:
        await agent.call_tool("createPayments", {**CREATE, "Parameter": {("a", 1): "x"}})
    assert [e.path for e in caught.value.errors] == [("Parameter", "('a', 1)")]
    assert recording_server.requests == []


def test_boolean_subschemas_are_checked_not_crashed_on() -> None:
    from ocp_twilio.tools.formats import INPUT_FORMATS
    from ocp_twilio.tools.validation import SchemaValidator

    validator = SchemaValidator(
        {"type": "object", "properties": {"any": True, "none": False}}, INPUT_FORMATS, "test"
    )
    assert validator.errors({"any": [1, {"x": None}]}) == ()
    # jsonschema reports a false schema at the object, without the key.
    assert [e.message for e in validator.errors({"none": 12345})] == ["no value is allowed here"]


@pytest.mark.parametrize(
    ("schema", "value"),
    [
        ({"type": "array", "uniqueItems": True}, ["4111111111111111", "4111111111111111"]),
        ({"anyOf": [{"type": "integer"}, {"type": "boolean"}]}, "4111111111111111"),
        ({"type": "object", "maxProperties": 0}, {"card": "4111111111111111"}),
        ({"type": "integer", "multipleOf": 7}, 4111111111111111),
    ],
)
def test_no_message_repeats_the_value(schema: dict[str, Any], value: Any) -> None:
    from ocp_twilio.tools.formats import INPUT_FORMATS
    from ocp_twilio.tools.validation import SchemaValidator

    errors = SchemaValidator(schema, INPUT_FORMATS, "test").errors(value)
    assert errors
    assert not any("4111" in str(e) for e in errors)


# --- Escapes found by the attack review (issue 11): each was a raw Python exception. -----------

THINGS = "api: twilio\noperations:\n" + "\n".join(
    [
        "  - name: updateThing",
        "    method: POST",
        "    path: /v1/Things/{Name}.json",
        "    parameters:",
        "      - {name: Name, in: path, required: true, schema: {type: string}}",
        "      - {name: Tag, in: query, schema: {type: string}}",
        "      - {name: Note, in: body, schema: {type: string}}",
        "      - {name: Data, in: body, schema: {type: object}}",
        "    response: {status: 200, schema: {type: object}}",
        "",
    ]
)
DEEP = 10_000


def nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": [value]}
    return value


@pytest.fixture
async def things_agent(
    tmp_path: Path, recording_server: RecordingServer
) -> AsyncIterator[OCPAgent]:
    spec = tmp_path / "things.yaml"
    spec.write_text(THINGS)
    async with OCPAgent() as ocp_agent:
        await ocp_agent.register_api(
            "twilio", spec=spec, base_url=recording_server.url, environ=TWILIO_ENV
        )
        for framework in ("openai", "anthropic"):
            ocp_agent.tools_for(framework)  # the tool lists the models are given
        yield ocp_agent


@pytest.mark.parametrize(
    "arguments",
    [
        {"Name": "a\ud800b"},
        {"Name": "n", "Tag": "\udfff"},
        {"Name": "n", "Note": "x" * 1_000_000 + "\ud83d"},
        {"Name": "n", "Data": {"k\udc00": 1}},
    ],
    ids=["path", "query", "huge-body", "key"],
)
async def test_a_lone_surrogate_is_refused_without_echoing_the_value(
    arguments: dict[str, Any], things_agent: OCPAgent, recording_server: RecordingServer
) -> None:
    with pytest.raises(InvalidArguments) as caught:
        await things_agent.call_tool("updateThing", arguments)
    assert "unpaired surrogate" in str(caught.value)
    assert len(str(caught.value)) < 500
    assert recording_server.requests == []


@pytest.mark.parametrize("url", ["https://[::1/", "https://[::1]:x/", "https://a:99999999/"])
async def test_a_malformed_status_callback_is_an_invalid_uri(
    url: str, agent: OCPAgent, recording_server: RecordingServer
) -> None:
    with pytest.raises(InvalidArguments, match="StatusCallback: must be a valid http-url"):
        await agent.call_tool("createPayments", {**CREATE, "StatusCallback": url})
    assert recording_server.requests == []


async def test_deeply_nested_arguments_are_refused(
    things_agent: OCPAgent, recording_server: RecordingServer
) -> None:
    with pytest.raises(InvalidArguments, match="Data: is nested more than 64 levels deep"):
        await things_agent.call_tool("updateThing", {"Name": "n", "Data": nested(DEEP)})
    with pytest.raises(InvalidArguments, match="nested more than 64 levels deep"):
        await things_agent.call_tool("updateThing", nested(DEEP))
    assert recording_server.requests == []
    await things_agent.call_tool("updateThing", {"Name": "n", "Data": nested(30)})
    assert len(recording_server.requests) == 1


@pytest.mark.parametrize("validation", ["strict", "warn", "off"])
async def test_a_deeply_nested_answer_says_the_call_was_made(
    validation: str, tmp_path: Path, recording_server: RecordingServer
) -> None:
    spec = tmp_path / "things.yaml"
    spec.write_text(THINGS)
    recording_server.reply(200, text='{"a":' + "[" * DEEP + "]" * DEEP + "}")
    async with OCPAgent(response_validation=validation) as agent:
        await agent.register_api(
            "twilio", spec=spec, base_url=recording_server.url, environ=TWILIO_ENV
        )
        with pytest.raises(ResponseValidationError, match="The call was made") as caught:
            await agent.call_tool("updateThing", {"Name": "n"})
        agent.tools_for("openai")
        reply = await openai_tool_result(agent, openai_call("updateThing", {"Name": "n"}))
    assert "nested more than" in str(caught.value)
    assert len(recording_server.requests) == 2
    error = json.loads(reply["content"])["error"]
    assert "The call was made" in error and "internal error" not in error


def openai_call(name: str, arguments: Any) -> dict[str, Any]:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": "call_1", "type": "function", "function": {"name": name, "arguments": text}}


@pytest.mark.parametrize(
    "arguments",
    [
        '{"Name": "n", "Data": ' + '{"a": ' * DEEP + "1" + "}" * DEEP + "}",
        "[" * DEEP + "]" * DEEP,
    ],
    ids=["object", "array"],
)
async def test_openai_tool_result_answers_deeply_nested_text(
    arguments: str, things_agent: OCPAgent, recording_server: RecordingServer
) -> None:
    reply = await openai_tool_result(things_agent, openai_call("updateThing", arguments))
    error = json.loads(reply["content"])["error"]
    assert "nested" in error and "internal error" not in error
    assert recording_server.requests == []


async def test_anthropic_and_mcp_results_answer_deeply_nested_input(
    things_agent: OCPAgent, recording_server: RecordingServer
) -> None:
    block = {"type": "tool_use", "id": "t1", "name": "updateThing", "input": nested(DEEP)}
    result = await anthropic_tool_result(things_agent, block)
    assert result["is_error"] is True and "nested more than 64" in result["content"]
    assert recording_server.requests == []
