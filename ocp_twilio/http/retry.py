"""When a failed attempt may be sent again, and how long to wait first.

Money moves through these calls, so a retry must never risk doing a thing twice:

- 429 (Twilio 20429) was never processed, Twilio says: always retried.
- A 5xx (503 with ``Retry-After`` too: Twilio does not promise it was not processed), a timeout
  or a connection lost after the request went out may have been processed: retried only when
  Twilio would deduplicate the repeat (``PreparedRequest.idempotent``, by the rule of
  ``tools/encoding.py``: an idempotent method, or a non-blank IdempotencyKey is sent), after
  the time ``Retry-After`` asks for.
- A connection that could not be opened sent nothing: always retried.

Waits are exponential with full jitter unless the server says how long; every call has a total
deadline that covers all of its attempts and waits.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from .._exceptions import ConfigurationError

__all__ = ["DEFAULT_RETRIES", "RetryPolicy", "parse_retry_after"]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently one call is attempted.

    ``max_retries`` attempts follow the first at most; ``deadline`` (seconds) bounds the whole
    call, waits included; backoff before retry *n* (from 0) is a random time up to
    ``min(backoff_max, backoff_base * 2**n)``.
    """

    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    deadline: float = 60.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ConfigurationError("retries must be 0 (no retries) or more.")
        if self.backoff_base < 0 or self.backoff_max < 0:
            raise ConfigurationError("Retry backoff times must not be negative.")
        if self.deadline <= 0:
            raise ConfigurationError("The retry deadline must be a positive number of seconds.")

    @classmethod
    def of(cls, retries: int | RetryPolicy) -> RetryPolicy:
        """A policy from ``retries=``: a policy as is, or a number of retries with the defaults."""
        if isinstance(retries, RetryPolicy):
            return retries
        if isinstance(retries, bool) or not isinstance(retries, int):
            raise ConfigurationError(
                f"retries must be a whole number or a RetryPolicy, not {type(retries).__name__}."
            )
        return cls(max_retries=retries)

    def backoff(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (0 for the first)."""
        if retry_after is not None:
            return retry_after
        return random.uniform(0, min(self.backoff_max, self.backoff_base * 2**retry))


DEFAULT_RETRIES = RetryPolicy()


def retry_allowed_for_status(status: int, idempotent: bool) -> bool:
    """Whether an error answer may be sent again (see the module's docstring)."""
    return status == 429 or (status >= 500 and idempotent)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date); None when unusable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    delta = (when - (now or datetime.now(timezone.utc))).total_seconds()
    return max(0.0, delta)
