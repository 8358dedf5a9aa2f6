"""``ocp-twilio demo``: a whole card payment against the embedded sandbox, printed step by step."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os

import click

from .._agent import OCPAgent
from ..sandbox import Sandbox
from . import main
from .demo_flow import DemoStep, Report, run_demo
from .failures import ExitCode, fail
from .output import compact_json

__all__ = ["demo"]

# Callback fields worth showing: the step, what is still required, masked values, the result.
_SHOWN_FIELDS = (
    "Capture",
    "Status",
    "Required",
    "PaymentCardNumber",
    "PaymentCardType",
    "ExpirationDate",
    "SecurityCode",
    "PaymentCardPostalCode",
    "Result",
    "PaymentConfirmationCode",
)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document for machines.")
def demo(as_json: bool) -> None:
    """Take a card payment on a simulated call, in the embedded sandbox (no Twilio account).

    Exits 0 only when the payment completed.
    """
    steps: list[DemoStep] = []

    def report(step: DemoStep) -> None:
        steps.append(step)
        if not as_json:
            _print_step(len(steps), step)

    try:
        url, completed = asyncio.run(_run(report, as_json))
    except OSError as exc:
        fail(f"cannot start the sandbox: {exc}", ExitCode.TRANSPORT_ERROR)
    if as_json:
        document = {
            "completed": completed,
            "sandbox": url,
            "steps": [dataclasses.asdict(s) for s in steps],
        }
        click.echo(json.dumps(document, indent=2))
    elif completed:
        click.echo(click.style("Payment completed.", fg="green", bold=True))
    else:
        click.echo(click.style("The payment did not complete.", fg="red", bold=True), err=True)
    if not completed:
        raise SystemExit(int(ExitCode.NOT_COMPLETED))


async def _run(report: Report, as_json: bool) -> tuple[str, bool]:
    async with Sandbox() as sandbox, OCPAgent(response_validation="strict") as agent:
        if not as_json:
            click.echo(f"Sandbox on {sandbox.url}, test account {sandbox.account_sid}\n")
        await agent.register_api(
            "twilio",
            base_url=sandbox.url,
            account_sid=sandbox.account_sid,
            auth_token=sandbox.auth_token,
            # The sandbox's account, never the user's Twilio settings; the cache stays theirs.
            environ={k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")},
        )
        completed = await run_demo(sandbox, agent, report)
        return sandbox.url, completed


def _print_step(number: int, step: DemoStep) -> None:
    tool = f" [{step.tool}]" if step.tool else ""
    click.echo(click.style(f"{number}. {step.title}{tool}", bold=True))
    if step.sent is not None:
        click.echo(f"   sent:     {compact_json(step.sent)}")
    if step.refused_before_sending:
        click.echo(
            click.style("   refused before sending (nothing reached the sandbox):", fg="yellow")
        )
        click.echo("\n".join(f"     {line}" for line in str(step.error).splitlines()))
    elif step.error is not None:
        click.echo(click.style(f"   failed:   {step.error}", fg="red"))
    else:
        click.echo(f"   answer:   {compact_json(step.result)}")
    if step.callback:
        shown = {k: step.callback[k] or "(nothing)" for k in _SHOWN_FIELDS if k in step.callback}
        click.echo(f"   callback: {compact_json(shown)}")
    click.echo()
