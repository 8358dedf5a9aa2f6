"""Searching everything the suites produce for the test credentials."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from support.credentials import ACCOUNT_SID, AUTH_TOKEN

# Every form in which the test credentials could leak.
SECRETS = (AUTH_TOKEN, base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode())


def assert_no_secrets(texts: Iterable[str]) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, "a secret leaked into an output"


class ScanningHandler(logging.Handler):
    """Scans every log record as it is emitted, keeping none (for runs too long to capture)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.scanned = 0
        self.leaks = 0

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        self.scanned += 1
        self.leaks += any(secret in text for secret in SECRETS)


@contextmanager
def scanning_logs(*names: str) -> Iterator[ScanningHandler]:
    """Every record of these loggers, at every level, goes to a ScanningHandler only.

    Not propagated: pytest's own capture would keep each record in memory.
    """
    scanner = ScanningHandler()
    loggers = [logging.getLogger(name) for name in names]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.addHandler(scanner)
        lg.setLevel(logging.DEBUG)
        lg.propagate = False
    try:
        yield scanner
    finally:
        for lg, (level, propagate) in zip(loggers, saved, strict=True):
            lg.removeHandler(scanner)
            lg.setLevel(level)
            lg.propagate = propagate
