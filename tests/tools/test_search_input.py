"""What a search query may be: an empty, huge or binary query is refused with InvalidArguments
naming the query, by agent.search_tools and by findTwilioTool alike, before anything is ranked."""

from __future__ import annotations

import pytest

from ocp_twilio import InvalidArguments, OCPAgent

# The query, what search_tools says of it, and what findTwilioTool says (its schema speaks
# first where it already refuses the query).
_REFUSED = [
    pytest.param("", "is empty", "at least 1 characters", id="empty"),
    pytest.param("   \n\t ", "is empty", "is empty", id="blank"),
    pytest.param("?!.,;", "is empty", "is empty", id="punctuation"),
    pytest.param("send a text " * 200, "over 2000", "at most 2000 characters", id="huge"),
    pytest.param("send\x00a text", "binary", "binary", id="nul"),
    pytest.param("\x1b[31msend a text", "binary", "binary", id="escape"),
    pytest.param(b"\xff\xfesend".decode("utf-8", "replace"), "binary", "binary", id="bytes"),
    pytest.param("send \ud800 a text", "binary", "unpaired surrogate", id="surrogate"),
]


@pytest.mark.parametrize(("query", "problem", "_"), _REFUSED)
async def test_search_tools_refuses_a_query_it_cannot_search(
    agent: OCPAgent, query: str, problem: str, _: str
) -> None:
    with pytest.raises(InvalidArguments) as caught:
        agent.search_tools(query)

    [error] = caught.value.errors
    assert error.path == ("query",) and problem in error.message
    assert caught.value.tool == "search_tools"


@pytest.mark.parametrize(("query", "_", "problem"), _REFUSED)
async def test_find_twilio_tool_refuses_a_query_it_cannot_search(
    agent: OCPAgent, query: str, _: str, problem: str
) -> None:
    with pytest.raises(InvalidArguments) as caught:
        await agent.call_tool("findTwilioTool", {"query": query})

    [error] = caught.value.errors
    assert error.path == ("query",) and problem in error.message
    assert caught.value.tool == "findTwilioTool"
    assert "nothing was sent" in str(caught.value)


async def test_a_query_at_the_bound_and_one_in_another_language_are_searched(
    agent: OCPAgent,
) -> None:
    long = ("pay " * 500)[:2000]

    assert agent.search_tools(long)[0].name.endswith("Payments")
    assert (await agent.call_tool("findTwilioTool", {"query": long}))["tools"]
    assert agent.search_tools("payment pour \u00c9lodie")  # letters of any script
