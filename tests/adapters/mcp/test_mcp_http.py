"""``ocp-twilio mcp --http`` as a real process on 127.0.0.1, through the MCP SDK's own client:
the bearer, the Origin check, tools against the sandbox, the StatusCallback receiver on the
same port, Pay sessions as resources with subscriptions, prompts, and hostile requests."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import mcp_types as types
import pytest
from click.testing import CliRunner
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from support.events import MESSAGE_SID, call_status, inbound, message_status
from support.files import SHARED_OAI
from support.mcp_http import (
    ACCEPT,
    CALLBACK_PATH,
    TOKEN,
    Served,
    callback_form,
    free_port,
    mcp_session,
    post_callback,
    served_here,
    until_listening,
)
from support.payments import (
    CREATE_TOOL,
    DEFAULT_TOOLS,
    OPERATION_TOOLS,
    PAYMENT_SID,
    STATUS_TOOL,
    UPDATE_TOOL,
    WAIT_TOOL,
)

from ocp_twilio import ConfigurationError, MemoryProgressStore, OCPAgent, TransportError
from ocp_twilio.adapters._exported_formats import STANDARD_FORMATS
from ocp_twilio.adapters.mcp.http import http_application
from ocp_twilio.adapters.mcp.tools import EFFECTS_META
from ocp_twilio.cli import main
from ocp_twilio.cli.failures import ExitCode
from ocp_twilio.sandbox import Sandbox

CONSOLE_SCRIPT = str(Path(sys.executable).with_name("ocp-twilio"))
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "0"},
    },
}


@asynccontextmanager
async def served(sandbox: Sandbox, *options: str) -> AsyncIterator[Served]:
    """The console script serving MCP over HTTP, pointed at the sandbox; stopped by its pid."""
    port = free_port()
    # The rest of the environment (PYTHONPATH) kept: the checkout under test is what serves.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    env = {**inherited, **sandbox.environ(), "OCP_TWILIO_MCP_TOKEN": TOKEN}
    command = [CONSOLE_SCRIPT, "mcp", "--http", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen([*command, *options], env=env, stderr=subprocess.PIPE)
    try:
        await until_listening(port, process)
        yield Served(port, process)
    finally:
        process.terminate()
        process.wait(20)
        if process.stderr is not None:
            process.stderr.close()


def formats_in(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        if isinstance(schema.get("format"), str):
            yield schema["format"]
        for key, value in schema.items():
            if key not in ("enum", "const", "default", "examples"):
                yield from formats_in(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from formats_in(item)


def test_http_refuses_to_start_without_a_bearer_token() -> None:
    result = CliRunner().invoke(
        main, ["mcp", "--http", "--port", "8765"], env={"OCP_TWILIO_MCP_TOKEN": None}
    )
    assert result.exit_code == ExitCode.CONFIGURATION, result.output
    assert "OCP_TWILIO_MCP_TOKEN" in result.stderr
    assert "Traceback" not in result.output


async def test_the_endpoint_needs_the_bearer_and_refuses_foreign_origins(
    sandbox: Sandbox,
) -> None:
    inspector = "http://localhost:6274"  # the MCP Inspector's page, allowed by its operator
    options = ("--allowed-origin", f"{inspector}/")
    async with served(sandbox, *options) as server, httpx2.AsyncClient() as client:
        headers = {"Accept": ACCEPT}
        missing = await client.post(server.mcp, json=INITIALIZE, headers=headers)
        wrong = await client.post(
            server.mcp,
            json=INITIALIZE,
            headers={**headers, "Authorization": "Bearer " + "x" * len(TOKEN)},
        )
        bearer = {**headers, "Authorization": f"Bearer {TOKEN}"}
        foreign = await client.post(
            server.mcp, json=INITIALIZE, headers={**bearer, "Origin": "http://evil.example"}
        )
        unbearered_foreign = await client.post(
            server.mcp, json=INITIALIZE, headers={**headers, "Origin": "http://evil.example"}
        )
        # Another local web application: its own port, so another origin.
        local = await client.post(
            server.mcp, json=INITIALIZE, headers={**bearer, "Origin": "http://127.0.0.1:3000"}
        )
        own = await client.post(
            server.mcp, json=INITIALIZE, headers={**bearer, "Origin": server.base}
        )
        named = f"localhost:{server.port}"  # the same server by its other name: its own origin
        own_by_name = await client.post(
            server.mcp,
            json=INITIALIZE,
            headers={**bearer, "Host": named, "Origin": f"http://{named}"},
        )
        allowed = await client.post(
            server.mcp, json=INITIALIZE, headers={**bearer, "Origin": inspector}
        )
        rebound = await client.post(
            server.mcp, json=INITIALIZE, headers={**bearer, "Host": "evil.example"}
        )
        rebound_page = await client.post(
            server.mcp,
            json=INITIALIZE,
            headers={**bearer, "Host": "evil.example", "Origin": "http://evil.example"},
        )
        # The receiver is not behind the bearer: Twilio's signature guards it.
        unsigned = await post_callback(server, sandbox.auth_token, callback_form(), "bad")

    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer ")
    assert wrong.status_code == 401
    for refused in (foreign, unbearered_foreign, local):
        assert refused.status_code == 403
        assert "--allowed-origin" in refused.text
    assert own.status_code == own_by_name.status_code == allowed.status_code == 200
    assert "mcp-session-id" in own.headers
    assert rebound.status_code == rebound_page.status_code == 421
    assert unsigned.status_code == 403
    assert "signature does not match" in unsigned.text
    for answer in (missing, wrong, foreign, local, own, allowed, rebound, unsigned):
        assert TOKEN not in answer.text


@pytest.mark.parametrize(
    ("option", "value", "fault"),
    [
        ("allowed_origins", ["http://localhost:*"], "Not an origin: 'http://localhost:*'"),
        ("allowed_origins", ["https://app.example.com/mcp"], "a scheme, a host and an optional"),
        ("allowed_origins", ["app.example.com"], "e.g. https://app.example.com"),
        ("session_idle_timeout", 0, "a positive number of seconds, not 0"),
        ("session_idle_timeout", float("inf"), "a positive number of seconds, not inf"),
    ],
)
async def test_bad_origins_and_idle_timeouts_are_refused_at_start(
    option: str, value: Any, fault: str
) -> None:
    async with OCPAgent() as agent:
        with pytest.raises(ConfigurationError, match=re.escape(fault)):
            http_application(agent, [], token=TOKEN, **{option: value})


async def test_a_payment_over_http_with_progress_from_the_same_port(sandbox: Sandbox) -> None:
    call_sid = sandbox.start_call()
    async with served(sandbox) as server, mcp_session(server) as session:
        listed = {tool.name: tool for tool in (await session.list_tools()).tools}
        created = await session.call_tool(
            CREATE_TOOL, {"CallSid": call_sid, "IdempotencyKey": "http-create"}
        )
        assert created.structured_content is not None, created.content
        sid = created.structured_content["sid"]
        # The sandbox posts its StatusCallback to the receiver on the MCP server's own port.
        waited = await session.call_tool(WAIT_TOOL, {"Sid": sid, "TimeoutSeconds": 20})
        captured = await session.call_tool(
            UPDATE_TOOL,
            {
                "CallSid": call_sid,
                "Sid": sid,
                "IdempotencyKey": "http-card",
                "Capture": "payment-card-number",
            },
        )
        status = await session.call_tool(STATUS_TOOL, {"Sid": sid})
        with pytest.raises(MCPError, match=f"Did you mean: {UPDATE_TOOL}") as unknown:
            await session.call_tool("updatePayment", {})

    assert sorted(listed) == sorted(DEFAULT_TOOLS)
    assert listed[CREATE_TOOL].output_schema is not None
    assert listed[UPDATE_TOOL].annotations is not None
    assert listed[UPDATE_TOOL].annotations.idempotent_hint is True
    assert created.is_error is False and sid.startswith("PK")
    assert waited.structured_content is not None and waited.structured_content["version"] >= 1
    assert captured.is_error is False
    assert status.structured_content is not None
    assert status.structured_content["sid"] == sid
    assert unknown.value.error.code == types.INVALID_PARAMS


async def test_the_callback_url_twilio_must_call_is_printed_at_start(sandbox: Sandbox) -> None:
    public = "https://pay.example.test"
    async with served(sandbox, "--public-url", public) as server:
        assert server.process is not None and server.process.stderr is not None
        # Printed before the server listens, so it is in the pipe already.
        printed = server.process.stderr.readline().decode()

    assert printed == (
        f"StatusCallback receiver at {server.base}{CALLBACK_PATH}; Twilio must call "
        f"{public}{CALLBACK_PATH} (its signatures are checked against that URL).\n"
    )


async def test_without_a_receiver_no_progress_tool_is_listed_nor_named(sandbox: Sandbox) -> None:
    async with OCPAgent() as agent:
        await agent.register_api("twilio", environ=sandbox.environ())
        app = http_application(agent, agent.list_tools(), token=TOKEN)  # no receiver
        async with served_here(app, free_port()) as server, mcp_session(server) as session:
            listed = [tool.name for tool in (await session.list_tools()).tools]
            start = await session.get_prompt("start-payment", {"CallSid": "CA" + "1" * 32})

    assert sorted(listed) == sorted(OPERATION_TOOLS)
    text = start.messages[0].content
    assert isinstance(text, types.TextContent)
    assert WAIT_TOOL not in text.text and STATUS_TOOL not in text.text
    assert "StatusCallback=<your callback URL>" in text.text


async def test_a_subscription_hears_of_a_signed_callback(sandbox: Sandbox) -> None:
    uri = f"twilio-pay://{PAYMENT_SID}"
    notes: list[Any] = []
    async with served(sandbox) as server, mcp_session(server, notes) as session:
        templates = (await session.list_resource_templates()).resource_templates
        with pytest.raises(MCPError, match="No status callback has come"):
            await session.read_resource(uri)
        with pytest.warns(MCPDeprecationWarning):  # the SDK points to 2026-07-28's listen
            await session.subscribe_resource(uri)
        answer = await post_callback(server, sandbox.auth_token, callback_form())
        with anyio.fail_after(30):
            while not any(isinstance(n, types.ResourceUpdatedNotification) for n in notes):
                await asyncio.sleep(0.05)
        read = await session.read_resource(uri)
        listed = (await session.list_resources()).resources
        with pytest.warns(MCPDeprecationWarning):
            await session.unsubscribe_resource(uri)
        with pytest.raises(MCPError, match="Not a Pay session, message or call resource"):
            await session.read_resource("twilio-pay://not-a-sid")

    assert [t.uri_template for t in templates] == [
        "twilio-pay://{Sid}",
        "twilio-message://{Sid}",
        "twilio-call://{Sid}",
    ]
    assert answer.status_code == 204
    updated = [n for n in notes if isinstance(n, types.ResourceUpdatedNotification)]
    assert updated[0].params.uri == uri
    content = read.contents[0]
    assert isinstance(content, types.TextResourceContents)
    assert '"card_number": "xxxxxxxxxxxx4242"' in content.text
    assert "Capture expiration-date next" in content.text
    assert [r.uri for r in listed] == [uri]


async def test_message_and_call_callbacks_share_the_port(sandbox: Sandbox) -> None:
    uri = f"twilio-message://{MESSAGE_SID}"
    async with served(sandbox) as server, mcp_session(server) as session:
        token = sandbox.auth_token
        forged = await post_callback(
            server, token, message_status("sent"), "bm8=", path="/twilio/message-status"
        )
        stored = await post_callback(
            server, token, message_status("sent"), path="/twilio/message-status"
        )
        replied = await post_callback(server, token, inbound("C"), path="/twilio/inbound-message")
        call = await post_callback(
            server, token, call_status("ringing"), path="/twilio/call-status"
        )
        read = await session.read_resource(uri)
    assert (forged.status_code, stored.status_code, call.status_code) == (403, 204, 204)
    assert replied.status_code == 200 and "<Response/>" in replied.text
    content = read.contents[0]
    assert isinstance(content, types.TextResourceContents)
    assert '"status": "sent"' in content.text


async def test_prompts_guide_a_payment(sandbox: Sandbox) -> None:
    async with served(sandbox) as server, mcp_session(server) as session:
        prompts = {p.name: p for p in (await session.list_prompts()).prompts}
        start = await session.get_prompt("start-payment", {"CallSid": "CA" + "1" * 32})
        error = await session.get_prompt(
            "handle-payment-error", {"ErrorType": "invalid-date", "Capture": "expiration-date"}
        )
        with pytest.raises(MCPError, match="needs the argument"):
            await session.get_prompt("finish-payment", {"Sid": PAYMENT_SID})
        with pytest.raises(MCPError, match="No prompt named"):
            await session.get_prompt("pay", {})

    assert sorted(prompts) == [
        "capture-payment-field",
        "finish-payment",
        "handle-payment-error",
        "start-payment",
    ]
    assert "invalid-bank-account-type" in (prompts["handle-payment-error"].description or "")
    start_text = start.messages[0].content
    assert isinstance(start_text, types.TextContent)
    assert CREATE_TOOL in start_text.text and WAIT_TOOL in start_text.text
    error_text = error.messages[0].content
    assert isinstance(error_text, types.TextContent)
    assert "(MMYY), then capture expiration-date again" in error_text.text


async def test_a_request_nested_too_deep_gets_an_error_answer(sandbox: Sandbox) -> None:
    deep: dict[str, Any] = {}
    inner = deep
    for _ in range(250):
        inner["a"] = {}
        inner = inner["a"]
    async with served(sandbox) as server, mcp_session(server) as session:
        with anyio.fail_after(30):  # silence would hang here
            with pytest.raises(MCPError, match="recursion limit"):
                await session.call_tool(STATUS_TOOL, {"Sid": PAYMENT_SID, "Deep": deep})
            after = await session.call_tool(STATUS_TOOL, {"Sid": PAYMENT_SID})
    assert after.is_error is False


@pytest.mark.skipif(
    not SHARED_OAI.is_dir(), reason=f"Twilio's OpenAPI files are not at {SHARED_OAI}"
)
async def test_ref_root_tools_publish_an_output_schema_in_standard_formats(
    sandbox: Sandbox,
) -> None:
    spec = str(SHARED_OAI / "twilio_api_v2010.yaml")
    call_sid = sandbox.start_call()
    async with served(sandbox, "--spec", spec) as server, mcp_session(server) as session:
        page = await session.list_tools()
        tools = list(page.tools)
        pages = 1
        while page.next_cursor is not None:
            page = await session.list_tools(
                params=types.PaginatedRequestParams(cursor=page.next_cursor)
            )
            tools.extend(page.tools)
            pages += 1
        with pytest.raises(MCPError, match="Unknown cursor"):
            await session.list_tools(params=types.PaginatedRequestParams(cursor="x"))
        created = await session.call_tool(
            CREATE_TOOL, {"CallSid": call_sid, "IdempotencyKey": "ref-root-create"}
        )
    assert pages > 1 and len(tools) == len({tool.name for tool in tools})
    by_name = {tool.name: tool for tool in tools}
    account = by_name["api_v2010__fetchAccount"].output_schema
    assert account is not None and account["type"] == "object" and "$ref" not in account
    assert "auth_token" in account["properties"]
    message = by_name["api_v2010__createMessage"]
    assert message.meta == {EFFECTS_META: ["contacts-person", "write"]}
    assert message.annotations is not None and message.annotations.destructive_hint is True
    fetched = by_name["api_v2010__fetchMessage"].annotations
    assert fetched is not None and fetched.read_only_hint is True
    with_output = [tool for tool in tools if tool.output_schema is not None]
    assert len(with_output) > 150  # of 199; 61 had a root type: object before
    found = {
        f for tool in tools for s in (tool.input_schema, tool.output_schema) for f in formats_in(s)
    }
    assert found <= STANDARD_FORMATS, found - STANDARD_FORMATS
    date = account["properties"]["date_created"]
    assert "RFC 2822" in date["description"]
    assert created.is_error is False
    assert created.structured_content is not None and created.structured_content["sid"]


class OutOfServiceStore(MemoryProgressStore):
    """A store whose backend is out, as a shared store's can be."""

    async def append(self, event: Any) -> bool:
        raise TransportError("the progress store is unreachable")


async def test_a_store_outage_answers_twilio_503_so_that_it_tries_again(sandbox: Sandbox) -> None:
    port = free_port()
    async with OCPAgent() as agent:
        receiver = agent.status_callback_receiver(
            f"http://127.0.0.1:{port}", auth_token=sandbox.auth_token, store=OutOfServiceStore()
        )
        await agent.register_api("twilio", environ=sandbox.environ())
        app = http_application(agent, agent.list_tools(), token=TOKEN, receiver=receiver)
        async with served_here(app, port) as server:
            answer = await post_callback(server, sandbox.auth_token, callback_form())
    assert answer.status_code == 503
