"""The send ledger: which sends were made lately, so that an identical one is refused.

A send is known by a digest only: HMAC-SHA256, keyed with a digest of the API's credentials, of
the operation, the account, the arguments that make two sends the same (``SendKind.identity``)
and the ``SendKey``. Numbers and bodies are personal data and never stored: without the key, a
digest cannot be matched to a guessed number. The processes of a fleet that share the
credentials make the same digests, so a RedisSendLedger refuses a repeat whichever sent first.

:meth:`SendLedger.claim` records a send before it is made, atomically, so two identical sends
racing each other cannot both go out; :meth:`SendLedger.release` forgets it again where it
surely did not leave (refused, invalid, no connection, Twilio's 4xx).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from .._exceptions import ConfigurationError
from .operations import SendKind

__all__ = [
    "DEFAULT_MAX_SENDS",
    "MemorySendLedger",
    "SendDigest",
    "SendLedger",
    "ledger_key",
]

# Sends a MemorySendLedger remembers at once: far more than one process sends in a window
# (100 a second for 10 minutes is 60,000), at about 200 bytes each.
DEFAULT_MAX_SENDS = 100_000


@runtime_checkable
class SendLedger(Protocol):
    """Where the recent sends are recorded, by digest."""

    async def claim(self, digest: str, window: float, token: str) -> float | None:
        """Record a send now, unless one of ``digest`` was recorded less than ``window``
        seconds ago: then nothing is recorded, and its age in seconds is returned. ``token``
        marks this claim for :meth:`release`."""
        ...

    async def release(self, digest: str, token: str) -> None:
        """Forget the claim ``token`` made, and only it (a later claim stays)."""
        ...


class MemorySendLedger:
    """This process's memory: for one agent process. ``max_sends`` claims are kept at once (the
    oldest is forgotten first, as it is the first to leave its window); ``clock`` gives the
    time in seconds (``time.time``; tests pass their own)."""

    def __init__(
        self, *, max_sends: int = DEFAULT_MAX_SENDS, clock: Callable[[], float] = time.time
    ) -> None:
        if isinstance(max_sends, bool) or not isinstance(max_sends, int) or max_sends < 1:
            raise ConfigurationError("max_sends must be a whole number, at least 1.")
        self.max_sends = max_sends
        self._clock = clock
        # digest -> (when, token), oldest first: a dict keeps the order of insertion.
        self._sends: dict[str, tuple[float, str]] = {}

    def __len__(self) -> int:
        return len(self._sends)

    def __repr__(self) -> str:
        return f"<MemorySendLedger {len(self._sends)} sends>"

    async def claim(self, digest: str, window: float, token: str) -> float | None:
        now = self._clock()
        earlier = self._sends.get(digest)
        # A claim a little "after" now is as recent: a clock may step back a little.
        if earlier is not None and abs(now - earlier[0]) < window:
            return max(now - earlier[0], 0.0)
        self._sends.pop(digest, None)  # re-inserted last: the order stays by time
        self._forget_before(now - window)
        self._sends[digest] = (now, token)
        return None

    async def release(self, digest: str, token: str) -> None:
        earlier = self._sends.get(digest)
        if earlier is not None and earlier[1] == token:
            del self._sends[digest]

    def _forget_before(self, oldest: float) -> None:
        sends = self._sends
        while sends:
            digest, (when, _token) = next(iter(sends.items()))
            if when >= oldest and len(sends) < self.max_sends:
                return
            del sends[digest]


def ledger_key(secret: str, account: str) -> bytes:
    """The HMAC key of an API's digests: its credentials' secret part and account, digested
    (the secret itself is never kept here)."""
    material = f"ocp-twilio send ledger\0{account}\0{secret}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(material).digest()


class SendDigest:
    """The digest of one send, the same for sends the ledger must take for one: made with the
    API's key (:func:`ledger_key`), keyed once."""

    __slots__ = ("_mac",)

    def __init__(self, key: bytes) -> None:
        self._mac = hmac.new(key, digestmod=hashlib.sha256)

    def __call__(self, kind: SendKind, arguments: Mapping[str, Any]) -> str:
        # The values in the kind's order, each told apart from the next by its length (JSON for
        # what is not text): the same send, the same text; two sends, never.
        parts = [kind.noun]
        get = arguments.get
        for name in kind.fields:
            value = get(name)
            if type(value) is not str:
                value = "" if value is None else json.dumps(value, sort_keys=True, default=str)
                parts.append(f"{'n' if value == '' else 'j'}{len(value)}:{value}")
            else:
                parts.append(f"s{len(value)}:{value}")
        mac = self._mac.copy()
        mac.update("".join(parts).encode("utf-8", "surrogatepass"))
        return mac.hexdigest()
