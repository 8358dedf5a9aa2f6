"""``ocp-twilio sync``: Twilio's OpenAPI files into the user cache, with a progress bar."""

from __future__ import annotations

import asyncio

import click

from .._exceptions import OCPError
from ..ocp.sync import DEFAULT_SYNC_SOURCE, TWILIO_SPEC_FILES, sync_specs
from ..specs.sources import synced_specs_dir
from . import main
from .failures import fail


@main.command()
@click.option(
    "--from",
    "source",
    default=DEFAULT_SYNC_SOURCE,
    show_default=True,
    help="URL of the folder holding Twilio's twilio_*.json OpenAPI files.",
)
def sync(source: str) -> None:
    """Download every Twilio OpenAPI file; register_api("twilio") then offers all operations."""
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
