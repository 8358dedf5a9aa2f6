"""Rules for HTTP header fields, shared by the tools that fill them and the transports that send
them."""

from __future__ import annotations

import re

__all__ = ["FORBIDDEN_IN_HEADER_VALUE", "FRAMING_HEADERS"]

# RFC 9110 5.5: a header value holds no control character but tab (aiohttp refuses the same);
# an unpaired surrogate cannot be encoded at all.
FORBIDDEN_IN_HEADER_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff]").search
# Headers that frame the message: a transport writes them itself, never as given.
FRAMING_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "upgrade"}
)
