"""The ``ocp-twilio`` command run in this process by click's runner, with no TWILIO_* variable
of the user's, and what a failed command must print."""

from __future__ import annotations

import os

from click.testing import CliRunner, Result

from ocp_twilio.cli import main
from ocp_twilio.cli.failures import ExitCode

NO_TWILIO_ENV = {name: None for name in os.environ if name.startswith("TWILIO_")}


def run(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env={**NO_TWILIO_ENV, **(env or {})})


def assert_failed(result: Result, code: ExitCode, *phrases: str) -> None:
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: ")
    for phrase in phrases:
        assert phrase in result.stderr
