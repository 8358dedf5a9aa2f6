"""Hostile and random input for every curated tool, through a real local server.

Whatever the arguments, a call either raises InvalidArguments and sends nothing, or sends a request
that Twilio's published description accepts; it never raises anything but an OCPError.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.credentials import TWILIO_ENV
from support.files import SHARED_OAI
from support.schema_strategies import random_arguments, valid_arguments
from support.secret_scan import assert_no_secrets
from support.servers import RecordingServer
from support.twilio_acceptance import published_operation

from ocp_twilio import (
    InvalidArguments,
    MemoryProgressStore,
    OCPAgent,
    OCPError,
    Tool,
    load_operations,
)
from ocp_twilio._json import nested_deeper_than
from ocp_twilio.sends.operations import SEND_KEY
from ocp_twilio.specs.model import packaged_schemas_dir
from ocp_twilio.tools.paging import CURSOR

CURATED = sorted(op.name for op in load_operations([packaged_schemas_dir()]))
PAY = [name for name in CURATED if name.endswith("Payments")]
MESSAGES_AND_CALLS = [name for name in CURATED if name not in PAY]
_SENDS = itertools.count()
V2010 = SHARED_OAI / "twilio_api_v2010.yaml"
# What a sent request is checked against: without it a test would pass having checked nothing.
needs_v2010 = pytest.mark.skipif(
    not V2010.exists(), reason=f"Twilio's OpenAPI files are not at {SHARED_OAI}"
)
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def twilio_problems(tool: Tool, server: RecordingServer) -> list[str]:
    """What Twilio's description rejects in the one request the last call sent."""
    [request] = server.requests
    server.requests.clear()
    path = request.path_qs.split("?", 1)[0]
    return published_operation(V2010, tool.spec.operation_id).problems(path, request.body)


async def refused_or_sent_as_twilio_accepts(
    agent: OCPAgent, server: RecordingServer, caplog: pytest.LogCaptureFixture, name: str, data: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    tool = agent.get_tool(name)
    arguments: Any = data.draw(random_arguments(tool.input_schema), label="arguments")
    try:
        await agent.call_tool(name, arguments)
    except InvalidArguments as exc:
        assert server.requests == [], "invalid arguments were sent"
        assert exc.errors, "an InvalidArguments names no problem"
        assert_no_secrets([str(exc), caplog.text])
        return
    except OCPError as exc:
        pytest.fail(f"a local server's good answer ended in {exc!r}")
    assert twilio_problems(tool, server) == []
    assert_no_secrets([caplog.text])


async def valid_and_sent_as_twilio_accepts(
    agent: OCPAgent, server: RecordingServer, caplog: pytest.LogCaptureFixture, name: str, data: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    tool = agent.get_tool(name)
    schema = tool.input_schema
    # A cursor is checked beyond its schema (only one a call gave is one): the random test tries it.
    unpaged = {
        **schema,
        "properties": {k: v for k, v in schema["properties"].items() if k != CURSOR},
    }
    arguments = data.draw(valid_arguments(unpaged), label="arguments")
    if SEND_KEY in schema["properties"]:  # each example a send of its own, not a repeat
        arguments[SEND_KEY] = f"fuzz-{next(_SENDS)}"
    result = await agent.call_tool(name, arguments)
    assert twilio_problems(tool, server) == []
    assert_no_secrets([caplog.text, repr(result)])


Check = Callable[[OCPAgent, RecordingServer, pytest.LogCaptureFixture, str, Any], Awaitable[None]]


def fuzzed(check: Check, names: list[str], examples: int) -> Any:
    """A test of ``check`` over the tools ``names``, with ``examples`` examples each."""

    @needs_v2010
    @pytest.mark.parametrize("name", names)
    @settings(FUZZ, max_examples=examples)
    @given(data=st.data())
    async def test(
        name: str,
        data: st.DataObject,
        agent: OCPAgent,
        recording_server: RecordingServer,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        await check(agent, recording_server, caplog, name, data)

    return test


# The tools that move money get the most examples; the messages and calls fewer, to keep the run
# short, as their schemas are of the same few kinds.
test_random_arguments_are_refused_or_sent_as_twilio_accepts = fuzzed(
    refused_or_sent_as_twilio_accepts, PAY, 300
)
test_random_arguments_of_messages_and_calls_are_refused_or_sent_as_twilio_accepts = fuzzed(
    refused_or_sent_as_twilio_accepts, MESSAGES_AND_CALLS, 40
)
test_valid_arguments_make_requests_twilio_accepts = fuzzed(
    valid_and_sent_as_twilio_accepts, PAY, 120
)
test_valid_arguments_of_messages_and_calls_make_requests_twilio_accepts = fuzzed(
    valid_and_sent_as_twilio_accepts, MESSAGES_AND_CALLS, 40
)


# --- Every public entry point, with hostile values, over every tool of Twilio's files ----------


def _nested(depth: int) -> Any:
    value: Any = 0
    for level in range(depth):
        value = [value] if level % 2 else {"n": value}
    return value


HOSTILE: list[Any] = [
    "\ud800",  # an unpaired surrogate: UTF-8 cannot encode it
    "a\x00b",
    "\r\nX-Injected: 1",
    _nested(10_000),
    "x" * 100_000,
    10**400,
    -1e308,
    float("nan"),
    True,
    [],
    {"\udfff": 1},
    None,
    "https://[::1/",
    "..",
]
NOT_OBJECTS: list[Any] = ["text", [1, 2], _nested(10_000), 7, None]


def hostile_arguments(tool: Tool, index: int) -> Any:
    """The tool's own argument names, each with a hostile value; now and then no object at all."""
    if index % 11 == 0:
        return NOT_OBJECTS[index // 11 % len(NOT_OBJECTS)]
    names = sorted(tool.input_schema["properties"])
    arguments = {n: HOSTILE[(index + i) % len(HOSTILE)] for i, n in enumerate(names)}
    arguments[f"unknown\ud801{index}"] = HOSTILE[index % len(HOSTILE)]
    return arguments


def as_on_the_wire(arguments: dict[str, Any]) -> Any:
    """What an MCP client can send: UTF-8 JSON, where a lone surrogate has become "?"."""
    return json.loads(json.dumps(arguments, ensure_ascii=False).encode("utf-8", "replace"))


def assert_sendable(text: str) -> None:
    """What an adapter answers goes to a model through UTF-8: no unpaired surrogate, bounded."""
    text.encode("utf-8")
    assert len(text) < 20_000


@pytest.mark.skipif(
    not SHARED_OAI.is_dir(), reason=f"Twilio's OpenAPI files are not at {SHARED_OAI}"
)
async def test_every_entry_point_gives_only_ocp_errors_or_error_results(
    recording_server: RecordingServer,
) -> None:
    from mcp import Client

    from ocp_twilio.adapters import anthropic_tool_result, openai_tool_result
    from ocp_twilio.adapters.langchain import as_langchain_tools
    from ocp_twilio.adapters.mcp.server import build_mcp_server
    from ocp_twilio.tools.offer import Offer

    # A progress store, so that the MCP server serves the progress tools too.
    async with OCPAgent(progress_store=MemoryProgressStore()) as agent:
        for hostile in (h for h in HOSTILE if h is not None):  # None: the default host
            with pytest.raises(OCPError):
                await agent.register_api(
                    "twilio", spec=SHARED_OAI, base_url=hostile, environ=TWILIO_ENV
                )
        for options in (
            {"spec": "a\x00b.yaml"},
            {"spec": SHARED_OAI, "timeout": float("nan")},
            {"spec": SHARED_OAI, "region": "\r\n"},
        ):
            with pytest.raises(OCPError):
                await agent.register_api("twilio", environ=TWILIO_ENV, **options)
        with pytest.raises(OCPError):
            await agent.register_api("\ud800" * 1000, environ=TWILIO_ENV)
        await agent.register_api(
            "twilio", spec=SHARED_OAI, base_url=recording_server.url, environ=TWILIO_ENV
        )
        tools = agent.list_tools()
        assert len(tools) > 1000
        offer = Offer(tools)  # every tool offered: the calls reach validation
        langchain = {t.name: t for t in as_langchain_tools(agent)}
        async with Client(build_mcp_server(agent, tools)) as mcp:
            for index, tool in enumerate(tools):
                arguments = hostile_arguments(tool, index)
                try:
                    await agent.call_tool(tool.name, arguments)
                except OCPError as exc:
                    assert_sendable(str(exc))
                call = {"id": "c", "function": {"name": tool.name, "arguments": arguments}}
                answer = await openai_tool_result(agent, call, offered=offer)
                assert_sendable(answer["content"])
                block = {"id": "t", "name": tool.name, "input": arguments}
                result = await anthropic_tool_result(agent, block, offered=offer)
                assert_sendable(result["content"])
                # LangChain reprs its input and the MCP client serializes it before either reaches
                # ocp_twilio: they cannot carry 10,000 levels (test_mcp_server sends 250 by wire).
                # Each takes every other tool, to keep the test short.
                if isinstance(arguments, dict) and not nested_deeper_than(arguments, 150):
                    if index % 2:
                        result = await mcp.call_tool(tool.name, as_on_the_wire(arguments))
                        assert_sendable(result.content[0].text)  # type: ignore[union-attr]
                    else:
                        assert_sendable(await langchain[tool.name].ainvoke(arguments))
    # A request went out only where every value a tool received happened to be acceptable.
    assert len(recording_server.requests) < len(tools) // 10
