"""Values the fuzz found that JSON Schema alone lets through: kept as plain regression tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from conftest import CALL_SID, RecordingServer

from ocp_twilio import InvalidArguments, OCPAgent

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
    from ocp_twilio.schema import INPUT_FORMATS
    from ocp_twilio.validation import SchemaValidator

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
    from ocp_twilio.schema import INPUT_FORMATS
    from ocp_twilio.validation import SchemaValidator

    errors = SchemaValidator(schema, INPUT_FORMATS, "test").errors(value)
    assert errors
    assert not any("4111" in str(e) for e in errors)
