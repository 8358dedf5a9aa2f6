"""IdempotencyKey: a repeated request gets its first answer again; a reused key is refused.

Keys are remembered per account, with the request they came with (method, path, form fields).
Only successful answers are remembered: a refused request changed nothing, so sending it again
is judged afresh. Reusing a key for a different request is HTTP 409 with Twilio code 64020.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .errors import SandboxError

__all__ = ["Answer", "IdempotencyStore", "RequestFingerprint"]

RequestFingerprint = tuple[str, str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


def fingerprint(method: str, path: str, form: Iterable[tuple[str, str]]) -> RequestFingerprint:
    return method, path, tuple(sorted(form))


class IdempotencyStore:
    def __init__(self) -> None:
        self._answers: dict[tuple[str, str], tuple[RequestFingerprint, Answer]] = {}

    def replay(self, account_sid: str, key: str, request: RequestFingerprint) -> Answer | None:
        """The first answer to this request, None for a new key; a conflicting reuse raises."""
        stored = self._answers.get((account_sid, key))
        if stored is None:
            return None
        first_request, answer = stored
        if first_request != request:
            raise SandboxError(
                409,
                64020,
                f"IdempotencyKey {key!r} was already used for a different request; "
                "use a new key for every distinct request.",
            )
        return answer

    def remember(
        self, account_sid: str, key: str, request: RequestFingerprint, answer: Answer
    ) -> None:
        self._answers[(account_sid, key)] = (request, answer)
