"""The receiver behind proxies of the user's (trust_forwarded): the signature is checked on the
scheme and host the user's outermost proxy added to X-Forwarded-Proto and X-Forwarded-Host,
never on a value a client put in front. Real proxies on 127.0.0.1 forward to a real receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDict
from support.credentials import AUTH_TOKEN, TWILIO_ENV
from support.mcp_http import CALLBACK_PATH, TOKEN, free_port, served_here
from support.payments import PAYMENT_SID
from support.progress import CARD_ENTERED, TYPING

from ocp_twilio import (
    ConfigurationError,
    MemoryProgressStore,
    OCPAgent,
    StatusCallbackReceiver,
    compute_signature,
)
from ocp_twilio.adapters.mcp.http import http_application

PUBLIC_HOST = "pay.example.com"
PUBLIC_URL = f"https://{PUBLIC_HOST}/twilio/pay-status"
# Another URL of the same Twilio account (its callbacks are signed with the same Auth Token):
# a callback captured there must not be accepted here.
OTHER_URL = "https://other.example/twilio/pay-status"


@dataclass(frozen=True)
class Hop:
    """What one proxy adds: its own public name and the scheme it was reached on. ``lines``:
    it adds a header line of its own instead of appending to the existing value."""

    host: str
    proto: str
    lines: bool = False


@asynccontextmanager
async def proxy(upstream: str, hop: Hop) -> AsyncIterator[str]:
    """A reverse proxy on 127.0.0.1 that forwards each POST to ``upstream``, appending its
    X-Forwarded-Host and X-Forwarded-Proto after any the request came with, as proxies do."""

    async def forward(request: web.Request) -> web.Response:
        headers = CIMultiDict(
            (name, value)
            for name, value in request.headers.items()
            if name.lower() in ("content-type", "x-twilio-signature")
            or name.lower().startswith("x-forwarded-")
        )
        for name, value in [("X-Forwarded-Host", hop.host), ("X-Forwarded-Proto", hop.proto)]:
            earlier = headers.getall(name, [])
            if hop.lines or not earlier:
                headers.add(name, value)
            else:
                headers[name] = ", ".join([*earlier, value])
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                upstream + request.path_qs, data=await request.read(), headers=headers
            ) as answer,
        ):
            return web.Response(status=answer.status, body=await answer.read())

    app = web.Application()
    app.router.add_post("/{tail:.*}", forward)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def behind(
    hops: list[Hop], trust_forwarded: bool | int
) -> AsyncIterator[tuple[OCPAgent, str]]:
    """An agent's receiver behind ``hops`` (the first faces Twilio); yields the agent and the
    address Twilio posts to."""
    async with (
        OCPAgent() as agent,
        agent.serve_status_callbacks(environ=TWILIO_ENV, trust_forwarded=trust_forwarded) as r,
    ):
        upstream = r.served_at
        assert upstream is not None
        async with _chain(upstream, list(reversed(hops))) as entry:
            yield agent, entry + "/twilio/pay-status"


@asynccontextmanager
async def _chain(upstream: str, inner_first: list[Hop]) -> AsyncIterator[str]:
    if not inner_first:
        yield upstream
        return
    async with proxy(upstream, inner_first[0]) as address, _chain(address, inner_first[1:]) as e:
        yield e


async def post(
    address: str, fields: dict[str, str], signed_url: str, headers: list[tuple[str, str]]
) -> int:
    """Twilio's POST (or an attacker's), signed for ``signed_url``, with extra header lines."""
    sent = CIMultiDict(headers)
    sent["Content-Type"] = "application/x-www-form-urlencoded"
    sent["X-Twilio-Signature"] = compute_signature(AUTH_TOKEN, signed_url, fields)
    async with (
        aiohttp.ClientSession() as session,
        session.post(address, data=urlencode(fields).encode(), headers=sent) as answer,
    ):
        return answer.status


async def stored(agent: OCPAgent) -> int:
    await agent.register_api("twilio", environ=TWILIO_ENV)
    state = await agent.call_tool("getPaymentStatus", {"Sid": PAYMENT_SID})
    return int(state["version"])


EDGE = Hop(PUBLIC_HOST, "https")
INNER = Hop("10.0.0.7:8080", "http")  # the edge proxy reached the inner one over plain HTTP


@pytest.mark.parametrize(
    ("hops", "trust_forwarded"),
    [([EDGE], True), ([EDGE], 1), ([EDGE, INNER], 2), ([EDGE, Hop("10.0.0.7", "http", True)], 2)],
    ids=["one-proxy", "one-proxy-counted", "two-proxies", "two-proxies-own-lines"],
)
async def test_a_genuine_callback_through_the_users_proxies_is_accepted(
    hops: list[Hop], trust_forwarded: bool | int
) -> None:
    async with behind(hops, trust_forwarded) as (agent, address):
        assert await post(address, CARD_ENTERED, PUBLIC_URL, []) == 204
        assert await stored(agent) == 1


@pytest.mark.parametrize(
    ("hops", "trust_forwarded", "sent"),
    [
        ([EDGE], True, [("X-Forwarded-Host", "other.example"), ("X-Forwarded-Proto", "https")]),
        ([EDGE], True, [("X-Forwarded-Host", "other.example, evil.example")]),
        ([EDGE, INNER], 2, [("X-Forwarded-Host", "other.example")]),
        (
            [Hop(PUBLIC_HOST, "https", True)],
            True,
            [("X-Forwarded-Host", "other.example"), ("X-Forwarded-Proto", "https")],
        ),
    ],
    ids=["one-proxy", "two-values", "two-proxies", "own-header-lines"],
)
async def test_a_host_the_client_put_in_front_is_never_signed(
    hops: list[Hop], trust_forwarded: bool | int, sent: list[tuple[str, str]]
) -> None:
    """A callback captured at another URL of the account, replayed with that URL's host as the
    first X-Forwarded-Host: the proxy appends its own, which is the one checked."""
    async with behind(hops, trust_forwarded) as (agent, address):
        assert await post(address, TYPING, OTHER_URL, sent) == 403
        # The same request signed for the public URL passes: the proxy's value was used.
        assert await post(address, CARD_ENTERED, PUBLIC_URL, sent) == 204
        assert await stored(agent) == 1


async def test_too_few_or_malformed_forwarded_values_fall_back_to_the_public_url() -> None:
    async with (
        OCPAgent() as agent,
        agent.serve_status_callbacks(environ=TWILIO_ENV, trust_forwarded=2) as receiver,
    ):
        local = receiver.url  # no public_url: the address served on
        for forwarded, would_be in [
            # One proxy's values where two are trusted.
            ({"X-Forwarded-Host": PUBLIC_HOST, "X-Forwarded-Proto": "https"}, PUBLIC_URL),
            # A path in the host, and a scheme that is not http(s).
            (
                {"X-Forwarded-Host": f"{PUBLIC_HOST}/other, x", "X-Forwarded-Proto": "https, x"},
                f"https://{PUBLIC_HOST}/other/twilio/pay-status",
            ),
            (
                {"X-Forwarded-Host": f"{PUBLIC_HOST}, x", "X-Forwarded-Proto": "ftp, x"},
                f"ftp://{PUBLIC_HOST}/twilio/pay-status",
            ),
        ]:
            lines = list(forwarded.items())
            assert await post(local, TYPING, would_be, lines) == 403
            assert await post(local, CARD_ENTERED, local, lines) == 204
        assert await stored(agent) == 1


@pytest.mark.parametrize("value", [-1, 17, "2", 1.0])
def test_a_hop_count_out_of_range_is_a_clear_error(value: object) -> None:
    with pytest.raises(ConfigurationError, match="trust_forwarded must be True"):
        StatusCallbackReceiver(
            auth_token=AUTH_TOKEN,
            store=MemoryProgressStore(),
            trust_forwarded=value,  # type: ignore[arg-type]
        )


async def test_the_mcp_servers_callback_route_reads_every_forwarded_line() -> None:
    """The MCP HTTP server's receiver route, behind a proxy that adds header lines of its own
    after the client's: the proxy's (last) line is the one checked, as on the receiver's own."""
    port, store = free_port(), MemoryProgressStore()
    async with OCPAgent(progress_store=store) as agent:
        receiver = StatusCallbackReceiver(
            auth_token=AUTH_TOKEN,
            store=store,
            public_url=f"https://{PUBLIC_HOST}",
            trust_forwarded=True,
        )
        app = http_application(agent, [], token=TOKEN, receiver=receiver)
        client_put = [("X-Forwarded-Host", "other.example"), ("X-Forwarded-Proto", "https")]
        async with (
            served_here(app, port) as server,
            proxy(server.base, Hop(PUBLIC_HOST, "https", lines=True)) as entry,
        ):
            assert await post(entry + CALLBACK_PATH, TYPING, OTHER_URL, client_put) == 403
            assert await post(entry + CALLBACK_PATH, CARD_ENTERED, PUBLIC_URL, client_put) == 204
        assert await stored(agent) == 1
