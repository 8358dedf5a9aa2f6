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
