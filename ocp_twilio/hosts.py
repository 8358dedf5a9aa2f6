"""Which host a call goes to: an override, or Twilio's product host with region and edge."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from .errors import ConfigurationError

__all__ = ["DEFAULT_SERVER", "is_twilio_host", "resolve_base_url"]

DEFAULT_SERVER = "https://api.twilio.com"


def is_twilio_host(url: str) -> bool:
    """Whether ``url`` is served by Twilio (twilio.com or one of its subdomains)."""
    host = urlsplit(url).hostname or ""
    return host == "twilio.com" or host.endswith(".twilio.com")


def resolve_base_url(
    server: str | None,
    *,
    override: str | None = None,
    region: str | None = None,
    edge: str | None = None,
) -> str:
    """The base URL (scheme and host, no trailing slash) that an operation's path is joined to.

    ``override`` (the sandbox, a test server) wins. Otherwise Twilio's regional host
    ``{product}.{edge}.{region}.twilio.com`` is built from the operation's server; as in Twilio's
    own SDKs an edge without a region means region us1.
    """
    if override:
        return _checked(override)
    parts = urlsplit(server or DEFAULT_SERVER)
    if not (region or edge) or not parts.hostname or not parts.hostname.endswith(".twilio.com"):
        return _checked(server or DEFAULT_SERVER)
    _check_label("region (TWILIO_REGION or region=)", region)
    _check_label("edge (TWILIO_EDGE or edge=)", edge)
    product = parts.hostname.split(".", 1)[0]
    labels = [product, edge, region or "us1", "twilio", "com"]
    host = ".".join(label for label in labels if label)
    return urlunsplit((parts.scheme, host, "", "", ""))


def _checked(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:  # "https://[::1/": an IPv6 host without its closing bracket
        parts = urlsplit("")
    # A query or fragment would swallow the operation path joined after it; white space and
    # control characters have no place in a URL (urlsplit drops some of them silently).
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or "?" in url
        or "#" in url
        or _SPACE_OR_CONTROL(url)
    ):
        raise ConfigurationError(
            f"Base URL {url!r} must be an absolute http(s) URL without query, fragment or "
            "white space, such as http://127.0.0.1:8080."
        )
    return url.rstrip("/")


_SPACE_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]").search

# One DNS label: a region or edge is spliced into a host name, so it must not be able to end it.
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def _check_label(what: str, value: str | None) -> None:
    if value is not None and not _LABEL.fullmatch(value):
        raise ConfigurationError(
            f"The {what} must be one host-name label such as ie1 or dublin, not {value!r}."
        )
