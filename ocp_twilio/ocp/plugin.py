"""The "twilio" API definition that ocp_twilio provides (entry point group ``ocp.apis``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..specs.hosts import DEFAULT_SERVER
from ..specs.model import OperationSpec
from ..specs.sources import cache_root, load_operations, twilio_sources

__all__ = ["APIDefinition", "twilio_api"]


@dataclass(frozen=True)
class APIDefinition:
    """What an API plugin provides: a name, a description and where its operations come from."""

    name: str
    description: str
    base_url: str
    load_operations: Callable[[], list[OperationSpec]]
    # Whether calls carry the OCP context headers: only for servers that read them.
    ocp_headers: bool = False


def twilio_api() -> APIDefinition:
    return APIDefinition(
        name="twilio",
        description="Twilio's REST API: the curated Pay tools and every synced Twilio operation.",
        base_url=DEFAULT_SERVER,
        load_operations=lambda: load_operations(twilio_sources(), cache_dir=cache_root()),
    )
