"""``ocp-twilio mcp`` (an MCP server over stdio or Streamable HTTP) and ``ocp-twilio catalog``
(a JSON listing)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, TypeVar, cast

import click
from click.core import ParameterSource

from .._agent import OCPAgent
from .._config import MCP_TOKEN_ENV, read_environment
from .._exceptions import OCPError
from .._extras import install_line
from ..adapters import (
    FRAMEWORKS,
    Framework,
    OpenAIShape,
    ocp_catalog,
    tool_definitions,
)
from ..payments.resource_tools import is_progress_tool
from ..registration.apis import load_api
from ..tools.selection import select_tools
from ..tools.tool import Tool
from .failures import ExitCode, fail
from .options import policy_file, policy_option, spec_option

F = TypeVar("F", bound=Callable[..., Any])


def _tool_filters(command: F) -> F:
    """The options that choose tools, shared by both commands; each may repeat or list a,b."""
    for option in reversed(
        (
            spec_option,
            click.option("--services", multiple=True, help="Only tools of these services."),
            click.option("--tags", multiple=True, help="Only tools with one of these tags."),
            click.option("--tools", "names", multiple=True, help="Only these tools, by name."),
        )
    ):
        command = option(command)
    return command


@click.command()
@_tool_filters
@click.option("--http", "over_http", is_flag=True, help="Serve Streamable HTTP, not stdio.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The address served on (over stdio: the StatusCallback receiver's).",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8765,
    show_default=True,
    help="The port served on (over stdio, with --public-url: the receiver's; default a free one).",
)
@click.option(
    "--public-url",
    default=None,
    help="Where Twilio reaches this server's StatusCallback receiver, which checks signatures "
    "against it (needs TWILIO_AUTH_TOKEN). Over stdio it starts the receiver on HOST:PORT, "
    "which makes the progress tools work; over HTTP the default is http://HOST:PORT.",
)
@click.option(
    "--allowed-host", multiple=True, help="HTTP only: a Host header to accept besides loopback."
)
@click.option(
    "--allowed-origin",
    multiple=True,
    help="HTTP only: a browser page's origin to accept besides the server's own, e.g. "
    "http://localhost:6274 (any other Origin gets 403).",
)
@click.option(
    "--compact",
    is_flag=True,
    help="Serve findTwilioTool, describeTwilioTool and callTwilioTool, which reach every tool; "
    "--services, --tags and --tools then choose tools served beside them.",
)
@policy_option
def mcp(
    spec: Path | None,
    services: tuple[str, ...],
    tags: tuple[str, ...],
    names: tuple[str, ...],
    compact: bool,
    over_http: bool,
    host: str,
    port: int,
    public_url: str | None,
    allowed_host: tuple[str, ...],
    allowed_origin: tuple[str, ...],
    policy: Path | None,
) -> None:
    """Serve the tools as an MCP server over stdio, or with --http over Streamable HTTP at
    /mcp, with Twilio's StatusCallback receiver on the same port (needs the ``mcp`` extra).
    Over stdio, --public-url starts the receiver beside it; without one, getPaymentStatus and
    waitForPaymentUpdate are not served and the model gives StatusCallback.

    Credentials and host come from the TWILIO_* variables, as for the library; over HTTP the
    clients' bearer token from OCP_TWILIO_MCP_TOKEN, and TWILIO_AUTH_TOKEN checks callbacks.
    With --policy (or OCP_TWILIO_POLICY) the operator's policy decides every call; the
    approvals it asks for are asked of the client's person, where the client can ask one.
    """
    try:
        import mcp.server.lowlevel  # noqa: F401  # the SDK serve_stdio runs on, imported late
    except ImportError as exc:
        fail(
            f"The MCP server needs the mcp extra ({exc}); install it from the ocp-twilio "
            f"checkout with:\n  {install_line('mcp')}",
            ExitCode.CONFIGURATION,
        )
    from ..adapters.mcp.http import serve_http
    from ..adapters.mcp.server import progress_served
    from ..adapters.mcp.stdio import serve_stdio

    environment = read_environment()
    policy = policy_file(policy)
    if over_http and not environment.mcp_token:
        fail(
            f"ocp-twilio mcp --http needs a bearer token for its clients: set {MCP_TOKEN_ENV} "
            "(at least 16 characters).",
            ExitCode.CONFIGURATION,
        )

    if public_url is not None and not over_http and not environment.auth_token:
        fail(
            "ocp-twilio mcp --public-url starts a StatusCallback receiver, which checks "
            "Twilio's signatures with the account's Auth Token: set TWILIO_AUTH_TOKEN.",
            ExitCode.CONFIGURATION,
        )
    # Over stdio the receiver listens on a free port unless one is given.
    receiver_port = port if _given("port") or over_http else 0

    async def serve() -> None:
        # MCP clients check structuredContent against outputSchema and fail the whole call when
        # it does not match; a strict agent reports such an answer as an isError result instead.
        async with OCPAgent(response_validation="strict") as agent, AsyncExitStack() as stack:
            # Before the API, so that the Pay operations default to the receiver's URL.
            receiver = None
            if over_http and environment.auth_token:
                receiver = agent.status_callback_receiver(public_url or f"http://{host}:{port}")
            elif not over_http and public_url is not None:
                receiver = await stack.enter_async_context(
                    agent.serve_status_callbacks(host, receiver_port, public_url)
                )
            await agent.register_api("twilio", spec=spec)
            if policy is not None:  # before the tools are listed: pins leave their schemas
                agent.use_policy(policy)
            beside = not compact or bool(services or tags or names)
            tools = _chosen(agent.model_tools(), services, tags, names) if beside else []
            if compact:
                tools = [*agent.compact_tools(), *tools]
            if receiver is not None:  # on stderr: over stdio, stdout is the MCP channel
                listening = receiver.served_at or f"http://{host}:{port}"
                click.echo(
                    f"StatusCallback receiver at {listening}{receiver.path}; Twilio must call "
                    f"{receiver.url} (its signatures are checked against that URL).",
                    err=True,
                )
                click.echo(
                    "Message status callbacks: "
                    f"{receiver.url_for('message')}; call status callbacks: "
                    f"{receiver.url_for('call')}; a number's incoming messages: "
                    f"{receiver.url_for('reply')}.",
                    err=True,
                )
            elif not progress_served(agent) and any(is_progress_tool(t) for t in tools):
                click.echo(
                    "No StatusCallback receiver ("
                    + ("no TWILIO_AUTH_TOKEN" if over_http else "no --public-url")
                    + "): the status tools (getPaymentStatus, waitForPaymentUpdate, the message "
                    "and call status tools, waitForReply) are not served, and the model gives "
                    "StatusCallback.",
                    err=True,
                )
            if not over_http:
                await serve_stdio(agent, tools)
                return
            click.echo(f"MCP at http://{host}:{port}/mcp", err=True)
            await serve_http(
                agent,
                tools,
                host=host,
                port=port,
                token=environment.mcp_token,
                receiver=receiver,
                allowed_hosts=allowed_host,
                allowed_origins=allowed_origin,
            )

    try:
        asyncio.run(serve())
    except OCPError as exc:
        fail(exc)


@click.command()
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
    given = [name for name, on in (("--strict", strict), ("--shape", _given("shape"))) if on]
    if output != "openai" and given:
        fail(f"{' and '.join(given)}: for --format openai only.", ExitCode.BAD_INPUT)


def _given(option: str) -> bool:
    """Whether the command line (or the environment) gave ``option``, not its default."""
    source = click.get_current_context().get_parameter_source(option)
    return source is not ParameterSource.DEFAULT


def _chosen(
    tools: Iterable[Tool], services: tuple[str, ...], tags: tuple[str, ...], names: tuple[str, ...]
) -> list[Tool]:
    chosen = select_tools(tools, services=services, tags=tags, names=names)
    if not chosen:
        fail("No tool matches --services, --tags and --tools together.", ExitCode.BAD_INPUT)
    return chosen
