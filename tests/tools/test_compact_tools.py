"""findTwilioTool, describeTwilioTool and callTwilioTool, as a model would use them: through the
OpenAI helper, the MCP server over stdio (``ocp-twilio mcp --compact``), Anthropic and LangChain,
against the sandbox (Payments) and a real server on 127.0.0.1 (an operation of Twilio's files)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from bpe_openai import get_encoding
from mcp.client.session import ClientSession
from mcp.client.stdio import stdio_client
from openai.types.chat import ChatCompletionMessageToolCall
from support.cli import mcp_over_stdio
from support.credentials import AUTH_TOKEN, TWILIO_ENV
from support.files import SHARED_OAI, SPECS
from support.payments import (
    CREATE_TOOL,
    PAY_TOOLS,
    PAYMENT_BODY,
    PAYMENT_VIEW,
    UPDATE_TOOL,
    update_arguments,
)
from support.sandbox import CALLBACK
from support.servers import RecordingServer

from ocp_twilio import OCPAgent, anthropic_tool_result, openai_tool_result
from ocp_twilio.adapters.langchain import as_langchain_tools
from ocp_twilio.sandbox import Sandbox

COMPACT = ["findTwilioTool", "browseTwilioTools", "describeTwilioTool", "callTwilioTool"]
MESSAGE_TOOL = "api_v2010__createMessage"
MESSAGE_SID = "SM" + "0123456789abcdef" * 2
MESSAGE_BODY = {"sid": MESSAGE_SID, "status": "queued", "to": "+15558675310", "body": "Shipped!"}
needs_twilio_files = pytest.mark.skipif(
    not SHARED_OAI.is_dir(), reason=f"Twilio's OpenAPI files are not at {SHARED_OAI}"
)


def chat_call(name: str, arguments: Any) -> ChatCompletionMessageToolCall:
    return ChatCompletionMessageToolCall.model_validate(
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments)},
        }
    )


async def openai_turn(agent: OCPAgent, name: str, arguments: Any) -> Any:
    """One tool call as Chat Completions delivers it; the tool message's content, decoded."""
    message = await openai_tool_result(agent, chat_call(name, arguments))
    return json.loads(message["content"])


def tokens(document: Any) -> int:
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    return len(get_encoding("o200k_base").encode(text))


async def test_the_compact_list_is_small_and_the_same_whatever_is_registered(
    sandbox: Sandbox, recording_server: RecordingServer
) -> None:
    async with OCPAgent() as agent:
        await agent.register_api("twilio", environ=sandbox.environ())
        before = {f: agent.tools_for(f, compact=True) for f in ("openai", "mcp", "anthropic")}
        spec = SHARED_OAI if SHARED_OAI.is_dir() else SPECS
        await agent.register_api(
            "more",
            spec=spec,
            base_url=recording_server.url,
            account_sid=TWILIO_ENV["TWILIO_ACCOUNT_SID"],
            auth_token=AUTH_TOKEN,
        )
        after = {f: agent.tools_for(f, compact=True) for f in ("openai", "mcp", "anthropic")}
        beside = agent.tools_for("openai", compact=True, tags=["pay"], api="twilio")

    assert before == after
    assert [t["function"]["name"] for t in after["openai"]] == COMPACT
    for framework, listed in after.items():
        assert tokens(listed) < 1000, framework
    assert [t["function"]["name"] for t in beside] == [*COMPACT, *PAY_TOOLS]


async def test_openai_find_describe_call_a_payment_against_the_sandbox(
    sandbox: Sandbox, sandbox_agent: OCPAgent
) -> None:
    call_sid = sandbox.start_call()
    agent = sandbox_agent
    agent.tools_for("openai", compact=True)

    found = await openai_turn(agent, "findTwilioTool", {"query": "take a card payment on a call"})
    name = found["tools"][0]["name"]
    described = await openai_turn(agent, "describeTwilioTool", {"name": name})
    created = await openai_turn(
        agent,
        "callTwilioTool",
        {"name": name, "arguments": {"CallSid": call_sid, "StatusCallback": CALLBACK}},
    )
    step = {"CallSid": call_sid, "Sid": created["sid"], "StatusCallback": CALLBACK}
    captured = await openai_turn(
        agent,
        "callTwilioTool",
        {"name": "updatePayments", "arguments": {**step, "Capture": "payment-card-number"}},
    )

    assert name == CREATE_TOOL
    assert described["name"] == CREATE_TOOL
    assert described["input_schema"] == agent.get_tool(CREATE_TOOL).input_schema
    assert "CallSid" in described["input_schema"]["required"]
    assert created["sid"].startswith("PK") and "is_error" not in created
    captures = [e.fields.get("Capture") for e in sandbox.events(created["sid"])]
    assert "payment-card-number" in captures
    assert "is_error" not in captured
    # Only the calls made through callTwilioTool are the context's history, under their names.
    assert [c.tool for c in agent.context.history] == [CREATE_TOOL, UPDATE_TOOL]


@needs_twilio_files
async def test_openai_find_describe_call_an_operation_of_twilios_files(
    recording_server: RecordingServer,
) -> None:
    recording_server.reply(201, MESSAGE_BODY)
    async with OCPAgent() as agent:
        await agent.register_api(
            "twilio", spec=SHARED_OAI, base_url=recording_server.url, environ=TWILIO_ENV
        )
        agent.tools_for("openai", compact=True)
        found = await openai_turn(
            agent, "findTwilioTool", {"query": "text the customer that the order shipped"}
        )
        described = await openai_turn(agent, "describeTwilioTool", {"name": MESSAGE_TOOL})
        arguments = {"To": "+15558675310", "From": "+15017122661", "Body": "Shipped!"}
        sent = await openai_turn(
            agent, "callTwilioTool", {"name": MESSAGE_TOOL, "arguments": arguments}
        )

    assert MESSAGE_TOOL in [t["name"] for t in found["tools"]]
    assert all(t["summary"] for t in found["tools"])
    assert described["input_schema"]["required"] == ["To"]
    assert sent == MESSAGE_BODY
    (request,) = recording_server.requests
    assert request.method == "POST" and request.path_qs.endswith("/Messages.json")
    assert ("Body", "Shipped!") in request.form


async def test_bad_arguments_give_the_error_result_of_a_direct_call(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    bad = update_arguments(Capture=None, CallSid="not-a-sid")
    for framework in ("openai", "anthropic"):
        agent.tools_for(framework, compact=True, names=[UPDATE_TOOL])
    direct = await openai_tool_result(agent, chat_call(UPDATE_TOOL, bad))
    through = await openai_tool_result(
        agent, chat_call("callTwilioTool", {"name": UPDATE_TOOL, "arguments": bad})
    )
    anthropic_direct = await anthropic_tool_result(
        agent, {"type": "tool_use", "id": "t1", "name": UPDATE_TOOL, "input": bad}
    )
    anthropic_through = await anthropic_tool_result(
        agent,
        {
            "type": "tool_use",
            "id": "t2",
            "name": "callTwilioTool",
            "input": {"name": UPDATE_TOOL, "arguments": bad},
        },
    )

    assert through["content"] == direct["content"]
    assert "nothing was sent" in json.loads(direct["content"])["error"]
    assert anthropic_through["content"] == anthropic_direct["content"]
    assert anthropic_through["is_error"] is True
    assert recording_server.requests == []


async def test_a_call_gets_the_key_and_the_retries_of_a_direct_call(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    answers = iter([(503, {"code": 20500, "message": "busy", "status": 503}), (202, PAYMENT_BODY)])

    def respond(request: Any) -> Any:
        from aiohttp import web

        status, body = next(answers)
        return web.json_response(body, status=status)

    recording_server.respond = respond
    arguments = update_arguments(IdempotencyKey=None)
    result = await agent.call_tool("callTwilioTool", {"name": UPDATE_TOOL, "arguments": arguments})

    assert result == PAYMENT_BODY
    first, second = recording_server.requests
    keys = [dict(r.form)["IdempotencyKey"] for r in (first, second)]
    assert keys[0] == keys[1] and keys[0].startswith("ocp-")  # one key, made once, sent twice


async def test_unknown_names_and_the_compact_tools_themselves_are_clear_errors(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    agent.tools_for("openai", compact=True)
    unknown = await openai_turn(agent, "describeTwilioTool", {"name": "updatePayment"})
    called = await openai_turn(agent, "callTwilioTool", {"name": "sendTheText", "arguments": {}})
    itself = await openai_turn(agent, "callTwilioTool", {"name": "callTwilioTool"})
    nothing = await openai_turn(agent, "findTwilioTool", {"query": "zebra"})
    no_query = await openai_turn(agent, "findTwilioTool", {})

    assert unknown["is_error"] is True
    assert "No tool named 'updatePayment'" in unknown["error"]
    assert "Did you mean: updatePayments" in unknown["error"]
    assert "findTwilioTool" in unknown["error"] and "findTwilioTool" in called["error"]
    assert "names callTwilioTool itself" in itself["error"]
    assert nothing["tools"] == [] and "Nothing matched" in nothing["next_step"]
    assert "query" in no_query["error"] and "nothing was sent" in no_query["error"]
    assert recording_server.requests == []


async def test_langchain_tools_of_the_compact_set(agent: OCPAgent) -> None:
    tools = {t.name: t for t in as_langchain_tools(agent, agent.compact_tools())}

    found = json.loads(await tools["findTwilioTool"].ainvoke({"query": "complete a payment"}))

    assert list(tools) == COMPACT
    assert UPDATE_TOOL in [t["name"] for t in found["tools"]]


async def test_mcp_compact_server_finds_describes_and_calls_a_payment(sandbox: Sandbox) -> None:
    call_sid = sandbox.start_call()
    async with (
        stdio_client(mcp_over_stdio(sandbox.environ(), "--compact")) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        listed = {tool.name: tool for tool in (await session.list_tools()).tools}
        found = await session.call_tool("findTwilioTool", {"query": "start a payment on a call"})
        name = json.loads(found.content[0].text)["tools"][0]["name"]  # type: ignore[union-attr]
        described = await session.call_tool("describeTwilioTool", {"name": name})
        arguments = {"CallSid": call_sid, "StatusCallback": CALLBACK}
        created = await session.call_tool("callTwilioTool", {"name": name, "arguments": arguments})
        bad = {"name": name, "arguments": {"CallSid": "not-a-sid"}}
        through = await session.call_tool("callTwilioTool", bad)
        unknown = await session.call_tool("callTwilioTool", {"name": "startPayment"})

    assert list(listed) == COMPACT
    annotations = listed["callTwilioTool"].annotations
    assert annotations is not None and annotations.destructive_hint is True
    assert name == CREATE_TOOL
    schema = json.loads(described.content[0].text)["input_schema"]  # type: ignore[union-attr]
    assert "CallSid" in schema["required"]
    assert created.is_error is False
    sid = json.loads(created.content[0].text)["sid"]  # type: ignore[union-attr]
    assert sandbox.payment(sid).call_sid == call_sid
    assert through.is_error is True
    assert "Invalid arguments for api_v2010__createPayments; nothing was sent" in (
        through.content[0].text  # type: ignore[union-attr]
    )
    assert unknown.is_error is True
    assert "findTwilioTool" in unknown.content[0].text  # type: ignore[union-attr]
    for result in (found, described, created, through, unknown):
        assert sandbox.auth_token not in result.model_dump_json()


async def test_mcp_compact_server_with_payments_beside(recording_server: RecordingServer) -> None:
    environ = {**TWILIO_ENV, "TWILIO_BASE_URL": recording_server.url}
    async with (
        stdio_client(mcp_over_stdio(environ, "--compact", "--tags", "pay")) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        names = [tool.name for tool in (await session.list_tools()).tools]
        direct = await session.call_tool(UPDATE_TOOL, update_arguments())

    # No --public-url: no receiver, so no progress tool beside the Pay operations.
    assert names == [*COMPACT, CREATE_TOOL, UPDATE_TOOL]
    assert direct.is_error is False and direct.structured_content == PAYMENT_VIEW
    assert AUTH_TOKEN not in direct.model_dump_json()


@needs_twilio_files
async def test_mcp_compact_server_calls_an_operation_of_twilios_files(
    recording_server: RecordingServer,
) -> None:
    recording_server.reply(201, MESSAGE_BODY)
    environ = {**TWILIO_ENV, "TWILIO_BASE_URL": recording_server.url}
    options = ("--compact", "--spec", str(SHARED_OAI))
    async with (
        stdio_client(mcp_over_stdio(environ, *options)) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        found = await session.call_tool("findTwilioTool", {"query": "send an sms", "limit": 3})
        described = await session.call_tool("describeTwilioTool", {"name": MESSAGE_TOOL})
        arguments = {"To": "+15558675310", "Body": "Shipped!", "From": "+15017122661"}
        sent = await session.call_tool(
            "callTwilioTool", {"name": MESSAGE_TOOL, "arguments": arguments}
        )

    names = [t["name"] for t in json.loads(found.content[0].text)["tools"]]  # type: ignore[union-attr]
    assert MESSAGE_TOOL in names and len(names) <= 3
    assert described.is_error is False
    assert sent.is_error is False
    assert json.loads(sent.content[0].text)["sid"] == MESSAGE_SID  # type: ignore[union-attr]
    (request,) = recording_server.requests
    assert ("To", "+15558675310") in request.form


async def test_openai_strict_call_sends_the_arguments_as_json_text(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    (call_tool,) = [
        t
        for t in agent.tools_for("openai", compact=True, strict=True)
        if t["function"]["name"] == "callTwilioTool"
    ]
    parameters = call_tool["function"]["parameters"]
    # What a strict-mode model sends: every property, the free-form object as JSON text.
    answer = await openai_turn(
        agent,
        "callTwilioTool",
        {"name": UPDATE_TOOL, "arguments": json.dumps(update_arguments())},
    )

    assert call_tool["function"]["strict"] is True
    assert parameters["properties"]["arguments"]["type"] == ["string", "null"]
    assert answer == PAYMENT_VIEW
    assert len(recording_server.requests) == 1
