"""OCPAgent: tool lookup and the life cycle of its transport's connections."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from jsonschema import Draft202012Validator
from support.credentials import TWILIO_ENV
from support.payments import (
    CREATE_TOOL,
    DEFAULT_TOOLS,
    PAYMENT_BODY,
    UPDATE_TOOL,
    create_arguments,
    update_arguments,
)
from support.servers import RecordingServer

from ocp_twilio import APINotFound, OCPAgent, Tool, ToolNotFound
from ocp_twilio.http.aiohttp_transport import AiohttpTransport

PAYMENT_TOOLS = {CREATE_TOOL, UPDATE_TOOL}


@contextmanager
def leak_reports() -> Iterator[list[str]]:
    """Collect what unclosed sessions and connections report: ResourceWarnings, loop complaints.

    Garbage is collected before the block ends, so what is dropped inside it is reported.
    """
    reports: list[str] = []
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _, context: reports.append(str(context.get("message"))))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield reports
            gc.collect()
        reports.extend(str(w.message) for w in caught if issubclass(w.category, ResourceWarning))
    finally:
        loop.set_exception_handler(previous)


# --- tools ---------------------------------------------------------------------------------


async def test_list_tools(agent: OCPAgent) -> None:
    assert [t.name for t in agent.list_tools()] == DEFAULT_TOOLS
    assert [t.name for t in agent.list_tools("twilio")] == DEFAULT_TOOLS
    with pytest.raises(APINotFound, match="stripe"):
        agent.list_tools("stripe")


async def test_registering_again_replaces_the_tools(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    await agent.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)

    assert [t.name for t in agent.list_tools()] == DEFAULT_TOOLS


async def test_unknown_api_name() -> None:
    async with OCPAgent() as agent:
        with pytest.raises(APINotFound) as caught:
            await agent.register_api("twillio", environ=TWILIO_ENV)

    assert caught.value.suggestions == ("twilio",)


async def test_get_tool(agent: OCPAgent) -> None:
    tool = agent.get_tool("updatePayments")

    assert isinstance(tool, Tool)
    assert tool.name == UPDATE_TOOL
    assert agent.get_tool(UPDATE_TOOL) is tool
    assert tool.api == "twilio"
    assert tool.method == "POST"
    assert tool.path == "/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Payments/{Sid}.json"
    assert "Capture" in tool.description and "Status" in tool.description
    with pytest.raises(ToolNotFound):
        agent.get_tool("UpdatePayments ")


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("start a payment session", CREATE_TOOL),
        ("capture expiration date", UPDATE_TOOL),
        ("cancel payment", UPDATE_TOOL),
        ("createPayments", CREATE_TOOL),
        # everyday phrasing: the verb asks for the operation, the nouns for the resource
        ("take a credit card payment on a call", CREATE_TOOL),
        ("complete the payment", UPDATE_TOOL),
        ("end the payment session", UPDATE_TOOL),
        ("ask the caller for the card's security code", UPDATE_TOOL),
        ("update a payment", UPDATE_TOOL),  # only a verb and a noun: the tool of both
        ("UPDATEPAYMENTS", UPDATE_TOOL),  # a tool's name, in any case
    ],
)
async def test_search_tools_ranks_the_right_tool_first(
    agent: OCPAgent, query: str, first: str
) -> None:
    found = agent.search_tools(query)

    assert found[0].name == first
    assert len({t.name for t in found}) == len(found)


@pytest.mark.parametrize("query", ["zebra", "the a of", "fax"])  # an empty one is refused
async def test_search_tools_without_a_match(agent: OCPAgent, query: str) -> None:
    assert agent.search_tools(query) == []


async def test_search_tools_limit(agent: OCPAgent) -> None:
    assert len(agent.search_tools("payment", limit=1)) == 1


@pytest.mark.parametrize("name", sorted(PAYMENT_TOOLS))
async def test_tool_schemas_are_valid_json_schema(agent: OCPAgent, name: str) -> None:
    tool = agent.get_tool(name)

    Draft202012Validator.check_schema(tool.input_schema)
    assert tool.output_schema is not None
    Draft202012Validator.check_schema(tool.output_schema)
    assert tool.input_schema["type"] == "object"
    assert tool.input_schema["additionalProperties"] is False
    assert {"CallSid", "StatusCallback"} <= set(tool.input_schema["required"])
    assert "IdempotencyKey" not in tool.input_schema["required"]  # made when left out
    assert "AccountSid" in tool.input_schema["properties"]
    assert "AccountSid" not in tool.input_schema["required"]
    assert all(p.get("description") for p in tool.input_schema["properties"].values())


async def test_input_schema_alone_enforces_capture_or_status(agent: OCPAgent) -> None:
    # Adapters hand the schema to other validators: the rule must live in the schema itself.
    validator = Draft202012Validator(agent.get_tool("updatePayments").input_schema)

    assert validator.is_valid(update_arguments())
    assert validator.is_valid(update_arguments(Capture=None, Status="complete"))
    assert not validator.is_valid(update_arguments(Capture=None))
    assert not validator.is_valid(update_arguments(Status="complete"))


async def test_output_schema_accepts_a_twilio_answer(agent: OCPAgent) -> None:
    schema = agent.get_tool("createPayments").output_schema
    assert schema is not None

    assert Draft202012Validator(schema).is_valid(PAYMENT_BODY)
    assert not Draft202012Validator(schema).is_valid({**PAYMENT_BODY, "sid": "CA1"})


# --- connection life cycle ------------------------------------------------------------------


def has_connections(agent: OCPAgent) -> bool:
    """Whether the agent's transport holds a session or connections (none until the first call)."""
    transport = agent.transport
    assert isinstance(transport, AiohttpTransport)
    return transport._session is not None and not transport._session.closed


def test_agent_is_made_outside_any_loop_without_connections() -> None:
    agent = OCPAgent()  # no running loop here: nothing may need one yet
    assert not has_connections(agent)

    async def register_and_close() -> None:
        async with agent:
            await agent.register_api("twilio", base_url="http://127.0.0.1:9", environ=TWILIO_ENV)
            assert not has_connections(agent)  # registering does not open any either

    asyncio.run(register_and_close())
    assert not has_connections(agent)


async def test_aiohttp_session_is_made_on_the_first_call_inside_the_loop(
    recording_server: RecordingServer,
) -> None:
    async with OCPAgent() as agent:
        await agent.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)
        assert isinstance(agent.transport, AiohttpTransport)
        assert agent.transport._session is None
        await agent.call_tool("updatePayments", update_arguments())
        session = agent.transport._session
        assert isinstance(session, aiohttp.ClientSession)
        assert session._loop is asyncio.get_running_loop()
        assert not session.closed

    assert session.closed
    assert agent.transport._session is None


async def test_second_call_reuses_the_connection(recording_server: RecordingServer) -> None:
    peers: list[Any] = []

    def respond(request: web.Request) -> web.Response:
        assert request.transport is not None
        peers.append(request.transport.get_extra_info("peername"))
        return web.json_response(PAYMENT_BODY, status=201)

    recording_server.respond = respond
    async with OCPAgent() as agent:
        await agent.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)
        await agent.call_tool("createPayments", create_arguments())
        await agent.call_tool("updatePayments", update_arguments())
        assert has_connections(agent)

    assert len(peers) == 2
    assert peers[0] == peers[1]  # same client port: one kept-alive connection
    assert not has_connections(agent)


async def test_aclose_closes_and_can_be_repeated(recording_server: RecordingServer) -> None:
    agent = OCPAgent()
    await agent.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)
    await agent.call_tool("updatePayments", update_arguments())
    assert has_connections(agent)

    await agent.aclose()
    await agent.aclose()

    assert not has_connections(agent)


async def test_no_unclosed_connection_reports(recording_server: RecordingServer) -> None:
    with leak_reports() as reports:
        async with OCPAgent() as agent:
            await agent.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)
            await agent.call_tool("updatePayments", update_arguments())
        other = OCPAgent()
        await other.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)
        await other.call_tool("updatePayments", update_arguments())
        await other.aclose()
        del agent, other

    assert reports == []


async def test_leak_reports_does_see_an_unclosed_session() -> None:
    # Control for the test above: a session left open is reported by this helper.
    with leak_reports() as reports:
        aiohttp.ClientSession()

    assert any("Unclosed client session" in r for r in reports)
