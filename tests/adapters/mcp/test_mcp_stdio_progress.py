"""``ocp-twilio mcp`` over stdio tells the truth about payment progress: without a receiver it
serves no progress tool and its prompts name none; with ``--public-url`` it starts the
receiver beside stdio, prints where it listens and the URL Twilio must call (on stderr), and a
signed callback posted there reaches getPaymentStatus."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import mcp_types as types
import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError
from support.cli import assert_failed, mcp_over_stdio, run
from support.credentials import AUTH_TOKEN, TWILIO_ENV
from support.payments import (
    CALL_SID,
    CREATE_TOOL,
    DEFAULT_TOOLS,
    OPERATION_TOOLS,
    PAYMENT_SID,
    STATUS_TOOL,
    UPDATE_TOOL,
    WAIT_TOOL,
    update_arguments,
)
from support.progress import CARD_ENTERED, post
from support.servers import RecordingServer

from ocp_twilio.cli.failures import ExitCode

PUBLIC_URL = "https://pay.example.test"
TWILIO_CALLS = f"{PUBLIC_URL}/twilio/pay-status"
PRINTED = re.compile(r"StatusCallback receiver at (\S+); Twilio must call (\S+) ")
PROMPTS = {
    "start-payment": {"CallSid": CALL_SID},
    "capture-payment-field": {
        "CallSid": CALL_SID,
        "Sid": PAYMENT_SID,
        "Capture": "payment-card-number",
    },
    "handle-payment-error": {"ErrorType": "invalid-card-number"},
    "finish-payment": {"CallSid": CALL_SID, "Sid": PAYMENT_SID},
}


@asynccontextmanager
async def stdio_session(
    recording_server: RecordingServer, errors: Path, *options: str
) -> AsyncIterator[ClientSession]:
    """The console script over stdio, its stderr written to ``errors``."""
    parameters = mcp_over_stdio({**TWILIO_ENV, "TWILIO_BASE_URL": recording_server.url}, *options)
    with errors.open("w") as errlog:
        async with (
            stdio_client(parameters, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            yield session


async def prompt_texts(session: ClientSession) -> dict[str, str]:
    """Every listed prompt's text, got with valid arguments."""
    texts = {}
    for prompt in (await session.list_prompts()).prompts:
        message = (await session.get_prompt(prompt.name, PROMPTS[prompt.name])).messages[0]
        assert isinstance(message.content, types.TextContent)
        texts[prompt.name] = message.content.text
    return texts


async def printed_urls(errors: Path) -> tuple[str, str]:
    """Where the receiver listens and the URL Twilio must call, as the server printed them."""
    with anyio.fail_after(30):
        while (found := PRINTED.search(errors.read_text())) is None:
            await asyncio.sleep(0.05)
    return found.group(1), found.group(2)


async def test_without_a_receiver_no_progress_tool_is_served_and_the_prompts_name_none(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    errors = tmp_path / "stderr"
    async with stdio_session(recording_server, errors) as session:
        listed = {tool.name: tool for tool in (await session.list_tools()).tools}
        with pytest.raises(MCPError, match="No tool named"):
            await session.call_tool(STATUS_TOOL, {"Sid": PAYMENT_SID})
        texts = await prompt_texts(session)
        updated = await session.call_tool(
            UPDATE_TOOL, update_arguments(StatusCallback=TWILIO_CALLS)
        )

    assert sorted(listed) == sorted(OPERATION_TOOLS)
    for name in (CREATE_TOOL, UPDATE_TOOL):  # the model gives it: no receiver owns it
        assert "StatusCallback" in listed[name].input_schema["required"]
    assert sorted(texts) == sorted(PROMPTS)
    for name, text in texts.items():
        assert WAIT_TOOL not in text and STATUS_TOOL not in text, name
        assert "StatusCallback=" in text, name
        assert UPDATE_TOOL in text, name
    assert "ask the caller to tell you when they have finished" in texts["start-payment"]
    assert updated.is_error is False
    assert ("StatusCallback", TWILIO_CALLS) in recording_server.requests[0].form
    assert "no --public-url" in errors.read_text()


async def test_with_a_public_url_a_signed_callback_reaches_the_status_tool(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    errors = tmp_path / "stderr"
    async with stdio_session(recording_server, errors, "--public-url", PUBLIC_URL) as session:
        listening, twilio_calls = await printed_urls(errors)
        listed = {tool.name: tool for tool in (await session.list_tools()).tools}
        before = await session.call_tool(STATUS_TOOL, {"Sid": PAYMENT_SID})
        # Signed for the public URL, as Twilio signs it; posted where a tunnel would forward.
        accepted = await post(listening, CARD_ENTERED, signed_url=twilio_calls)
        forged = await post(listening, CARD_ENTERED, signed_url=listening)
        status = await session.call_tool(STATUS_TOOL, {"Sid": PAYMENT_SID})
        updated = await session.call_tool(UPDATE_TOOL, update_arguments(StatusCallback=None))
        texts = await prompt_texts(session)

    assert twilio_calls == TWILIO_CALLS
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/twilio/pay-status", listening)
    assert sorted(listed) == sorted(DEFAULT_TOOLS)
    assert "StatusCallback" not in listed[UPDATE_TOOL].input_schema["properties"]
    assert before.structured_content is not None and before.structured_content["version"] == 0
    assert (accepted, forged) == (204, 403)
    assert status.is_error is False and status.structured_content is not None
    assert status.structured_content["entered"]["card_number"] == "xxxxxxxxxxxx1111"
    assert status.structured_content["version"] == 1
    assert updated.is_error is False  # the receiver's URL went instead
    assert ("StatusCallback", TWILIO_CALLS) in recording_server.requests[0].form
    assert WAIT_TOOL in texts["start-payment"] and WAIT_TOOL in texts["finish-payment"]
    for name, text in texts.items():
        assert "StatusCallback=" not in text, name
    assert AUTH_TOKEN not in errors.read_text()


async def test_the_compact_tools_reaching_a_progress_tool_say_the_mcp_way(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    errors = tmp_path / "stderr"
    async with stdio_session(recording_server, errors, "--compact") as session:
        listed = [tool.name for tool in (await session.list_tools()).tools]
        called = await session.call_tool(
            "callTwilioTool", {"name": STATUS_TOOL, "arguments": {"Sid": PAYMENT_SID}}
        )
        prompts = (await session.list_prompts()).prompts

    assert listed == ["findTwilioTool", "browseTwilioTools", "describeTwilioTool", "callTwilioTool"]
    assert prompts == []  # no Pay operation is listed for a prompt to name
    assert called.is_error is True
    text = called.content[0].text  # type: ignore[union-attr]
    assert "No status callback receiver is running" in text
    assert "ocp-twilio mcp --public-url URL" in text
    assert "serve_status_callbacks" not in text and "agent." not in text


def test_a_public_url_over_stdio_needs_the_auth_token() -> None:
    result = run("mcp", "--public-url", PUBLIC_URL, env={"TWILIO_ACCOUNT_SID": "AC" + "0" * 32})
    assert_failed(result, ExitCode.CONFIGURATION, "--public-url", "TWILIO_AUTH_TOKEN")
