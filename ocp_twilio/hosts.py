"""Which host a call goes to: an override, or Twilio's product host with region and edge."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from .errors import ConfigurationError

__all__ = ["DEFAULT_SERVER", "resolve_base_url"]

DEFAULT_SERVER = "https://api.twilio.com"


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
    product = parts.hostname.split(".", 1)[0]
    labels = [product, edge, region or "us1", "twilio", "com"]
    host = ".".join(label for label in labels if label)
    return urlunsplit((parts.scheme, host, "", "", ""))


def _checked(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"Base URL {url!r} must be an absolute http(s) URL such as http://127.0.0.1:8080."
        )
    return url.rstrip("/")
