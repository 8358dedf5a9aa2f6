"""The bounds every progress store keeps by default, whichever store it is (memory or Redis)."""

from __future__ import annotations

__all__ = [
    "DEFAULT_MAX_CONVERSATIONS",
    "DEFAULT_MAX_EVENTS",
    "DEFAULT_MAX_SESSIONS",
    "DEFAULT_SESSION_TTL",
]

# A card payment takes a few dozen callbacks (one per key press while typing).
DEFAULT_MAX_EVENTS = 500
DEFAULT_MAX_SESSIONS = 10_000
# Anyone may text the number, and each new sender is a conversation: they get a share of their
# own, so that a flood of strangers' texts cannot push payments and sends in flight out.
DEFAULT_MAX_CONVERSATIONS = 1_000
# Twilio keeps a Pay session only as long as its call; an hour covers any call a caller stays on.
DEFAULT_SESSION_TTL = 3600.0
