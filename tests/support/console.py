"""Helpers for the console tests: a logged-in client, the event stream read as a page reads it,
the person's keys, and the scripted agent of the demo taking the payment."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from ocp_twilio import OCPAgent
from ocp_twilio.cli.demo_agent import AgentCall, Outcome, take_payment
from ocp_twilio.sandbox import INVALID_CARD, TEST_CARD, Sandbox

CONSOLE = "/sandbox/console"
CARD_NUMBERS = (TEST_CARD.number, INVALID_CARD)
SID = re.compile(r"[A-Z]{2}[0-9a-f]{32}")


def leaks(text: str) -> list[str]:
    """What in ``text`` shows a card number keyed in, a run of 12+ digits outside a sid, or a
    security code unmasked (3 digits are too common to look for as such)."""
    found = [number for number in CARD_NUMBERS if number in text]
    found += re.findall(r"\d(?:[ -]?\d){11,}", SID.sub("", text))
    codes = re.findall(r"SecurityCode\W+(\w*)", text)
    return found + [code for code in codes if code.strip("x")]


@asynccontextmanager
async def console_client(sandbox: Sandbox) -> AsyncIterator[aiohttp.ClientSession]:
    """A client that opened the console's one-time link, so holds its session cookie."""
    # unsafe: aiohttp's jar otherwise keeps no cookie of an IP address such as 127.0.0.1.
    # read_bufsize: a snapshot line (1,000 timeline entries) passes aiohttp's default limit
    # of 512 KiB a line; a browser's EventSource has none.
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True), read_bufsize=2**21
    ) as client:
        async with client.get(sandbox.console_url()) as page:
            assert page.status == 200, page.status
        yield client


async def messages(response: aiohttp.ClientResponse) -> AsyncIterator[dict[str, Any]]:
    """The JSON messages of a server-sent event stream, as EventSource hands them over."""
    async for line in response.content:
        if line.startswith(b"data: "):
            yield json.loads(line[len(b"data: ") :])


async def press(client: aiohttp.ClientSession, sandbox: Sandbox, sid: str, *keys: str) -> None:
    for key in keys:
        async with client.post(
            sandbox.url + CONSOLE + "/keys", data={"Sid": sid, "Key": key}
        ) as answer:
            assert answer.status == 200, await answer.text()


class Recorder:
    """The demo agent's narrator, keeping every tool call it made."""

    def __init__(self) -> None:
        self.calls: list[AgentCall] = []

    def intends(self, title: str) -> None:
        pass

    def saw(self, call: AgentCall) -> None:
        self.calls.append(call)

    def answers(self, tool: str) -> list[Any]:
        return [c.answer for c in self.calls if c.tool.endswith(tool) and c.error is None]


async def agent_takes_payment(sandbox: Sandbox, call_sid: str, recorder: Recorder) -> Outcome:
    async with OCPAgent() as agent:
        await agent.register_api("twilio", environ=sandbox.environ())
        async with agent.serve_status_callbacks(auth_token=sandbox.auth_token):
            return await take_payment(agent, call_sid, recorder)
