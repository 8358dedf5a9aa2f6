"""What a model reads of a result: sized to the agent's token budget by the result helpers and
the MCP server, while call_tool returns the whole answer. Against a real server on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from mcp import Client
from support.credentials import ACCOUNT_SID, AUTH_TOKEN, TWILIO_ENV
from support.files import SHARED_OAI
from support.pages import list_agent
from support.servers import RecordingServer

from ocp_twilio import ConfigurationError, OCPAgent, anthropic_tool_result, openai_tool_result
from ocp_twilio.adapters._sizing import count_tokens
from ocp_twilio.adapters.mcp.server import build_mcp_server

pytestmark = pytest.mark.skipif(
    not SHARED_OAI.is_dir(), reason=f"Twilio's OpenAPI files not at {SHARED_OAI}"
)

SID = "SM" + "0" * 32


async def openai_view(agent: OCPAgent, name: str, arguments: dict[str, Any]) -> Any:
    tool = agent.get_tool(name)
    call = {"id": "call_1", "function": {"name": tool.name, "arguments": json.dumps(arguments)}}
    message = await openai_tool_result(agent, call, offered=[tool])
    return json.loads(message["content"])


async def anthropic_view(agent: OCPAgent, name: str, arguments: dict[str, Any]) -> Any:
    tool = agent.get_tool(name)
    block = {"type": "tool_use", "id": "toolu_1", "name": tool.name, "input": arguments}
    result = await anthropic_tool_result(agent, block, offered=[tool])
    assert result["is_error"] is False
    return json.loads(result["content"])


async def test_links_nulls_and_page_fields_are_left_out_while_call_tool_keeps_them() -> None:
    async with list_agent() as (agent, _):
        whole = await agent.call_tool("listMessage", {"PageSize": 5})
        view = await openai_view(agent, "listMessage", {"PageSize": 5})

    assert "uri" in whole["messages"][0] and whole["messages"][0]["price"] is None
    record = view["messages"][0]
    assert {"uri", "subresource_uris", "price", "error_code"}.isdisjoint(record)
    assert record["sid"] == whole["messages"][0]["sid"] and record["status"] == "delivered"
    assert {"next_page_uri", "page_size", "uri", "first_page_uri"}.isdisjoint(view)
    assert view["next_cursor"] == whole["next_cursor"] and "note" not in view


async def test_a_long_list_is_cut_to_the_budget_with_a_note_and_a_cursor_to_the_rest() -> None:
    async with list_agent(result_tokens=600) as (agent, _):
        view = await openai_view(agent, "listMessage", {"PageSize": 50})
        shown = len(view["messages"])
        rest = await openai_view(
            agent, "listMessage", {"PageSize": 50, "Cursor": view["next_cursor"]}
        )

    assert 0 < shown < 50
    assert count_tokens(json.dumps(view, separators=(",", ":"))) <= 600
    assert f"Showing {shown} of 50 records: {50 - shown} left out" in view["note"]
    # The cursor reads on from the first record left out, on the same page.
    assert rest["messages"][0]["sid"] == f"SM00{shown:030d}"


async def test_fields_project_each_record_and_a_missing_field_is_a_note() -> None:
    async with list_agent() as (agent, _):
        view = await anthropic_view(
            agent, "listMessage", {"PageSize": 3, "Fields": ["sid", "price", "colour"]}
        )
        fetched = await anthropic_view(agent, "fetchMessage", {"Sid": SID, "Fields": ["status"]})

    # A field asked for by name stays, null or not; the one no record has is named in the note.
    assert view["messages"][0] == {"sid": "SM00" + "0" * 30, "price": None}
    assert "Fields not in the answer: colour." in view["note"] and "status" in view["note"]
    assert fetched == {"status": "delivered"}


async def test_a_conversations_list_is_sized_as_the_2010_api_list_is() -> None:
    async with list_agent(result_tokens=400) as (agent, _):
        view = await openai_view(agent, "listConversation", {"PageSize": 50})
    assert "meta" not in view and {"url", "sid"} <= set(view["conversations"][0])
    assert "links" not in view["conversations"][0] and "unique_name" not in view["conversations"][0]
    assert view["note"].startswith("Showing ") and view["next_cursor"]


async def test_the_mcp_server_serves_the_sized_view_as_text_and_structured_content() -> None:
    async with list_agent(result_tokens=600) as (agent, _):
        tool = agent.get_tool("listMessage")
        async with Client(build_mcp_server(agent, [tool])) as client:
            result = await client.call_tool(tool.name, {"PageSize": 50})

    text = json.loads(result.content[0].text)  # type: ignore[union-attr]
    assert result.is_error is False and text == result.structured_content
    assert 0 < len(text["messages"]) < 50 and "uri" not in text["messages"][0]
    assert count_tokens(result.content[0].text) <= 600  # type: ignore[union-attr]


async def test_a_budget_too_small_to_show_anything_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="result_tokens must be a whole number of tokens"):
        OCPAgent(result_tokens=10)


ACCOUNT_SPEC = """
api: twilio
service: api_v2010
server: https://api.twilio.com
operations:
  - name: fetchAccount
    operation_id: FetchAccount
    method: GET
    path: /2010-04-01/Accounts/{Sid}.json
    parameters:
      - {name: Sid, in: path, required: true, schema: {type: string}}
    response: {status: 200, schema: {type: object}}
"""


async def test_an_accounts_auth_token_never_reaches_the_model(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    account = {"sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "credential_sid": "CR" + "1" * 32}
    recording_server.reply(200, account)
    spec = tmp_path / "account.yaml"
    spec.write_text(ACCOUNT_SPEC)
    async with OCPAgent() as agent:
        await agent.register_api(
            "twilio", spec=spec, base_url=recording_server.url, environ=TWILIO_ENV
        )
        block = {"type": "tool_use", "id": "t1", "name": "fetchAccount", "input": {"Sid": "AC1"}}
        shown = await anthropic_tool_result(agent, block, offered=agent.list_tools())
        whole = await agent.call_tool("fetchAccount", {"Sid": "AC1"})  # the application's

    assert AUTH_TOKEN not in shown["content"]
    assert json.loads(shown["content"]) == {**account, "auth_token": "***"}
    assert whole == account


async def test_a_cut_result_of_several_pages_reads_on_from_the_page_of_its_first_left_out() -> None:
    arguments = {"PageSize": 10, "Limit": 40}
    seen: list[str] = []
    started_at: list[tuple[int, int]] = []  # (records shown before a call, the page it read first)
    async with list_agent(total_pages=8, result_tokens=700) as (agent, server):
        view = await openai_view(agent, "listMessage", arguments)
        seen += [record["sid"] for record in view["messages"]]
        while "next_cursor" in view:  # a null one, after the last record, is left out
            assert "left out" in view["note"]  # each result is cut
            before = len(server.requests)
            view = await openai_view(
                agent, "listMessage", {**arguments, "Cursor": view["next_cursor"]}
            )
            query = dict(parse_qsl(urlsplit(server.requests[before].path_qs).query))
            started_at.append((len(seen), int(query.get("Page", "0"))))
            seen += [record["sid"] for record in view["messages"]]

    # Every record once and in order, and each call began at the page holding the first record
    # not yet shown, never back at the first page with more and more records to pass over.
    assert seen == [f"SM{page:02d}{index:030d}" for page in range(8) for index in range(10)]
    assert started_at and all(page == shown // 10 for shown, page in started_at)
