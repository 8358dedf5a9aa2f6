"""Twilio's hosts as operation specs know them: whether a server is Twilio's (which operations
the effects table speaks of), and the server of an operation that names none; below the HTTP
layer that uses them too."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["DEFAULT_SERVER", "is_twilio_host", "is_twilio_name", "served_by_twilio"]

# Twilio's REST API: where an operation of no server of its own is sent.
DEFAULT_SERVER = "https://api.twilio.com"


def is_twilio_host(url: str) -> bool:
    """Whether ``url`` names a Twilio host (twilio.com or one of its subdomains)."""
    return is_twilio_name(urlsplit(url).hostname or "")


def served_by_twilio(server: str | None) -> bool:
    """Whether an operation of ``server`` is sent to Twilio: Twilio's specs name their host, and
    one without a server is sent to Twilio's (DEFAULT_SERVER)."""
    return server is None or is_twilio_host(server)


def is_twilio_name(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host == "twilio.com" or host.endswith(".twilio.com")
