"""The ``ocp-twilio`` command: one module per command group, registered on :data:`main`."""

from __future__ import annotations

import click

from .._version import __version__


@click.group()
@click.version_option(__version__, prog_name="ocp-twilio")
def main() -> None:
    """Twilio's API as tools for LLM agents."""


from . import (  # noqa: E402,F401
    adapter_commands,
    call_command,
    demo_command,
    sandbox_command,
    sync_command,
    tools_command,
)
