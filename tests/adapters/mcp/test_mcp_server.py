"""``ocp-twilio mcp`` through the MCP SDK's own client over stdio, against a local server."""

from __future__ import annotations

import anyio
import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.shared.exceptions import MCPError
from support.cli import mcp_over_stdio
from support.credentials import AUTH_TOKEN, TWILIO_ENV
from support.payments import (
    CREATE_TOOL,
    OPERATION_TOOLS,
    PAYMENT_BODY,
    PAYMENT_VIEW,
    UPDATE_TOOL,
    update_arguments,
)
from support.servers import RecordingServer

from ocp_twilio.adapters.mcp.tools import EFFECTS_META


def server_parameters(recording_server: RecordingServer, *options: str) -> StdioServerParameters:
    return mcp_over_stdio({**TWILIO_ENV, "TWILIO_BASE_URL": recording_server.url}, *options)


async def test_list_and_call_over_stdio(recording_server: RecordingServer) -> None:
    async with (
        stdio_client(server_parameters(recording_server)) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        listed = {tool.name: tool for tool in (await session.list_tools()).tools}
        ok = await session.call_tool(UPDATE_TOOL, update_arguments())
        invalid = await session.call_tool(
            UPDATE_TOOL, update_arguments(Capture=None, CallSid="not-a-sid")
        )
        sent_before_failure = len(recording_server.requests)
        recording_server.reply(404, {"code": 20404, "message": "Not found", "status": 404})
        failed = await session.call_tool(UPDATE_TOOL, update_arguments())
        with pytest.raises(MCPError, match=f"Did you mean: {UPDATE_TOOL}"):  # a protocol error
            await session.call_tool("updatePayment", {})
        prompts = [prompt.name for prompt in (await session.list_prompts()).prompts]
        templates = (await session.list_resource_templates()).resource_templates
        recording_server.reply(202, {**PAYMENT_BODY, "sid": "not-a-payment-sid"})
        off_schema = await session.call_tool(UPDATE_TOOL, update_arguments())

    # No receiver (no --public-url): no progress tool (see test_mcp_stdio_progress.py).
    assert sorted(listed) == sorted(OPERATION_TOOLS)
    update = listed[UPDATE_TOOL]
    assert update.annotations is not None
    assert update.annotations.read_only_hint is False
    assert update.annotations.destructive_hint is True  # an update, which may charge a card
    assert update.annotations.idempotent_hint is True
    assert update.meta == {EFFECTS_META: ["write"]}
    assert update.output_schema is not None and "sid" in update.output_schema["properties"]
    assert "CallSid" in update.input_schema["required"]

    assert ok.is_error is False and ok.structured_content == PAYMENT_VIEW
    assert sent_before_failure == 1  # the invalid call sent nothing
    assert invalid.is_error is True
    invalid_text = invalid.content[0].text  # type: ignore[union-attr]
    assert "nothing was sent" in invalid_text
    assert "CallSid: must match the pattern" in invalid_text
    assert "give exactly one of Capture or Status (none was given)" in invalid_text
    assert failed.is_error is True and failed.structured_content is None
    assert "Twilio error 20404" in failed.content[0].text  # type: ignore[union-attr]
    assert "start-payment" in prompts  # prompts and resources over stdio too
    assert [template.uri_template for template in templates] == [
        "twilio-pay://{Sid}",
        "twilio-message://{Sid}",
        "twilio-call://{Sid}",
    ]
    assert off_schema.is_error is True and off_schema.structured_content is None
    off_schema_text = off_schema.content[0].text  # type: ignore[union-attr]
    assert "sid: must match the pattern" in off_schema_text
    assert "not-a-payment-sid" in off_schema_text  # the model still gets the answer
    for result in (ok, invalid, failed, off_schema):
        assert AUTH_TOKEN not in result.model_dump_json()


async def test_filters_choose_the_served_tools(recording_server: RecordingServer) -> None:
    options = ("--services", "api_v2010", "--tags", "pay", "--tools", "createPayments")
    async with (
        stdio_client(server_parameters(recording_server, *options)) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        names = [tool.name for tool in (await session.list_tools()).tools]
        with pytest.raises(MCPError, match="No tool named"):
            await session.call_tool(UPDATE_TOOL, update_arguments())

    assert names == [CREATE_TOOL]
    assert recording_server.requests == []


async def test_hostile_requests_get_bounded_answers_and_every_request_an_answer(
    recording_server: RecordingServer,
) -> None:
    unknown_keys = {f"k{i}": 1 for i in range(200_000)}
    deep: dict[str, object] = {}
    inner = deep
    for _ in range(250):
        inner["a"] = {}
        inner = inner["a"]  # type: ignore[assignment]
    async with (
        stdio_client(server_parameters(recording_server)) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        with anyio.fail_after(60):  # a dropped request would otherwise hang the test
            many = await session.call_tool(UPDATE_TOOL, update_arguments(**unknown_keys))
            with pytest.raises(MCPError, match="nests more than 200 levels deep"):
                await session.call_tool(UPDATE_TOOL, update_arguments(Parameter=deep))
            after = await session.call_tool(UPDATE_TOOL, update_arguments())

    many_text = many.content[0].text  # type: ignore[union-attr]
    assert many.is_error is True
    assert len(many_text) < 4000
    assert "k0: is not an accepted argument" in many_text
    assert "has 199,995 more arguments that are not accepted" in many_text
    assert after.is_error is False  # the server goes on serving
    assert len(recording_server.requests) == 1
