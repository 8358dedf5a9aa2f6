"""Who may open the console: a one-time link token, exchanged for an HttpOnly cookie.

A browser cannot be handed HTTP Basic credentials in a link, so the sandbox prints a link with a
one-time token; the page trades it for a session cookie (HttpOnly, SameSite=Strict, scoped to
the console's path) and redirects to itself without it. Both sets are bounded: the oldest
unused links and the oldest sessions make room.
"""

from __future__ import annotations

import hmac
import secrets
from collections import OrderedDict

__all__ = ["COOKIE", "ConsoleAccess"]

COOKIE = "ocp_console"
_MAX_LINKS = 16
_MAX_SESSIONS = 64


class ConsoleAccess:
    def __init__(self) -> None:
        self._links: OrderedDict[str, None] = OrderedDict()
        self._sessions: OrderedDict[str, None] = OrderedDict()

    def __repr__(self) -> str:
        return f"<ConsoleAccess {len(self._links)} links, {len(self._sessions)} sessions>"

    def new_link(self) -> str:
        """A fresh one-time token for the console's link."""
        return _remember(self._links, _MAX_LINKS)

    def redeem(self, token: str) -> str | None:
        """The session cookie's value for a link token, once; None for any other token."""
        found = _find(self._links, token)
        if found is None:
            return None
        del self._links[found]
        return _remember(self._sessions, _MAX_SESSIONS)

    def admits(self, cookie: str) -> bool:
        return _find(self._sessions, cookie) is not None


def _remember(tokens: OrderedDict[str, None], limit: int) -> str:
    token = secrets.token_urlsafe(24)
    tokens[token] = None
    while len(tokens) > limit:
        tokens.popitem(last=False)
    return token


def _find(tokens: OrderedDict[str, None], given: str) -> str | None:
    if not given.isascii():  # every token is; aiohttp may hand on undecodable bytes
        return None
    # Compared in constant time each, so that a guess learns nothing from the time taken.
    given_bytes = given.encode()
    return next((t for t in tokens if hmac.compare_digest(t.encode(), given_bytes)), None)
