"""Arguments the application owns (StatusCallback, IdempotencyKey) and payments input as strict
as Twilio's."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from support.credentials import TWILIO_ENV
from support.payments import (
    CREATE_TOOL,
    PAYMENT_BODY,
    UPDATE_TOOL,
    create_arguments,
    update_arguments,
)
from support.servers import RecordingServer

from ocp_twilio import InvalidArguments, OCPAgent, load_tools, mcp_tools, openai_tools

OWN_URL = "https://app.example.com/pay-status"


def required_of(definition: dict[str, Any]) -> set[str]:
    return set(definition.get("required", ()))


async def test_exported_schemas_need_neither(recording_server: RecordingServer) -> None:
    tools = [t for t in load_tools() if t.name in (CREATE_TOOL, UPDATE_TOOL)]
    for tool in tools:  # no callback URL known: the model still gives StatusCallback
        assert "IdempotencyKey" not in required_of(tool.input_schema)
        assert "StatusCallback" in required_of(tool.input_schema)
    async with OCPAgent() as agent:
        await agent.register_api(
            "twilio", base_url=recording_server.url, environ=TWILIO_ENV, status_callback=OWN_URL
        )
        chosen = [t for t in agent.list_tools() if t.name in (CREATE_TOOL, UPDATE_TOOL)]
        for schema in [d["function"]["parameters"] for d in openai_tools(chosen)] + [
            d["inputSchema"] for d in mcp_tools(chosen)
        ]:
            assert "StatusCallback" not in schema["properties"]
            assert not {"StatusCallback", "IdempotencyKey"} & required_of(schema)
            assert "IdempotencyKey" in schema["properties"]  # a key the caller gives wins
        await agent.call_tool(
            "updatePayments", update_arguments(IdempotencyKey=None, StatusCallback=None)
        )
        await agent.call_tool("updatePayments", update_arguments(StatusCallback=None))
        with pytest.raises(InvalidArguments, match="StatusCallback: is not an accepted argument"):
            await agent.call_tool("updatePayments", update_arguments())
    generated, given = (dict(r.form) for r in recording_server.requests)
    assert generated["StatusCallback"] == OWN_URL == given["StatusCallback"]
    assert generated["IdempotencyKey"].startswith("ocp-")
    assert given["IdempotencyKey"] == "order-42-expiry"


async def test_the_served_receiver_is_the_callback(recording_server: RecordingServer) -> None:
    async with OCPAgent() as agent:
        await agent.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)
        async with agent.serve_status_callbacks(environ=TWILIO_ENV) as receiver:
            schema = agent.get_tool("createPayments").input_schema
            assert "StatusCallback" not in schema["properties"]
            await agent.call_tool("createPayments", create_arguments(StatusCallback=None))
        # Once it stops, the model must give the URL again.
        assert "StatusCallback" in required_of(agent.get_tool("createPayments").input_schema)
    assert dict(recording_server.requests[0].form)["StatusCallback"] == receiver.url


@pytest.mark.parametrize("key", ["", "   ", "\t\n"])
async def test_a_blank_key_is_refused(
    agent: OCPAgent, key: str, recording_server: RecordingServer
) -> None:
    with pytest.raises(InvalidArguments, match="IdempotencyKey"):
        await agent.call_tool("updatePayments", update_arguments(IdempotencyKey=key))
    assert recording_server.requests == []


async def test_retries_reuse_the_generated_key(recording_server: RecordingServer) -> None:
    answers = iter([web.json_response({"code": 20500, "message": "busy"}, status=500)])
    recording_server.respond = lambda request: next(
        answers, web.json_response(PAYMENT_BODY, status=202)
    )
    async with OCPAgent(retries=2) as agent:
        await agent.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)
        await agent.call_tool("updatePayments", update_arguments(IdempotencyKey=None))
        await agent.call_tool("updatePayments", update_arguments(IdempotencyKey=None))
    keys = [dict(r.form)["IdempotencyKey"] for r in recording_server.requests]
    assert len(keys) == 3
    assert keys[0] == keys[1]  # the retry after the 500
    assert keys[2] != keys[0]  # the next call_tool


@pytest.mark.parametrize(
    ("arguments", "where", "says"),
    [
        ({"StatusCallback": "ftp://x/y"}, "StatusCallback", "absolute http or https URL"),
        ({"StatusCallback": "/relative"}, "StatusCallback", "absolute http or https URL"),
        ({"Currency": "dollars"}, "Currency", "ISO 4217"),
        ({"Currency": "XYZ"}, "Currency", "ISO 4217"),
        ({"ChargeAmount": 12.345}, "ChargeAmount", "at most two decimals"),
        ({"ChargeAmount": 1_000_000}, "ChargeAmount", "less than 1000000"),
        ({"ChargeAmount": -1}, "ChargeAmount", "at least 0"),
        ({"ChargeAmount": "12.50"}, "ChargeAmount", 'without quotes (12.5, not "12.5")'),
        ({"Timeout": "5"}, "Timeout", 'without quotes (12, not "12")'),
        ({"ValidCardTypes": "visa,unicorn"}, "ValidCardTypes", "must match"),
        ({"ValidCardTypes": "visa unicorn"}, "ValidCardTypes", "must match"),
    ],
)
async def test_payments_input_is_as_strict_as_twilio(
    agent: OCPAgent,
    recording_server: RecordingServer,
    arguments: dict[str, Any],
    where: str,
    says: str,
) -> None:
    with pytest.raises(InvalidArguments) as caught:
        await agent.call_tool("createPayments", create_arguments(**arguments))
    assert {e.path for e in caught.value.errors} == {(where,)}
    assert says in str(caught.value)
    assert recording_server.requests == []


async def test_valid_amounts_currencies_and_brands_are_sent_as_given(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    for amount, currency in ((19.99, "usd"), (0, "EUR"), (999999.99, "JPY"), (12.5, "gbp")):
        await agent.call_tool(
            "createPayments",
            create_arguments(
                ChargeAmount=amount, Currency=currency, ValidCardTypes="visa diners-club amex"
            ),
        )
    sent = [dict(r.form) for r in recording_server.requests]
    assert [(f["ChargeAmount"], f["Currency"]) for f in sent] == [
        ("19.99", "usd"),
        ("0", "EUR"),
        ("999999.99", "JPY"),
        ("12.5", "gbp"),
    ]
    assert {f["ValidCardTypes"] for f in sent} == {"visa diners-club amex"}
