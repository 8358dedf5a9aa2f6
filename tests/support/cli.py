"""The ``ocp-twilio`` command run in this process by click's runner, with no TWILIO_* variable
of the user's, and what a failed command must print; ``ocp-twilio mcp`` as the SDK's stdio
client starts it."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from click.testing import CliRunner, Result
from mcp.client.stdio import StdioServerParameters

import ocp_twilio
from ocp_twilio.cli import main
from ocp_twilio.cli.failures import ExitCode

NO_TWILIO_ENV = {name: None for name in os.environ if name.startswith("TWILIO_")}
CONSOLE_SCRIPT = str(Path(sys.executable).with_name("ocp-twilio"))
# The code under test, first on the console script's path: the environment may have another
# checkout installed.
CHECKOUT = str(Path(ocp_twilio.__file__).resolve().parent.parent)


def run(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env={**NO_TWILIO_ENV, **(env or {})})


def assert_failed(result: Result, code: ExitCode, *phrases: str) -> None:
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: ")
    for phrase in phrases:
        assert phrase in result.stderr


def mcp_over_stdio(environ: Mapping[str, str], *options: str) -> StdioServerParameters:
    """``ocp-twilio mcp OPTIONS`` with only ``environ`` (the SDK adds PATH and the like)."""
    return StdioServerParameters(
        command=CONSOLE_SCRIPT, args=["mcp", *options], env={**environ, "PYTHONPATH": CHECKOUT}
    )
