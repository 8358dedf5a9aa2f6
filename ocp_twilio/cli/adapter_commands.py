"""``ocp-twilio mcp`` (an MCP server over stdio) and ``ocp-twilio catalog`` (a JSON listing)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar, cast

import click
from click.core import ParameterSource

from .._agent import OCPAgent, load_api
from .._exceptions import OCPError
from ..adapters import (
    FRAMEWORKS,
    Framework,
    OpenAIShape,
    ocp_catalog,
    tool_definitions,
)
from ..tools.selection import select_tools
from ..tools.tool import Tool
from . import main
from .failures import ExitCode, fail

F = TypeVar("F", bound=Callable[..., Any])


def _tool_filters(command: F) -> F:
    """The options that choose tools, shared by both commands; each may repeat or list a,b."""
    for option in reversed(
        (
            click.option(
                "--spec",
                type=click.Path(exists=True, path_type=Path),
                default=None,
                help="Spec file or directory (OpenAPI or YAML) instead of the installed tools.",
            ),
            click.option("--services", multiple=True, help="Only tools of these services."),
            click.option("--tags", multiple=True, help="Only tools with one of these tags."),
            click.option("--tools", "names", multiple=True, help="Only these tools, by name."),
        )
    ):
        command = option(command)
    return command


@main.command()
@_tool_filters
@click.option(
    "--compact",
    is_flag=True,
    help="Serve findTwilioTool, describeTwilioTool and callTwilioTool, which reach every tool; "
    "--services, --tags and --tools then choose tools served beside them.",
)
def mcp(
    spec: Path | None,
    services: tuple[str, ...],
    tags: tuple[str, ...],
    names: tuple[str, ...],
    compact: bool,
) -> None:
    """Serve the tools over stdio as an MCP server (needs the ``mcp`` extra).

    Credentials and host come from the TWILIO_* variables, as for the library.
    """
    try:
        import mcp.server.lowlevel  # noqa: F401  # the SDK serve_stdio runs on, imported late
    except ImportError as exc:
        fail(
            f"The MCP server needs the mcp extra ({exc}); install it from the ocp-twilio "
            "checkout with:\n  .venv/bin/pip install -e '.[mcp]'",
            ExitCode.CONFIGURATION,
        )
    from ..adapters.mcp_server import serve_stdio

    async def serve() -> None:
        # MCP clients check structuredContent against outputSchema and fail the whole call when
        # it does not match; a strict agent reports such an answer as an isError result instead.
        async with OCPAgent(response_validation="strict") as agent:
            await agent.register_api("twilio", spec=spec)
            beside = not compact or bool(services or tags or names)
            tools = _chosen(agent.list_tools(), services, tags, names) if beside else []
            await serve_stdio(agent, [*agent.compact_tools(), *tools] if compact else tools)

    try:
        asyncio.run(serve())
    except OCPError as exc:
        fail(exc)


@main.command()
@_tool_filters
@click.option(
    "--format",
    "output",
    type=click.Choice(["ocp", *FRAMEWORKS]),
    default="ocp",
    show_default=True,
    help="OCP registry entries (a registry file), or a framework's tool list.",
)
@click.option("--strict", is_flag=True, help="OpenAI only: strict-mode schemas.")
@click.option(
    "--shape",
    type=click.Choice(["chat", "responses"]),
    default="chat",
    show_default=True,
    help="OpenAI only: Chat Completions or Responses tools.",
)
def catalog(
    spec: Path | None,
    services: tuple[str, ...],
    tags: tuple[str, ...],
    names: tuple[str, ...],
    output: str,
    strict: bool,
    shape: str,
) -> None:
    """Print the tools as JSON, for tool catalogs. No credentials are needed."""
    _refuse_openai_options(output, strict)
    try:
        definition, tools = load_api("twilio", spec)
        chosen = _chosen(tools, services, tags, names)
        document: Any = (
            ocp_catalog(definition, chosen)
            if output == "ocp"
            else tool_definitions(
                chosen, cast(Framework, output), strict=strict, shape=cast(OpenAIShape, shape)
            )
        )
    except OCPError as exc:
        fail(exc)
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


def _refuse_openai_options(output: str, strict: bool) -> None:
    """--strict and --shape change OpenAI's list only: elsewhere they would do nothing."""
    source = click.get_current_context().get_parameter_source("shape")
    shape_given = source is not ParameterSource.DEFAULT
    given = [name for name, on in (("--strict", strict), ("--shape", shape_given)) if on]
    if output != "openai" and given:
        fail(f"{' and '.join(given)}: for --format openai only.", ExitCode.BAD_INPUT)


def _chosen(
    tools: Iterable[Tool], services: tuple[str, ...], tags: tuple[str, ...], names: tuple[str, ...]
) -> list[Tool]:
    chosen = select_tools(tools, services=services, tags=tags, names=names)
    if not chosen:
        fail("No tool matches --services, --tags and --tools together.", ExitCode.BAD_INPUT)
    return chosen
