"""The entry point object of the example plugin (group ``ocp.apis``, name ``acme``)."""

from __future__ import annotations

from pathlib import Path

from ocp_twilio import APIDefinition, load_operations


def acme_api() -> APIDefinition:
    return APIDefinition(
        name="acme",
        description="Acme's shipping API: book and look up parcel shipments.",
        base_url="https://api.acme.example",
        load_operations=lambda: load_operations([Path(__file__).parent / "specs"]),
        # Acme's servers read the OCP context headers.
        ocp_headers=True,
    )
