"""Exit codes of the ``ocp-twilio`` command, and how an expected failure is reported.

An expected failure prints one message on stderr and exits with its code, never a traceback.
"""

from __future__ import annotations

from typing import NoReturn

import click

from .._exceptions import ExitCode, OCPError

__all__ = ["ExitCode", "fail"]


def fail(message: str | OCPError, code: ExitCode | None = None) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code`` (by default, the error's)."""
    if code is None:
        code = message.exit_code if isinstance(message, OCPError) else ExitCode.BAD_INPUT
    click.echo(f"error: {message}", err=True)
    raise SystemExit(int(code))
