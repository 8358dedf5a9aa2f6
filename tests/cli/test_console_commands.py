"""``ocp-twilio sandbox --console`` and ``ocp-twilio demo --console``, run as a user runs them:
the printed link opens the console, and the demo waits for the page, then for Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from click.testing import CliRunner
from support.console import CONSOLE, messages

from ocp_twilio.cli import main

CONSOLE_SCRIPT = Path(sys.executable).with_name("ocp-twilio")
LINK = re.compile(r"http://127\.0\.0\.1:\d+/sandbox/console\?token=[\w-]+")


@asynccontextmanager
async def command(*arguments: str) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        str(CONSOLE_SCRIPT),
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")},
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def read_until(process: asyncio.subprocess.Process, pattern: re.Pattern[str]) -> str:
    """The first match of ``pattern`` in the command's output, line by line."""
    assert process.stdout is not None
    while line := (await asyncio.wait_for(process.stdout.readline(), 30)).decode():
        if found := pattern.search(line):
            return found.group(0)
    raise AssertionError(f"the command ended without printing {pattern.pattern}")


def viewer() -> aiohttp.ClientSession:
    # unsafe: aiohttp's jar otherwise keeps no cookie of an IP address such as 127.0.0.1.
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def test_sandbox_console_prints_a_link_that_opens_the_page() -> None:
    async with command("sandbox", "--console", "--json") as process, viewer() as client:
        assert process.stdout is not None
        details = json.loads(await process.stdout.readline())
        async with client.get(details["console_url"]) as page:
            assert page.status == 200 and "<title>ocp-twilio sandbox console" in await page.text()
            assert str(page.url) == details["url"] + CONSOLE
        process.send_signal(signal.SIGINT)
        assert await process.wait() == 0


async def test_sandbox_console_for_humans_says_how_to_be_the_caller() -> None:
    async with command("sandbox", "--console") as process:
        assert LINK.search(await read_until(process, LINK))
        line = await read_until(process, re.compile(r"curl .* -d Caller=console \S+"))
        assert line.endswith("/sandbox/calls")
        process.send_signal(signal.SIGTERM)
        assert await process.wait() == 0


async def test_demo_console_waits_for_the_page_then_runs_slowly_then_for_ctrl_c() -> None:
    async with command("demo", "--console") as process, viewer() as client:
        link = await read_until(process, LINK)
        async with client.get(link), client.get(link.split("?")[0] + "/events") as stream:
            typed = 0
            async for message in messages(stream):
                payments = message.get("call", {}).get("payments") or [{}]
                typed += message.get("entry", {}).get("fields", {}).get("PartialResult") == "true"
                if payments[0].get("outcome"):
                    break
        assert payments[0]["outcome"]["Result"] == "success"
        assert typed > 30  # each key a callback, watched as it came
        await read_until(process, re.compile("The console stays open"))
        process.send_signal(signal.SIGINT)
        assert await process.wait() == 0


async def test_demo_console_with_you_as_the_caller_waits_for_your_keys() -> None:
    async with command("demo", "--console", "--caller", "you") as process, viewer() as client:
        link = await read_until(process, LINK)
        async with client.get(link), client.get(link.split("?")[0] + "/events") as stream:
            async for message in messages(stream):
                [payment] = message.get("call", {}).get("payments") or [None]
                if message["type"] == "request" and payment and payment["keypad"]:
                    form = {"Sid": payment["sid"], "Key": "hang-up"}
                    async with client.post(link.split("?")[0] + "/keys", data=form) as answer:
                        assert answer.status == 200
                    break
        await read_until(process, re.compile("The console stays open"))
        process.send_signal(signal.SIGINT)
        assert await process.wait() == 1
        assert process.stderr is not None
        error = (await process.stderr.read()).decode()
        assert "the payment did not complete: The payment ended with Result caller-hung-up" in error


def test_demo_without_the_console_cannot_have_you_as_the_caller() -> None:
    result = CliRunner().invoke(main, ["demo", "--caller", "you"])

    assert result.exit_code == 2
    assert (
        result.stderr
        == "error: --caller you needs --console: the console's keypad is where you key in.\n"
    )
