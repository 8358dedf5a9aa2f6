"""``ocp-twilio policy check FILE``: what each rule of an operator's policy selects among the
tools, before the policy is put in force (``mcp --policy``, ``call --policy``)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import click

from .._exceptions import OCPError
from ..policy.audit import AuditLog
from ..policy.guard import PolicyGuard, RuleReport
from ..policy.rules import Policy
from ..registration.apis import load_tools
from ..tools.tool import Tool
from .failures import ExitCode, fail
from .options import spec_option
from .table import format_table

__all__ = ["policy"]

# Names shown for a rule; the count says how many more it selects.
_SHOWN = 3


@click.group()
def policy() -> None:
    """The operator's policy: what the tools may do, whatever asks."""


@policy.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@spec_option
def check(file: Path, spec: Path | None) -> None:
    """Read the policy FILE (YAML or TOML), load the tools as ``mcp`` serves them (no
    credentials needed), and list each rule with the tools it selects and the arguments it pins
    (which leave the model's schema).

    Exit codes: 0 every rule selects a tool, 5 the file is not a policy, a pin does not fit
    its tool, or a rule selects no tool.
    """
    try:
        reports, pins, total = _checked(Policy.load(file), load_tools("twilio", spec))
    except OCPError as exc:
        fail(exc)
    click.echo(f"{file}: {len(reports)} rules over {total} registered tools.")
    rows = [(r.rule, r.selector, _selected(r)) for r in reports]
    width = shutil.get_terminal_size((120, 24)).columns
    click.echo(format_table(("RULE", "SELECTOR", "SELECTS"), rows, width=width))
    for tool, names in pins.items():
        click.echo(f"Pinned for {tool}, so left out of its schema: {', '.join(names)}.")
    empty = [r.rule for r in reports if not r.matches]
    if empty:
        fail(
            f"{len(empty)} rule(s) select no registered tool: {'; '.join(empty)}. Fix the name "
            "(see `ocp-twilio tools`), register the API it is for (--spec), or remove the rule: "
            "until then the policy cannot be put in force.",
            ExitCode.CONFIGURATION,
        )


def _checked(
    rules: Policy, tools: Sequence[Tool]
) -> tuple[list[RuleReport], dict[str, list[str]], int]:
    """Each rule's report, the arguments pinned per tool, and the number of tools."""
    # A guard of its own, never in force: use_policy would stop at the first empty rule.
    guard = PolicyGuard(rules, None, AuditLog())
    pins = {tool.name: sorted(p) for tool in tools if (p := guard.pins_for(tool))}
    return guard.report(tools), pins, len(tools)


def _selected(report: RuleReport) -> str:
    count = len(report.matches)
    if not count:
        return "NOTHING: no registered tool"
    names = ", ".join(report.matches[:_SHOWN])
    more = f", +{count - _SHOWN} more" if count > _SHOWN else ""
    return f"{count} tool{'s' if count > 1 else ''}: {names}{more}"
