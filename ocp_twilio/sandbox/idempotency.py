"""IdempotencyKey: a repeated request gets its first answer again; a reused key is refused.

Keys are remembered per account with a SHA-256 digest of the request they came with (method,
path, form fields): the form itself, which may hold anything a client typed, is not kept. Only
successful answers are remembered: a refused request changed nothing, so sending it again is
judged afresh. Reusing a key for a different request is HTTP 409 with Twilio code 64020. The
store keeps the most recent ``max_keys`` keys.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .errors import SandboxError

__all__ = ["Answer", "IdempotencyStore", "fingerprint"]


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


def fingerprint(method: str, path: str, form: Iterable[tuple[str, str]]) -> bytes:
    canonical = json.dumps([method, path, sorted(form)], ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).digest()


class IdempotencyStore:
    def __init__(self, max_keys: int) -> None:
        self._max_keys = max_keys
        self._answers: OrderedDict[tuple[str, str], tuple[bytes, Answer]] = OrderedDict()

    def replay(self, account_sid: str, key: str, request: bytes) -> Answer | None:
        """The first answer to this request, None for a new key; a conflicting reuse raises."""
        stored = self._answers.get((account_sid, key))
        if stored is None:
            return None
        first_request, answer = stored
        if first_request != request:
            raise SandboxError(
                409,
                64020,
                "This IdempotencyKey was already used for a different request; "
                "use a new key for every distinct request.",
            )
        return answer

    def remember(self, account_sid: str, key: str, request: bytes, answer: Answer) -> None:
        self._answers[(account_sid, key)] = (request, answer)
        self._answers.move_to_end((account_sid, key))
        while len(self._answers) > self._max_keys:
            self._answers.popitem(last=False)
