"""How long one attempt may take, and how long making its connection may take within it.

The SDKs' split: a dead or unreachable host fails at the connect timeout (seconds) and the
retry policy may try again at once (nothing was sent), instead of waiting out a whole attempt.
The whole call, retries and waits included, is bounded by the retry policy's ``deadline``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._config import DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT
from .._exceptions import ConfigurationError

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TIMEOUTS",
    "Timeout",
    "checked_timeout",
]


@dataclass(frozen=True)
class Timeout:
    """``attempt`` bounds one attempt (connect, send, answer); ``connect`` the connecting in it.

    ``Timeout(10)`` keeps the connect default; a plain number given as ``timeout=`` means
    ``Timeout(attempt=number)``.
    """

    attempt: float = DEFAULT_TIMEOUT
    connect: float = DEFAULT_CONNECT_TIMEOUT

    def __post_init__(self) -> None:
        checked_timeout(self.attempt, "Timeout(attempt=)")
        checked_timeout(self.connect, "Timeout(connect=)")

    @classmethod
    def of(cls, timeout: float | Timeout) -> Timeout:
        """A Timeout from ``timeout=``: a Timeout as is, or a number as the attempt's bound."""
        if isinstance(timeout, Timeout):
            return timeout
        return cls(attempt=checked_timeout(timeout))


def checked_timeout(seconds: float, what: str = "timeout") -> float:
    """A timeout must be a positive, finite number of seconds (aiohttp fails on inf, ignores 0)."""
    number = isinstance(seconds, (int, float)) and not isinstance(seconds, bool)
    if not (number and math.isfinite(seconds) and seconds > 0):
        raise ConfigurationError(
            f"{what} must be a positive, finite number of seconds (or a Timeout), not {seconds!r}."
        )
    return float(seconds)


DEFAULT_TIMEOUTS = Timeout()
