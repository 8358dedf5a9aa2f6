"""``ocp-twilio sandbox``: run the Twilio Payments sandbox on 127.0.0.1 until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal

import click

from ..sandbox import Sandbox
from .failures import ExitCode, fail

__all__ = ["sandbox", "stop_requested"]


@click.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port on 127.0.0.1; 0 picks a free one.",
)
@click.option("--account-sid", help="Fixed test Account SID (AC + 32 hex) instead of a fresh one.")
@click.option("--auth-token", help="Fixed test auth token instead of a fresh one.")
@click.option("--api-key-sid", help="Fixed test API key SID (SK + 32 hex) instead of a fresh one.")
@click.option("--api-key-secret", help="Fixed test API key secret instead of a fresh one.")
@click.option(
    "--typing-delay",
    type=click.FloatRange(0, 60),
    default=0.0,
    show_default=True,
    help="Seconds the simulated caller waits before each key; 0 types at once.",
)
@click.option(
    "--console",
    is_flag=True,
    help="Print the address of the sandbox console, a live page of its calls and payments "
    "(a one-time link; calls started with Caller=console wait for you at its keypad).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the address and credentials as one JSON line."
)
def sandbox(
    port: int,
    account_sid: str | None,
    auth_token: str | None,
    api_key_sid: str | None,
    api_key_secret: str | None,
    typing_delay: float,
    console: bool,
    as_json: bool,
) -> None:
    """Run the Twilio Payments sandbox until Ctrl-C; its test credentials are printed at start."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    try:
        server = Sandbox(
            port=port,
            account_sid=account_sid,
            auth_token=auth_token,
            api_key_sid=api_key_sid,
            api_key_secret=api_key_secret,
            typing_delay=typing_delay,
        )
    except ValueError as exc:
        fail(str(exc), ExitCode.BAD_INPUT)
    try:
        asyncio.run(_serve(server, as_json, console))
    except OSError as exc:
        fail(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}", ExitCode.TRANSPORT_ERROR)
    except KeyboardInterrupt:
        pass  # where signal handlers are unavailable; stopping is not a failure


async def _serve(server: Sandbox, as_json: bool, console: bool) -> None:
    stop = stop_requested()
    async with server:
        _announce(server, as_json, console)
        await stop.wait()
    if not as_json:
        click.echo("Sandbox stopped.")


def stop_requested() -> asyncio.Event:
    """An event that Ctrl-C or SIGTERM sets from now on (before anything is announced, so that
    a signal sent at once is not missed)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    return stop


def _announce(server: Sandbox, as_json: bool, console: bool) -> None:
    console_url = server.console_url() if console else None
    if as_json:
        details = {
            "url": server.url,
            "account_sid": server.account_sid,
            "auth_token": server.auth_token,
            "api_key_sid": server.api_key_sid,
            "api_key_secret": server.api_key_secret,
            "environ": server.environ(),
            **({"console_url": console_url} if console_url else {}),
        }
        click.echo(json.dumps(details))
        return
    exports = " ".join(f"{k}={v}" for k, v in server.environ().items())
    click.echo(
        f"Twilio Payments sandbox on {server.url} (test credentials, valid only here)\n"
        f"  Account SID: {server.account_sid}\n"
        f"  Auth token:  {server.auth_token}\n"
        f"  API key:     {server.api_key_sid} (secret {server.api_key_secret})\n\n"
        f"Point an agent at it:\n  export {exports}\n\n"
        f"Start a simulated live call (sandbox only):\n"
        f"  curl -u {server.account_sid}:{server.auth_token} -X POST {server.url}/sandbox/calls\n"
        f"Recorded StatusCallback events: GET {server.url}/sandbox/events\n\n"
        + (
            f"The console, live (open it in a browser; the link works once):\n  {console_url}\n"
            f"A call where you are the caller, at the console's keypad:\n"
            f"  curl -u {server.account_sid}:{server.auth_token} -d Caller=console "
            f"{server.url}/sandbox/calls\n\n"
            if console_url
            else ""
        )
        + "Press Ctrl-C to stop."
    )
