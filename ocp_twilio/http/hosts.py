"""Which host a call goes to (an override, or Twilio's product host with region and edge), and
where an API's credentials may go."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlsplit, urlunsplit

from yarl import URL

from .._exceptions import ConfigurationError
from ..specs.hosts import DEFAULT_SERVER, is_twilio_name

__all__ = [
    "TWILIO_ONLY",
    "CredentialScope",
    "has_userinfo",
    "is_loopback_host",
    "resolve_base_url",
]


def has_userinfo(url: URL | str) -> bool:
    """Whether ``url`` carries a user name or password (``user:token@host``)."""
    if isinstance(url, URL):
        return url.raw_user is not None or url.raw_password is not None
    try:
        return "@" in urlsplit(url).netloc
    except ValueError:  # a broken IPv6 literal: judged by the text alone
        return "@" in url


@dataclass(frozen=True)
class CredentialScope:
    """Where the credentials of one registered API may be sent, checked before every request.

    ``base_url`` is the one base URL they may go to: the one the user named (``base_url=``,
    TWILIO_BASE_URL: a sandbox, a test server) or another API's own host. Without it they go
    only to Twilio: https, port 443, twilio.com or a subdomain. No spec, registry or synced file
    can widen this: an operation's ``server:`` or a path that changes the host is refused.
    """

    base_url: str | None = None

    def check(self, url: URL, tool: str) -> None:
        """Raise ConfigurationError (nothing sent) unless ``url`` is inside the scope."""
        if self._allows(url):
            return
        where = (
            f"{self.base_url} (the API's base URL)"
            if self.base_url
            else "Twilio's hosts (https://*.twilio.com)"
        )
        raise ConfigurationError(
            f"Refused to send {tool} to {url.scheme}://{url.host or '?'}"
            f"{'' if url.explicit_port is None else f':{url.explicit_port}'}: its credentials may "
            f"go only to {where}, and its spec points elsewhere; nothing was sent. Name a host "
            "you trust explicitly with register_api(base_url=...)."
        )

    def _allows(self, url: URL) -> bool:
        if url.raw_user is not None or url.raw_password is not None or url.host is None:
            return False
        if self._origin is None:
            return (
                url.scheme == "https"
                and url.explicit_port in (None, 443)
                and is_twilio_name(url.host)
            )
        scheme, host, port, prefix = self._origin
        return (
            url.scheme == scheme
            and url.host == host
            and url.port == port
            and (url.raw_path + "/").startswith(prefix)
        )

    @cached_property
    def _origin(self) -> tuple[str, str, int | None, str] | None:
        if self.base_url is None:
            return None
        base = URL(self.base_url)
        return base.scheme, base.host or "", base.port, base.raw_path.rstrip("/") + "/"


TWILIO_ONLY = CredentialScope()


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` is this machine: localhost, 127.0.0.0/8 or ::1."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
    if has_userinfo(url):
        # The text is not echoed: what stands before the @ is most likely a secret.
        raise ConfigurationError(
            "A base URL must not hold a user name or password (user:token@host): pass "
            "credentials as account_sid= with auth_token=, or api_key= with api_secret=; "
            "nothing was sent."
        )
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:  # "http://[::1/": a broken IPv6 literal
        hostname = None
    # A query or fragment would swallow the operation path joined after it; white space and
    # control characters have no place in a URL (urlsplit drops some of them silently).
    if (
        hostname is None
        or parts.scheme not in ("http", "https")
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
