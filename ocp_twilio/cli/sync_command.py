"""``ocp-twilio sync``: Twilio's OpenAPI files into the user cache, with a progress bar."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from .._exceptions import OCPError
from ..ocp.sync import DEFAULT_SYNC_SOURCE, TWILIO_SPEC_FILES, checked_source, sync_specs
from ..specs.sources import synced_specs_dir
from .failures import ExitCode, fail


@click.command()
@click.option(
    "--from",
    "source",
    default=DEFAULT_SYNC_SOURCE,
    show_default=True,
    help="URL of the folder holding Twilio's twilio_*.json OpenAPI files.",
)
def sync(source: str) -> None:
    """Download every Twilio OpenAPI file; register_api("twilio") then offers all operations."""
    if source.startswith("file:") or Path(source).exists():
        fail(
            f"--from wants the URL of a folder (https, or plain http from 127.0.0.1), not the "
            f"local path {source!r}. OpenAPI files on this machine are read where they are: "
            "give their folder as --spec to tools, describe, call, catalog or mcp, or as "
            "register_api(spec=...).",
            ExitCode.BAD_INPUT,
        )
    try:
        checked_source(source)  # before the progress bar: a refused source downloads nothing
    except OCPError as exc:
        fail(exc)
    destination = synced_specs_dir()
    with click.progressbar(
        length=len(TWILIO_SPEC_FILES), label="Syncing Twilio's OpenAPI files"
    ) as progress:
        try:
            files = asyncio.run(
                sync_specs(destination, source=source, on_file=lambda _: progress.update(1))
            )
        except OCPError as exc:
            fail(exc)  # exit 4 for a failed download, 5 for a file that is not OpenAPI
    click.echo(f"Synced {len(files)} files into {destination}.")
