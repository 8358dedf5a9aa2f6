"""The ``ocp-twilio`` command: one module per command group, each command added to :data:`main`
here, so that no command module imports this one."""

from __future__ import annotations

import click

from .._version import __version__
from .adapter_commands import catalog, mcp
from .call_command import call
from .demo_command import demo
from .policy_command import policy
from .sandbox_command import sandbox
from .sync_command import sync
from .tools_command import describe, tools

__all__ = ["main"]


@click.group(commands=[call, catalog, demo, describe, mcp, policy, sandbox, sync, tools])
@click.version_option(__version__, prog_name="ocp-twilio")
def main() -> None:
    """Twilio's API as tools for LLM agents."""
