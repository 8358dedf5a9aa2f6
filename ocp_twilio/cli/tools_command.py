"""``ocp-twilio tools`` and ``ocp-twilio describe NAME``: what can be called, and how."""

from __future__ import annotations

import shlex
import shutil
import textwrap
from pathlib import Path
from typing import Any

import click

from .._exceptions import OCPError
from ..tools.tool import Tool
from .failures import fail
from .known_tools import example_arguments, find_tool, known_tools
from .options import spec_option
from .output import compact_json, echo_json
from .table import format_table

__all__ = ["describe", "tools"]

_JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")


@click.command()
@spec_option
@_JSON_OPTION
def tools(spec: Path | None, as_json: bool) -> None:
    """List the tools, with their HTTP operation (or "local") and purpose."""
    try:
        catalog = known_tools(spec).tools()
    except OCPError as exc:
        fail(exc)
    if as_json:
        echo_json([_summary(t) for t in catalog])
        return
    rows = [(t.name, t.api, _operation(t), _first_sentence(t)) for t in catalog]
    # The terminal's width, else $COLUMNS, else 120 (output to a pipe or a file).
    width = shutil.get_terminal_size((120, 24)).columns
    click.echo(format_table(("NAME", "API", "OPERATION", "DESCRIPTION"), rows, width=width))


@click.command()
@click.argument("name")
@spec_option
@_JSON_OPTION
def describe(name: str, spec: Path | None, as_json: bool) -> None:
    """Show a tool's arguments, input schema and an example call."""
    try:
        tool = find_tool(name, spec)
    except OCPError as exc:
        fail(exc)
    example = example_arguments(tool)
    if as_json:
        echo_json(
            {
                **_summary(tool),
                "input_schema": tool.input_schema,
                "output_schema": tool.output_schema,
                "example": example,
            }
        )
        return
    click.echo(click.style(tool.name, bold=True) + f"  {tool.endpoint}\n")
    click.echo(textwrap.fill(tool.description, width=100) + "\n")
    click.echo(click.style("Arguments", bold=True))
    click.echo("\n".join(_argument_lines(tool)))
    for group in tool.spec.exactly_one_of:
        click.echo(f"Give exactly one of: {', '.join(group)}.")
    click.echo("\n" + click.style("Input schema", bold=True))
    echo_json(tool.input_schema)
    click.echo("\n" + click.style("Example", bold=True))
    given = f" --spec {shlex.quote(str(spec))}" if spec else ""
    click.echo(f"ocp-twilio call {tool.name}{given} --json {shlex.quote(compact_json(example))}")


def _summary(tool: Tool) -> dict[str, Any]:
    return {
        "name": tool.name,
        "api": tool.api,
        # A local tool has no HTTP operation.
        "method": tool.method or None,
        "path": tool.path or None,
        "description": tool.description,
    }


def _argument_lines(tool: Tool) -> list[str]:
    """Each argument: name, whether it is needed, its type; then its description, indented."""
    required = set(tool.input_schema.get("required", []))
    lines = []
    for param in tool.spec.parameters:
        schema = tool.input_schema["properties"][param.name]
        if param.from_credentials:
            needed = "optional, from the credentials"
        else:
            needed = "required" if param.name in required else "optional"
        lines.append(f"  {click.style(param.name, bold=True)} ({needed}): {_type_text(schema)}")
        lines += textwrap.wrap(
            param.description, 96, initial_indent=" " * 6, subsequent_indent=" " * 6
        )
    return lines


def _type_text(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return "one of " + ", ".join(str(v) for v in schema["enum"])
    kind = schema.get("type", "any")
    text = kind if isinstance(kind, str) else "|".join(kind)
    return f"{text} ({schema['format']})" if "format" in schema else text


def _operation(tool: Tool) -> str:
    """The method and path, the account's prefix cut; a local tool's "local {name}"."""
    if not tool.path:
        return tool.endpoint
    return f"{tool.method} {tool.path.removeprefix('/2010-04-01/Accounts/{AccountSid}')}"


def _first_sentence(tool: Tool) -> str:
    return tool.description.split(". ")[0].rstrip(".") + "."
