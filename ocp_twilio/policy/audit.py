"""The policy's decisions, kept in a bounded record the application can read.

A record names the call (tool, API, the model's call id), the decision and the rule that made
it, and who approved or declined; never an argument, so no card data or secret is in it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from typing import Literal, NamedTuple

__all__ = ["AuditLog", "AuditRecord", "Decision"]

Decision = Literal["allowed", "refused", "approved", "declined", "dry-run"]

DEFAULT_AUDIT_SIZE = 10_000


class AuditRecord(NamedTuple):
    """One decision. A NamedTuple: one is made on every call under a policy, and a tuple is
    made in a fraction of a frozen dataclass's time."""

    at: float  # time.time() of the decision
    tool: str
    api: str
    decision: Decision
    rule: str | None = None  # the rule that refused, asked for approval or ran it dry
    by: str | None = None  # who approved or declined, where the approver said
    via: str | None = None  # the approval's mechanism ("approver", "openai-agents", ...)
    call_id: str | None = None


class AuditLog:
    """The last ``size`` decisions, oldest first."""

    def __init__(self, size: int = DEFAULT_AUDIT_SIZE) -> None:
        self._records: deque[AuditRecord] = deque(maxlen=size)

    def add(
        self,
        tool: str,
        api: str,
        decision: Decision,
        rule: str | None = None,
        by: str | None = None,
        via: str | None = None,
        call_id: str | None = None,
    ) -> AuditRecord:
        record = AuditRecord(time.time(), tool, api, decision, rule, by, via, call_id)
        self._records.append(record)
        return record

    def __iter__(self) -> Iterator[AuditRecord]:
        return iter(list(self._records))

    def __len__(self) -> int:
        return len(self._records)

    def records(self, decision: Decision | None = None) -> list[AuditRecord]:
        return [r for r in self._records if decision is None or r.decision == decision]
