"""The browser origins the MCP server over HTTP accepts: its own, and the ones its operator
names, exactly. Any other ``Origin`` header is refused with 403 before the bearer token or
the SDK are reached. Clients that are not browsers send no Origin and pass.

The server's own origin is the one of the address the request was sent to, its ``Host``
(which the SDK checks against the allowed hosts, 421 otherwise): a page served from another
port, another local application's, is another origin.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..._exceptions import ConfigurationError

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["OriginCheck", "accepted_origins"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
REFUSED = (
    "This MCP server does not accept requests from the web page in this Origin header. "
    "Browsers may reach it only from its own address or from an origin its operator "
    "allows: ocp-twilio mcp --http --allowed-origin https://app.example.com (or "
    "allowed_origins= of http_application)."
)


def accepted_origins(configured: Iterable[str]) -> list[str]:
    """``configured`` as browsers write origins (lower case, no default port), each checked:
    a scheme, a host and an optional port, nothing else (no path, no wildcard)."""
    return [_normalized(origin) for origin in configured]


def _normalized(origin: str) -> str:
    fault = (
        f"Not an origin: {origin[:80]!r}. Allowed origins are written as a browser sends "
        "them, a scheme, a host and an optional port and nothing else, e.g. "
        "https://app.example.com or http://localhost:6274."
    )
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        raise ConfigurationError(fault) from None
    host = parts.hostname
    if (
        parts.scheme not in _DEFAULT_PORTS
        or not host
        or parts.username is not None
        or parts.password is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise ConfigurationError(fault)
    name = f"[{host}]" if ":" in host else host
    shown = "" if port is None or port == _DEFAULT_PORTS[parts.scheme] else f":{port}"
    return f"{parts.scheme}://{name}{shown}"


class OriginCheck:
    """Answers 403, saying how to allow an origin, to a request with an Origin that is neither
    its own (``Host``'s) nor one of ``allowed``; passes every other request to ``app``."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str]) -> None:
        self._app = app
        self._allowed = frozenset(allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = scope.get("headers") or []
        origins = [value.decode("latin-1").lower() for name, value in headers if name == b"origin"]
        hosts = [value.decode("latin-1").lower() for name, value in headers if name == b"host"]
        own = {f"{scheme}://{host}" for scheme in _DEFAULT_PORTS for host in hosts[:1]}
        if all(origin in self._allowed or origin in own for origin in origins):
            await self._app(scope, receive, send)
            return
        from starlette.responses import PlainTextResponse

        await PlainTextResponse(REFUSED, status_code=403)(scope, receive, send)
