"""browseTwilioTools: every tool within three steps (the services, a service's resources, a
resource's tools), no answer over 1,500 tokens; over the packaged specs and all of Twilio's files
(../shared/twilio-oai; skipped where absent)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from bpe_openai import get_encoding
from support.credentials import AUTH_TOKEN, TWILIO_ENV
from support.files import SHARED_OAI
from support.servers import RecordingServer

from ocp_twilio import InvalidArguments, OCPAgent

BROWSE = "browseTwilioTools"
BUDGET = 1500  # tokens an answer may take of the model's context


def tokens(document: Any) -> int:
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    return len(get_encoding("o200k_base").encode(text))


async def walk(agent: OCPAgent) -> tuple[set[str], int]:
    """Every tool three steps reach, and the largest answer on the way, in tokens."""
    services = await agent.call_tool(BROWSE, {})
    largest, reached = tokens(services), set()
    for service in services["services"]:
        resources = await agent.call_tool(BROWSE, {"path": service})
        largest = max(largest, tokens(resources))
        for resource in resources["resources"]:
            listed = await agent.call_tool(BROWSE, {"path": f"{service}/{resource}"})
            largest = max(largest, tokens(listed))
            reached |= {tool["name"] for tool in listed["tools"]}
    return reached, largest


async def test_every_packaged_tool_is_three_steps_away(agent: OCPAgent) -> None:
    reached, largest = await walk(agent)

    assert reached == {tool.name for tool in agent.list_tools()}
    assert largest <= BUDGET


@pytest.mark.skipif(not SHARED_OAI.is_dir(), reason=f"Twilio's files are not at {SHARED_OAI}")
async def test_every_tool_of_twilios_files_is_three_steps_away(
    recording_server: RecordingServer,
) -> None:
    async with OCPAgent() as agent:
        await agent.register_api(
            "twilio",
            spec=SHARED_OAI,
            base_url=recording_server.url,
            account_sid=TWILIO_ENV["TWILIO_ACCOUNT_SID"],
            auth_token=AUTH_TOKEN,
        )
        reached, largest = await walk(agent)
        every = {tool.name for tool in agent.list_tools()}
        calls = await agent.call_tool(BROWSE, {"path": "api_v2010/Calls/Recordings"})

    assert len(every) >= 1447 and reached == every
    assert largest <= BUDGET
    assert "api_v2010__createCallRecording" in {tool["name"] for tool in calls["tools"]}
    assert recording_server.requests == []


async def test_each_step_says_the_next_and_a_wrong_path_names_close_ones(agent: OCPAgent) -> None:
    services = await agent.call_tool(BROWSE, {})
    resources = await agent.call_tool(BROWSE, {"path": "api_v2010"})
    with pytest.raises(InvalidArguments) as no_service:
        await agent.call_tool(BROWSE, {"path": "api_v2011"})
    with pytest.raises(InvalidArguments) as no_resource:
        await agent.call_tool(BROWSE, {"path": "api_v2010/Call/Payment"})

    count = len(agent.list_tools())  # every one of api_v2010
    assert services["services"]["api_v2010"].startswith(f"{count} tools: Calls, Messages")
    assert BROWSE in services["next_step"] and '"<service>"' in services["next_step"]
    assert resources["resources"]["Calls/Payments"] == "create, update"
    assert "api_v2010/<resource>" in resources["next_step"]
    assert "Did you mean: api_v2010" in str(no_service.value)
    assert "Did you mean: api_v2010/Calls/Payments" in str(no_resource.value)


async def test_find_names_the_resources_beside_its_hits_to_browse(agent: OCPAgent) -> None:
    hits = await agent.call_tool("findTwilioTool", {"query": "take a card payment"})
    paths = re.findall(r'"([^"]+)"', hits["next_step"])
    beside = await agent.call_tool(BROWSE, {"path": paths[0]})

    assert hits["tools"][0]["name"] == "api_v2010__createPayments"
    # A local tool (payment progress) is a resource of its own: nothing is beside it.
    assert paths == ["api_v2010/Calls/Payments"]
    assert {tool["name"] for tool in beside["tools"]} == {
        "api_v2010__createPayments",
        "api_v2010__updatePayments",
    }


async def test_find_says_how_to_browse(agent: OCPAgent) -> None:
    hits = await agent.call_tool("findTwilioTool", {"query": "take a card payment"})
    nothing = await agent.call_tool("findTwilioTool", {"query": "zebra"})

    assert hits["tools"] and BROWSE in hits["next_step"]
    assert nothing["tools"] == [] and BROWSE in nothing["next_step"]
