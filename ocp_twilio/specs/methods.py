"""HTTP methods: those an operation may have, and what each promises (RFC 9110 9.2)."""

from __future__ import annotations

__all__ = ["IDEMPOTENT_METHODS", "METHODS", "READ_METHODS"]

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
# Safe: they only read (MCP's readOnlyHint).
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A repeat changes nothing more than the first request did (a retry's rule, with Twilio's
# IdempotencyKey: see tools/encoding.py).
IDEMPOTENT_METHODS = READ_METHODS | {"PUT", "DELETE"}
