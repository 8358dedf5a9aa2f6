"""Rules for HTTP header fields, shared by the tools that fill them and the transports that send
them."""

from __future__ import annotations

import re

__all__ = ["FORBIDDEN_IN_HEADER_VALUE", "RESERVED_HEADERS", "is_reserved_header"]

# RFC 9110 5.5: a header value holds no control character but tab (aiohttp refuses the same);
# an unpaired surrogate cannot be encoded at all.
FORBIDDEN_IN_HEADER_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff]").search
# Headers no argument fills (lower case; matched in any case). A spec's header parameter of one
# of these names is left out of its tool, so a model never sees it, and the dispatcher drops any
# that reaches it.
RESERVED_HEADERS = frozenset(
    {
        # The transport frames the message and manages the connection (RFC 9110 7.6.1, 7.8).
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
        "expect",
        # The library writes these about its request and the answers it reads (OpenAPI, too,
        # ignores header parameters named Accept, Content-Type or Authorization).
        "authorization",
        "accept",
        "accept-encoding",
        "user-agent",
        "content-type",
        "content-encoding",
        # Credentials are the user's, never a model's: a model's value would be sent as the
        # user's proxy login or session.
        "proxy-authorization",
        "cookie",
    }
)
# The OCP context headers (OCP-User, OCP-Session, ...) are the agent's own: a model's value must
# not stand in for them.
_AGENT_PREFIX = "ocp-"


def is_reserved_header(lowered: str) -> bool:
    """Whether a header of this (lower-case) name is never filled from an argument."""
    return lowered in RESERVED_HEADERS or lowered.startswith(_AGENT_PREFIX)
