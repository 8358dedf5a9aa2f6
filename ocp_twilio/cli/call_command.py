"""``ocp-twilio call NAME``: call one tool with JSON or KEY=VALUE arguments, print the result."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from .._agent import OCPAgent
from .._exceptions import OCPError
from .._json import NotJSON, read_json
from ..tools.tool import Tool
from .failures import ExitCode, fail
from .known_tools import find_tool
from .options import policy_file, policy_option, spec_option
from .output import echo_json

__all__ = ["call"]


@click.command()
@click.argument("name")
@click.option("--json", "json_text", help="Arguments as one JSON object.")
@click.option(
    "--arg",
    "pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="One argument (repeatable); non-string values are read as JSON (true, 12.5).",
)
@click.option("--base-url", help="Send to this server instead of Twilio (default TWILIO_BASE_URL).")
@click.option(
    "--timeout",
    type=float,
    callback=lambda _context, _option, value: _positive_seconds(value),
    help="Seconds to wait for the answer (more than 0).",
)
@spec_option
@policy_option
def call(
    name: str,
    json_text: str | None,
    pairs: tuple[str, ...],
    base_url: str | None,
    timeout: float | None,
    spec: Path | None,
    policy: Path | None,
) -> None:
    """Call tool NAME with credentials from the TWILIO_* variables; print the result as JSON.
    With --policy (or OCP_TWILIO_POLICY) the operator's policy decides the call first; nobody
    is at hand to approve it, so a call it asks approval for is refused.

    Exit codes: 0 success, 2 bad input (nothing sent), 3 API error, 4 transport error,
    5 configuration error, 6 refused by the policy (nothing sent).
    """
    try:
        tool = find_tool(name, spec)
        arguments = _arguments(tool, json_text, pairs)
        tool.validate(arguments)  # bad input is exit 2 even where credentials are missing too
        result = asyncio.run(
            _call(tool.name, arguments, base_url, timeout, spec, policy_file(policy))
        )
    except OCPError as exc:
        fail(exc)
    echo_json(result)


async def _call(
    name: str,
    arguments: Mapping[str, Any],
    base_url: str | None,
    timeout: float | None,
    spec: Path | None,
    policy: Path | None,
) -> Any:
    async with OCPAgent() as agent:
        await agent.register_api("twilio", base_url=base_url, spec=spec)
        if policy is not None:
            agent.use_policy(policy)
        return await agent.call_tool(name, arguments, timeout=timeout)


def _positive_seconds(value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise click.BadParameter(f"{value} is not a positive, finite number of seconds.")
    return value


def _arguments(tool: Tool, json_text: str | None, pairs: tuple[str, ...]) -> dict[str, Any]:
    arguments: dict[str, Any] = {}
    if json_text is not None:
        try:
            document = read_json(json_text)
        except NotJSON as exc:
            fail(f"--json is not valid JSON: {exc}", ExitCode.BAD_INPUT)
        if not isinstance(document, dict):
            fail("--json must be a JSON object of name/value pairs.", ExitCode.BAD_INPUT)
        arguments.update(document)
    properties = tool.input_schema["properties"]
    from_json = set(arguments)
    for pair in pairs:
        key, equals, text = pair.partition("=")
        if not equals or not key:
            fail(f"--arg {pair!r} must look like KEY=VALUE.", ExitCode.BAD_INPUT)
        if key in arguments:
            where = "--json and --arg" if key in from_json else "more than one --arg"
            fail(f"{key} is given by {where}; give it once.", ExitCode.BAD_INPUT)
        arguments[key] = _typed(text, properties.get(key, {}))
    return arguments


def _typed(text: str, schema: Mapping[str, Any]) -> Any:
    """A string for string arguments; JSON (number, boolean, object) for the others."""
    kinds = schema.get("type", "string")
    if "string" in ([kinds] if isinstance(kinds, str) else kinds):
        return text
    try:
        return read_json(text)
    except NotJSON:
        return text  # validation then names the expected type
