"""Twilio's list pages through call_tool and records(): the cursor, Limit, and what is never
taken from an answer (its host), against a real server on 127.0.0.1."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from support.files import SHARED_OAI
from support.pages import FOREIGN_HOST, list_agent

from ocp_twilio import InvalidArguments, Policy
from ocp_twilio._config import MAX_LIST_PAGES, MAX_LIST_RECORDS

pytestmark = pytest.mark.skipif(
    not SHARED_OAI.is_dir(), reason=f"Twilio's OpenAPI files not at {SHARED_OAI}"
)


def queries(server: Any) -> list[dict[str, str]]:
    return [dict(parse_qsl(urlsplit(r.path_qs).query)) for r in server.requests]


def sids(answer: dict[str, Any], key: str = "messages") -> list[str]:
    return [record["sid"] for record in answer[key]]


@pytest.mark.parametrize(
    ("tool", "key"), [("listMessage", "messages"), ("listConversation", "conversations")]
)
async def test_the_cursor_reads_the_next_page_from_the_tools_own_host(tool: str, key: str) -> None:
    async with list_agent() as (agent, server):
        first = await agent.call_tool(tool, {"PageSize": 2})
        second = await agent.call_tool(tool, {"PageSize": 2, "Cursor": first["next_cursor"]})

    assert sids(first, key)[0][2:4] == "00" and sids(second, key)[0][2:4] == "01"
    # The link's page values, on the tool's own path and the server the API was registered on.
    assert queries(server)[1] == {"PageSize": "2", "Page": "1", "PageToken": "PT1"}
    assert all(r.path_qs.startswith(("/2010-04-01/", "/v1/")) for r in server.requests)
    assert FOREIGN_HOST not in json.dumps(second["next_cursor"])


async def test_the_last_page_has_no_cursor() -> None:
    async with list_agent(total_pages=1) as (agent, _):
        answer = await agent.call_tool("listMessage", {"PageSize": 3})
    assert answer["next_cursor"] is None and len(answer["messages"]) == 3


async def test_limit_reads_pages_until_it_has_that_many_records_and_points_mid_page() -> None:
    async with list_agent() as (agent, server):
        answer = await agent.call_tool("listMessage", {"PageSize": 3, "Limit": 7})
        rest = await agent.call_tool(
            "listMessage", {"PageSize": 3, "Limit": 7, "Cursor": answer["next_cursor"]}
        )

    assert [s[2:4] for s in sids(answer)] == ["00"] * 3 + ["01"] * 3 + ["02"]
    # The second call starts inside page 2, past the record already read, and reads to the end.
    assert sids(rest) == [f"SM02{i:030d}" for i in (1, 2)] + [f"SM03{i:030d}" for i in range(3)]
    assert rest["next_cursor"] is None
    assert [q.get("Page") for q in queries(server)] == [None, "1", "2", "2", "3"]


async def test_limit_alone_asks_for_pages_of_that_size_within_the_tools_maximum() -> None:
    async with list_agent() as (agent, server):
        await agent.call_tool("listMessage", {"Limit": 5})
    assert queries(server)[0]["PageSize"] == "5"


async def test_a_limit_over_the_cap_is_refused_naming_the_cap_and_nothing_is_sent() -> None:
    async with list_agent() as (agent, server):
        with pytest.raises(InvalidArguments, match=f"Limit: .*{MAX_LIST_RECORDS}"):
            await agent.call_tool("listMessage", {"Limit": MAX_LIST_RECORDS + 1})
    assert server.requests == []


async def test_pages_are_bounded_whatever_the_server_answers() -> None:
    # One record a page: the cap of pages ends the call, with a cursor to read on.
    async with list_agent(total_pages=100) as (agent, server):
        answer = await agent.call_tool("listMessage", {"PageSize": 1, "Limit": 500})
    assert len(server.requests) == MAX_LIST_PAGES == len(answer["messages"])
    assert answer["next_cursor"] is not None


async def test_a_cursor_of_another_tool_is_refused_naming_the_tool_that_made_it() -> None:
    async with list_agent() as (agent, server):
        first = await agent.call_tool("listMessage", {"PageSize": 2})
        made_by = agent.get_tool("listMessage").name
        with pytest.raises(InvalidArguments, match=f"Cursor: was made by {made_by}") as caught:
            await agent.call_tool("listConversation", {"Cursor": first["next_cursor"]})
    assert caught.value.tool == agent.get_tool("listConversation").name
    assert len(server.requests) == 1


def _tampered(cursor: str, **changes: Any) -> str:
    document = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    document.update(changes)
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "eyJ0IjoxfQ",  # {"t":1}
        "PAGE-TOKEN-FROM-TWILIO",
    ],
)
async def test_a_cursor_that_is_not_ours_is_refused_and_nothing_is_sent(cursor: str) -> None:
    async with list_agent() as (agent, server):
        with pytest.raises(InvalidArguments, match="Cursor: is not a cursor this tool gave"):
            await agent.call_tool("listMessage", {"Cursor": cursor})
    assert server.requests == []


async def test_a_tampered_cursor_cannot_add_arguments_or_change_the_call() -> None:
    async with list_agent() as (agent, server):
        first = await agent.call_tool("listMessage", {"PageSize": 2, "To": "+15558675310"})
        cursor = first["next_cursor"]
        bad = [
            _tampered(cursor, p={"To": "+15550000000"}),  # not a page parameter
            _tampered(cursor, p={"PageSize": "5000"}),  # over the tool's own maximum
            _tampered(cursor, s=-1),
        ]
        for forged in bad:
            with pytest.raises(InvalidArguments, match=r"Cursor|PageSize"):
                await agent.call_tool("listMessage", {"To": "+15558675310", "Cursor": forged})
        with pytest.raises(
            InvalidArguments, match="Cursor: belongs to a call with other arguments"
        ):
            await agent.call_tool("listMessage", {"To": "+15550000000", "Cursor": cursor})
    assert len(server.requests) == 1


async def test_records_iterates_every_page_each_a_call_of_the_policy() -> None:
    async with list_agent(total_pages=3) as (agent, server):
        agent.use_policy(Policy.from_mapping({"allow": ["effect:read"]}))
        seen = [m["sid"] async for m in agent.records("listMessage", {"PageSize": 2})]
        decisions = [r.decision for r in agent.audit]
    assert len(seen) == 6 == len(set(seen))
    assert len(server.requests) == 3 and decisions == ["allowed"] * 3


async def test_a_limit_call_is_one_call_of_the_policy_however_many_pages() -> None:
    async with list_agent() as (agent, server):
        agent.use_policy(Policy.from_mapping({"allow": ["effect:read"]}))
        await agent.call_tool("listMessage", {"PageSize": 2, "Limit": 7})
        assert [r.decision for r in agent.audit] == ["allowed"]
    assert len(server.requests) == 4


async def test_records_refuses_a_tool_that_does_not_page() -> None:
    async with list_agent() as (agent, server):
        with pytest.raises(InvalidArguments, match="records\\(\\) reads list tools only"):
            [m async for m in agent.records("fetchMessage", {"Sid": "SM" + "0" * 32})]
    assert server.requests == []


async def test_twilios_files_have_the_list_operations_the_reference_counts() -> None:
    from support.credentials import TWILIO_ENV
    from support.files import ROOT

    from ocp_twilio import OCPAgent

    async with OCPAgent() as agent:
        await agent.register_api("twilio", spec=SHARED_OAI, environ=TWILIO_ENV)
        paged = [tool for tool in agent.list_tools() if tool.paging is not None]
    reference = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    assert f"Twilio's {len(paged)} list operations" in reference
    assert len(paged) == 344
