"""Approval asked of the MCP client's person by elicitation, through the SDK's own clients (in
this process, and over Streamable HTTP on 127.0.0.1): only an accepted ``approve: true`` sends
the call; where the client cannot be asked, the operator's approver answers, else nothing is
sent and the result says why."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal

import mcp_types as types
import pytest
from mcp.client.client import Client
from mcp.client.session import ClientRequestContext
from support.credentials import AUTH_TOKEN, TWILIO_ENV
from support.mcp_http import TOKEN, free_port, mcp_session, served_here
from support.policy import FETCH_TOOL, MESSAGE, SEND_TOOL, SPECS
from support.servers import RecordingServer

from ocp_twilio import OCPAgent
from ocp_twilio.adapters.mcp.http import http_application
from ocp_twilio.adapters.mcp.server import build_mcp_server
from ocp_twilio.policy.approval import ApprovalRequest
from ocp_twilio.policy.rules import Policy

Action = Literal["accept", "decline", "cancel"]
pytestmark = pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning")


class Person:
    """An elicitation callback that answers every request with ``action`` and ``content``."""

    def __init__(self, action: Action = "accept", content: dict[str, Any] | None = None) -> None:
        self.action = action
        self.content = content
        self.asked: list[types.ElicitRequestFormParams] = []

    async def __call__(
        self, context: ClientRequestContext, params: types.ElicitRequestParams
    ) -> types.ElicitResult:
        assert isinstance(params, types.ElicitRequestFormParams)
        self.asked.append(params)
        return types.ElicitResult(action=self.action, content=self.content)


@pytest.fixture
async def guarded(recording_server: RecordingServer) -> AsyncIterator[OCPAgent]:
    async with OCPAgent() as agent:
        await agent.register_api(
            "twilio", spec=SPECS, base_url=recording_server.url, environ=TWILIO_ENV
        )
        agent.use_policy(Policy.from_mapping({"require_approval": ["effect:contacts-person"]}))
        yield agent


async def send(client: Client) -> types.CallToolResult:
    return await client.call_tool(SEND_TOOL, MESSAGE)


def text_of(result: types.CallToolResult) -> str:
    content = result.content[0]
    assert isinstance(content, types.TextContent)
    return content.text


async def test_an_accepted_approval_sends_the_call_once(
    guarded: OCPAgent, recording_server: RecordingServer
) -> None:
    person = Person(content={"approve": True, "reason": "expected"})
    async with Client(
        build_mcp_server(guarded, guarded.list_tools()), mode="legacy", elicitation_callback=person
    ) as client:
        result = await send(client)

    assert result.is_error is False, text_of(result)
    assert len(recording_server.requests) == 1
    [asked] = person.asked
    assert asked.message.startswith(f"Approve {SEND_TOOL} (POST http://127.0.0.1:")
    assert "+15005550010" in asked.message and "contacts-person" in asked.message
    assert AUTH_TOKEN not in asked.message
    schema = asked.requested_schema
    assert schema["required"] == ["approve"]
    assert {name: p["type"] for name, p in schema["properties"].items()} == {
        "approve": "boolean",
        "reason": "string",
    }
    [record] = guarded.audit.records("approved")
    assert record.via == "mcp-elicitation"
    assert record.by is not None and record.by.startswith("MCP client ")


@pytest.mark.parametrize(
    ("action", "content", "said"),
    [
        ("decline", None, "the client answered decline"),
        ("cancel", None, "the client answered cancel"),
        ("accept", {"approve": False, "reason": "wrong number"}, "wrong number"),
        ("accept", {"approve": "yes"}, "declined"),  # only the boolean true approves
    ],
)
async def test_anything_but_approve_true_sends_nothing(
    guarded: OCPAgent,
    recording_server: RecordingServer,
    action: Action,
    content: dict[str, Any] | None,
    said: str,
) -> None:
    person = Person(action, content)
    async with Client(
        build_mcp_server(guarded, guarded.list_tools()), mode="legacy", elicitation_callback=person
    ) as client:
        result = await send(client)

    assert len(person.asked) == 1
    assert recording_server.requests == []
    assert result.is_error is True
    assert "declined" in text_of(result) and said in text_of(result)
    [record] = guarded.audit.records("declined")
    assert record.via == "mcp-elicitation"


async def test_a_client_without_elicitation_is_not_asked_and_nothing_is_sent(
    guarded: OCPAgent, recording_server: RecordingServer
) -> None:
    async with Client(build_mcp_server(guarded, guarded.list_tools()), mode="legacy") as client:
        result = await send(client)
        read = await client.call_tool(FETCH_TOOL, {"Sid": "SM" + "0" * 32})

    assert result.is_error is True
    text = text_of(result)
    assert "cannot ask a person" in text
    assert "approver in code" in text and "removing the rule" in text
    assert read.is_error is False  # a call the policy does not ask about runs as before
    assert [r.method for r in recording_server.requests] == ["GET"]


async def test_no_back_channel_is_not_asked(
    guarded: OCPAgent, recording_server: RecordingServer
) -> None:
    # The 2026-07-28 protocol sends no request from the server, elicitation included.
    person = Person(content={"approve": True})
    async with Client(
        build_mcp_server(guarded, guarded.list_tools()), elicitation_callback=person
    ) as client:
        result = await send(client)

    assert person.asked == []
    assert recording_server.requests == []
    assert result.is_error is True and "cannot ask a person" in text_of(result)


async def test_the_operators_approver_answers_where_the_client_cannot_ask(
    guarded: OCPAgent, recording_server: RecordingServer
) -> None:
    asked: list[ApprovalRequest] = []

    async def operator(request: ApprovalRequest) -> bool:
        asked.append(request)
        return True

    guarded.use_policy(guarded.policy, approver=operator)
    async with Client(build_mcp_server(guarded, guarded.list_tools()), mode="legacy") as client:
        result = await send(client)

    assert result.is_error is False, text_of(result)
    assert [r.tool for r in asked] == [SEND_TOOL]
    assert len(recording_server.requests) == 1


@pytest.mark.parametrize(("action", "sent"), [("accept", 1), ("decline", 0)])
async def test_over_streamable_http(
    guarded: OCPAgent, recording_server: RecordingServer, action: Action, sent: int
) -> None:
    person = Person(action, {"approve": True} if action == "accept" else None)
    app = http_application(guarded, guarded.list_tools(), token=TOKEN)
    async with (
        served_here(app, free_port()) as served,
        mcp_session(served, elicitation_callback=person) as session,
    ):
        result = await session.call_tool(SEND_TOOL, MESSAGE)

    assert len(person.asked) == 1
    assert result.is_error is (sent == 0)
    assert len(recording_server.requests) == sent
