"""Options that more than one command takes: the spec to register, and the operator's policy."""

from __future__ import annotations

from pathlib import Path

import click

from .._config import POLICY_ENV, read_environment

__all__ = ["policy_file", "policy_option", "spec_option"]

spec_option = click.option(
    "--spec",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Spec file or directory (OpenAPI or YAML) instead of the installed tools.",
)

policy_option = click.option(
    "--policy",
    "policy",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help=f"The operator's policy file (YAML or TOML), in force for every call (default: "
    f"{POLICY_ENV}); `ocp-twilio policy check FILE` shows what it selects.",
)


def policy_file(given: Path | None) -> Path | None:
    """--policy, else the file OCP_TWILIO_POLICY names (read as every variable is, once)."""
    if given is not None:
        return given
    named = read_environment().policy
    return Path(named) if named else None
