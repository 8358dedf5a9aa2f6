"""Exit codes of the ``ocp-twilio`` command, and how an expected failure is reported.

An expected failure prints one message on stderr and exits with its code, never a traceback.
"""

from __future__ import annotations

from enum import IntEnum
from typing import NoReturn

import click

from .._exceptions import (
    ConfigurationError,
    InvalidArguments,
    OCPError,
    ResponseValidationError,
    ToolNotFound,
    TransportError,
    TwilioAPIError,
)

__all__ = ["ExitCode", "exit_code_for", "fail"]


class ExitCode(IntEnum):
    OK = 0
    NOT_COMPLETED = 1  # demo: the payment did not complete
    BAD_INPUT = 2  # unknown tool, malformed or invalid arguments (nothing was sent)
    API_ERROR = 3  # Twilio (or the sandbox) answered with an error, or a malformed success
    TRANSPORT_ERROR = 4  # no answer: connection refused, timeout, port in use
    CONFIGURATION = 5  # missing or malformed credentials, base URL or other settings


def exit_code_for(error: OCPError) -> ExitCode:
    if isinstance(error, (InvalidArguments, ToolNotFound)):
        return ExitCode.BAD_INPUT
    if isinstance(error, (TwilioAPIError, ResponseValidationError)):
        return ExitCode.API_ERROR
    if isinstance(error, TransportError):
        return ExitCode.TRANSPORT_ERROR
    if isinstance(error, ConfigurationError):
        return ExitCode.CONFIGURATION
    return ExitCode.BAD_INPUT


def fail(message: str | OCPError, code: ExitCode | None = None) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code`` (by default, the error's)."""
    if code is None:
        code = exit_code_for(message) if isinstance(message, OCPError) else ExitCode.BAD_INPUT
    click.echo(f"error: {message}", err=True)
    raise SystemExit(int(code))
