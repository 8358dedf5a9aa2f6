"""``ocp-twilio demo``: an agent takes a card payment on a simulated call (``--scenario
payment``), or reminds a person of an appointment by text and, where the text cannot reach them,
by a call (``--scenario reminder``), and prints what it sees.

Two sides, as with Twilio: the sandbox plays Twilio and the person on the phone (demo_caller.py,
the sandbox's scripted recipients); the agent (demo_agent.py, demo_reminder.py) has only its
tools and its callback receiver, which the sandbox calls back, signed, as Twilio would.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
from collections.abc import Coroutine
from typing import Any, TypeVar

import click

from .._agent import OCPAgent
from .._exceptions import OCPError
from ..payments.tools import MAX_WAIT_SECONDS
from ..sandbox import Sandbox, Timing
from .demo_agent import WAIT, WAIT_SECONDS, AgentCall, Outcome, take_payment
from .demo_caller import CALLERS, DEFAULT_CALLER, PERSON, call_in
from .demo_reminder import DEFAULT_RECIPIENT, RECIPIENTS, ReminderOutcome, remind
from .failures import ExitCode, fail
from .output import compact_json
from .sandbox_command import stop_requested

__all__ = ["demo"]

T = TypeVar("T")

# Short enough to finish in seconds, long enough that the PartialResult callbacks show.
TYPING_DELAY = 0.02
# With --console: slow enough to watch each key arrive, and how long the page may take to open.
WATCHED_TYPING_DELAY = 0.25
VIEWER_WAIT_SECONDS = 300
# How long the reminder's call lasts once answered (the sandbox plays no TwiML).
CALL_SECONDS = 1.0
# Where progress shows each field's masked value as it is typed.
_ENTERED_AS = {
    "payment-card-number": "card_number",
    "expiration-date": "expiration_date",
    "security-code": "security_code",
    "postal-code": "postal_code",
}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document for machines.")
@click.option(
    "--scenario",
    type=click.Choice(["payment", "reminder"]),
    default="payment",
    show_default=True,
    help="payment: take a card payment on a call; reminder: text an appointment reminder, wait "
    "for delivery and the answer, and call where the text cannot arrive.",
)
@click.option(
    "--recipient",
    type=click.Choice(list(RECIPIENTS)),
    default=DEFAULT_RECIPIENT,
    show_default=True,
    help="Who is reminded (--scenario reminder): "
    + "; ".join(f"{name}: {what}" for name, (_, what) in RECIPIENTS.items())
    + ".",
)
@click.option(
    "--caller",
    type=click.Choice([*CALLERS, PERSON]),
    default=DEFAULT_CALLER,
    show_default=True,
    help="What the simulated caller does: "
    + "; ".join(f"{name}: {what}" for name, (what, _) in CALLERS.items())
    + f"; {PERSON}: you key in, at the console's keypad (with --console).",
)
@click.option(
    "--console",
    is_flag=True,
    help="Print the address of the sandbox console and start once it is open; the caller "
    "types slowly enough to watch, and the page stays up after the payment until Ctrl-C.",
)
def demo(as_json: bool, scenario: str, recipient: str, caller: str, console: bool) -> None:
    """Take a card payment on a simulated call, or remind a person of an appointment, in the
    embedded sandbox (no Twilio account).

    Exits 0 only when the payment completed (Result success) or the reminder reached the person,
    1 when it did not.
    """
    if scenario == "reminder":
        if console:
            fail("--console plays the payment's caller: leave it out with --scenario reminder.")
        reminder = _ran(_run_reminder(_Printer(as_json), recipient))
        if not reminder.reached:
            fail(
                f"the reminder did not reach the person: {reminder.message}",
                ExitCode.NOT_COMPLETED,
            )
        return
    if caller == PERSON and not console:
        fail(f"--caller {PERSON} needs --console: the console's keypad is where you key in.")
    outcome = _ran(_run(_Printer(as_json), caller, console))
    if not outcome.completed:
        fail(f"the payment did not complete: {outcome.message}", ExitCode.NOT_COMPLETED)


def _ran(scenario: Coroutine[Any, Any, T]) -> T:
    """What ``scenario`` ended with; a setup failure exits with its error."""
    try:
        return asyncio.run(scenario)
    except OSError as exc:
        fail(f"cannot start the sandbox or the receiver: {exc}", ExitCode.TRANSPORT_ERROR)
    except OCPError as exc:
        fail(exc)


async def _run_reminder(printer: _Printer, recipient: str) -> ReminderOutcome:
    number, what = RECIPIENTS[recipient]
    # An answered call says the reminder and ends: a second, not the sandbox's minute.
    timing = Timing(call_length=CALL_SECONDS)
    async with Sandbox(timing=timing) as sandbox, OCPAgent(response_validation="strict") as agent:
        await _register(agent, sandbox)
        async with agent.serve_status_callbacks(auth_token=sandbox.auth_token) as receiver:
            # The application's set-up: where its Twilio number sends the texts it receives.
            sandbox.set_sms_url(receiver.url_for("reply"))
            printer.start_reminder(sandbox.url, receiver.url_for("message"), number, what)
            outcome = await remind(agent, number, sandbox.phone_number, printer)
            printer.finish_reminder(outcome)
            return outcome


async def _register(agent: OCPAgent, sandbox: Sandbox) -> None:
    """The application's set-up: its Twilio credentials (the sandbox's), and Twilio's address."""
    await agent.register_api(
        "twilio",
        base_url=sandbox.url,
        account_sid=sandbox.account_sid,
        auth_token=sandbox.auth_token,
        # The sandbox's account, never the user's Twilio settings; the cache stays theirs.
        environ={k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")},
    )


async def _run(printer: _Printer, caller: str, console: bool) -> Outcome:
    stop = stop_requested() if console else None
    async with (
        Sandbox(typing_delay=WATCHED_TYPING_DELAY if console else TYPING_DELAY) as sandbox,
        OCPAgent(response_validation="strict") as agent,
    ):
        await _register(agent, sandbox)
        async with agent.serve_status_callbacks(auth_token=sandbox.auth_token) as receiver:
            if stop is not None and not await _until(stop, _console_opened(sandbox, printer)):
                return Outcome(False, "the console was not opened; nothing was started")
            call_sid, what = call_in(sandbox, caller)
            printer.start(sandbox.url, receiver.url, call_sid, what)
            # A person may pause between keys up to the sandbox's key timeout.
            wait = MAX_WAIT_SECONDS if caller == PERSON else WAIT_SECONDS
            payment = take_payment(agent, call_sid, printer, wait_seconds=wait)
            outcome = await payment if stop is None else await _until(stop, payment)
            if outcome is None:
                return Outcome(False, "stopped before the payment ended")
            printer.finish(outcome)
            if stop is not None:
                printer.aside("The console stays open with the payment; press Ctrl-C to stop.")
                await stop.wait()
            return outcome


async def _until(stop: asyncio.Event, work: Coroutine[Any, Any, T]) -> T | None:
    """``work``'s result, or None if Ctrl-C (or SIGTERM) came first (``work`` is cancelled)."""
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait([task, stopped], return_when=asyncio.FIRST_COMPLETED)
    for waiting in (task, stopped):
        waiting.cancel()
    await asyncio.gather(task, stopped, return_exceptions=True)
    return task.result() if not task.cancelled() else None


async def _console_opened(sandbox: Sandbox, printer: _Printer) -> bool:
    printer.aside(
        f"The sandbox console (open it in a browser; the link works once):\n  "
        f"{sandbox.console_url()}\nThe payment starts once the page is open.\n"
    )
    viewers = sandbox.console.viewers
    for _ in range(VIEWER_WAIT_SECONDS * 10):
        if len(viewers):
            return True
        await asyncio.sleep(0.1)
    return False


class _Printer:
    """Prints each step as it happens, or keeps it for the JSON document."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.document: dict[str, Any] = {"steps": []}

    def aside(self, text: str) -> None:
        """A line for the person watching, kept off the JSON document (on stderr with --json)."""
        click.echo(text, err=self.as_json)

    def finish(self, outcome: Outcome) -> None:
        if self.as_json:
            click.echo(json.dumps({**self.document, **dataclasses.asdict(outcome)}, indent=2))
        elif outcome.completed:
            click.echo(
                click.style(
                    f"Result success, confirmation code {outcome.confirmation_code}",
                    fg="green",
                    bold=True,
                )
            )

    def finish_reminder(self, outcome: ReminderOutcome) -> None:
        if self.as_json:
            click.echo(json.dumps({**self.document, **dataclasses.asdict(outcome)}, indent=2))
        else:
            click.echo(
                click.style(f"\n{outcome.message}", fg="green" if outcome.reached else "red")
            )

    def start_reminder(self, sandbox_url: str, receiver_url: str, to: str, who: str) -> None:
        self.document.update(sandbox=sandbox_url, receiver=receiver_url, to=to, recipient=who)
        if not self.as_json:
            click.echo(f"Twilio and the person (the sandbox): {sandbox_url}")
            click.echo(f"The agent's callback receiver: {receiver_url}")
            click.echo(f"The person at {to} {who}.\n")
            click.echo("What the agent does and sees:")

    def start(self, sandbox_url: str, receiver_url: str, call_sid: str, caller: str) -> None:
        self.document.update(
            sandbox=sandbox_url, receiver=receiver_url, call_sid=call_sid, caller=caller
        )
        if not self.as_json:
            click.echo(f"Twilio and the caller (the sandbox): {sandbox_url}")
            click.echo(f"The agent's StatusCallback receiver: {receiver_url}")
            click.echo(f"A call is live ({call_sid}); the caller {caller}.\n")
            click.echo("What the agent does and sees:")

    def intends(self, title: str) -> None:
        steps = self.document["steps"]
        steps.append({"title": title, "calls": []})
        if not self.as_json:
            click.echo(click.style(f"\n{len(steps)}. {title}", bold=True))

    def saw(self, call: AgentCall) -> None:
        self.document["steps"][-1]["calls"].append(dataclasses.asdict(call))
        if self.as_json:
            return
        tool = call.tool.split("__")[-1]
        if call.tool == WAIT and call.error is None and call.answer.get("typing"):
            capturing = call.answer["capturing"]
            typed = call.answer["entered"].get(_ENTERED_AS.get(capturing, "")) or "(no key yet)"
            click.echo(f"   {tool}: the caller is typing the {capturing}: {typed}")
            return
        click.echo(f"   -> {tool} {compact_json(call.sent)}")
        if call.error is not None:
            click.echo(click.style(f"   <- failed: {call.error}", fg="red"))
        else:
            click.echo(f"   <- {compact_json(call.answer)}")
