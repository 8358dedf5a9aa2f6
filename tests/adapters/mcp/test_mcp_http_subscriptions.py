"""Subscriptions to Pay sessions over MCP's Streamable HTTP, served on 127.0.0.1 in this event
loop, against hostile and careless clients: listen streams that reuse one request id stay
within the bound and end with their streams and the server, two clients with the same id keep
their own streams, and a session that is deleted or goes silent gives its slots back."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import anyio
import httpx2
import pytest
from mcp.shared.exceptions import MCPDeprecationWarning
from starlette.applications import Starlette
from support.mcp_http import (
    ACCEPT,
    TOKEN,
    Served,
    callback_form,
    free_port,
    mcp_session,
    post_callback,
    served_here,
)

from ocp_twilio import OCPAgent
from ocp_twilio.adapters.mcp.http import http_application
from ocp_twilio.adapters.mcp.pay_sessions import MAX_SUBSCRIPTIONS
from ocp_twilio.sandbox import Sandbox

MODERN = "2026-07-28"


def watchers() -> int:
    """The subscription watchers alive in this loop, the server's: counted as tasks, not as
    the server's own bookkeeping says."""
    return sum(
        1
        for task in asyncio.all_tasks()
        if getattr(task.get_coro(), "__qualname__", "") == "PaySessions._watch"
    )


async def until(condition: Any) -> None:
    with anyio.fail_after(20):
        while not condition():
            await asyncio.sleep(0.02)


@asynccontextmanager
async def application(sandbox: Sandbox, **options: Any) -> AsyncIterator[tuple[Starlette, int]]:
    """The HTTP application over the sandbox, with its receiver, and the port it will have."""
    port = free_port()
    async with OCPAgent() as agent:
        receiver = agent.status_callback_receiver(
            f"http://127.0.0.1:{port}", auth_token=sandbox.auth_token
        )
        await agent.register_api("twilio", environ=sandbox.environ())
        yield (
            http_application(agent, agent.list_tools(), token=TOKEN, receiver=receiver, **options),
            port,
        )


def pay_uris(count: int) -> list[str]:
    return [f"twilio-pay://PK{n:032x}" for n in range(count)]


def bearer_client() -> httpx2.AsyncClient:
    return httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)


async def next_message(lines: AsyncIterator[str]) -> dict[str, Any]:
    """The next JSON-RPC message of an SSE stream."""
    with anyio.fail_after(20):
        async for line in lines:
            if line.startswith("data:"):
                message: dict[str, Any] = json.loads(line[5:])
                return message
    raise AssertionError("the stream ended")


async def listen_with_id_1(
    http: httpx2.AsyncClient, server: Served, uris: list[str], streams: AsyncExitStack
) -> tuple[dict[str, Any], AsyncIterator[str]]:
    """A 2026-07-28 ``subscriptions/listen`` sent by hand, always with id 1 as a hostile
    client would: its first message (the acknowledgement, or the error) and its stream's
    lines, left open in ``streams``."""
    meta = {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "subscriptions/listen",
        "params": {"notifications": {"resourceSubscriptions": uris}, "_meta": meta},
    }
    headers = {
        "Accept": ACCEPT,
        "Mcp-Protocol-Version": MODERN,
        "Mcp-Method": "subscriptions/listen",
    }
    response = await streams.enter_async_context(
        http.stream("POST", server.mcp, json=body, headers=headers)
    )
    if response.headers["content-type"].startswith("application/json"):
        return json.loads(await response.aread()), response.aiter_lines()
    lines = response.aiter_lines()
    return await next_message(lines), lines


async def test_listen_streams_reusing_one_id_stay_within_the_bound_and_end_with_the_server(
    sandbox: Sandbox,
) -> None:
    half = MAX_SUBSCRIPTIONS // 2
    uris = pay_uris(half)
    async with (
        application(sandbox) as (app, port),
        bearer_client() as http,
        AsyncExitStack() as streams,
    ):
        async with served_here(app, port) as server:
            # The same id and the same sessions, 20 times: 2,560 watchers asked for.
            opened = [await listen_with_id_1(http, server, uris, streams) for _ in range(20)]
            live = watchers()
            (first, first_lines), (second, _) = opened[:2]
            refused = [message for message, _ in opened[2:]]

            form = callback_form(Sid=uris[0].removeprefix("twilio-pay://"))
            answer = await post_callback(server, sandbox.auth_token, form)
            heard = await next_message(first_lines)

            await streams.aclose()  # the client hangs up: each stream's watchers end with it
            await until(lambda: watchers() == 0)
            reopened, _ = await listen_with_id_1(http, server, uris, streams)
            assert watchers() == half
        after_the_server = watchers()  # stopped with that stream still open

    assert first["method"] == second["method"] == "notifications/subscriptions/acknowledged"
    assert reopened["method"] == "notifications/subscriptions/acknowledged"
    assert live == MAX_SUBSCRIPTIONS
    assert len(refused) == 18
    for message in refused:
        assert message["id"] == 1
        assert f"at most {MAX_SUBSCRIPTIONS} at once" in message["error"]["message"]
    assert answer.status_code == 204
    assert heard["method"] == "notifications/resources/updated"
    assert heard["params"]["uri"] == uris[0]
    assert after_the_server == 0


async def test_two_clients_listening_with_the_same_id_keep_their_own_streams(
    sandbox: Sandbox,
) -> None:
    uri = f"twilio-pay://{callback_form()['Sid']}"
    async with (
        application(sandbox) as (app, port),
        served_here(app, port) as server,
        bearer_client() as second_client,
        AsyncExitStack() as second_stream,
    ):
        async with (
            bearer_client() as first_client,
            AsyncExitStack() as first_stream,
        ):
            first, _ = await listen_with_id_1(first_client, server, [uri], first_stream)
            second, second_lines = await listen_with_id_1(
                second_client, server, [uri], second_stream
            )
            both = watchers()
        # The first client has hung up; the second's stream, with the same id, goes on.
        await until(lambda: watchers() == 1)
        answer = await post_callback(server, sandbox.auth_token, callback_form())
        heard = await next_message(second_lines)

    assert first["method"] == second["method"] == "notifications/subscriptions/acknowledged"
    assert both == 2
    assert answer.status_code == 204
    assert heard["method"] == "notifications/resources/updated"
    assert heard["params"]["uri"] == uri


@pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning")
async def test_a_deleted_or_silent_session_gives_its_subscriptions_back(
    sandbox: Sandbox,
) -> None:
    uris = pay_uris(3)
    async with (
        application(sandbox, session_idle_timeout=1) as (app, port),
        served_here(app, port) as server,
    ):
        async with mcp_session(server) as leaving:  # ends with a DELETE
            await leaving.subscribe_resource(uris[0])
            subscribed = watchers()
        await until(lambda: watchers() == 0)

        # A client that crashes sends no DELETE: the SDK reaps its session once idle.
        async with mcp_session(server, terminate_on_close=False) as crashing:
            for uri in uris:
                await crashing.subscribe_resource(uri)
            held = watchers()
        await until(lambda: watchers() == 0)

    assert subscribed == 1
    assert held == 3


async def test_the_bound_is_shared_by_old_and_new_clients_which_end_with_the_server(
    sandbox: Sandbox,
) -> None:
    uris = pay_uris(MAX_SUBSCRIPTIONS)
    async with (
        application(sandbox) as (app, port),
        bearer_client() as http,
        AsyncExitStack() as clients,
    ):
        async with served_here(app, port) as server:
            old = await clients.enter_async_context(mcp_session(server))
            with pytest.warns(MCPDeprecationWarning):
                await old.subscribe_resource(uris[0])
            refused, _ = await listen_with_id_1(http, server, uris, clients)
            taken, _ = await listen_with_id_1(http, server, uris[1:], clients)
            full = watchers()
        after_the_server = watchers()  # stopped with both clients still there

    assert "at most" in refused["error"]["message"]
    assert taken["method"] == "notifications/subscriptions/acknowledged"
    assert full == MAX_SUBSCRIPTIONS
    assert after_the_server == 0
