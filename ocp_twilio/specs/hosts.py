"""Whether a server is Twilio's: the one fact about hosts that operation specs need (which
operations the effects table speaks of), below the HTTP layer that uses it too."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["is_twilio_host", "is_twilio_name"]


def is_twilio_host(url: str) -> bool:
    """Whether ``url`` names a Twilio host (twilio.com or one of its subdomains)."""
    return is_twilio_name(urlsplit(url).hostname or "")


def is_twilio_name(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host == "twilio.com" or host.endswith(".twilio.com")
