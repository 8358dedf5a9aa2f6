"""The sandbox's phone book: its own number, and scripted people who answer texts and calls in a
known way (sandbox only; Twilio has no such thing).

Every number is 555-01xx (here in area code 415), a range reserved for fiction: no real
phone is ever named. A
number not listed here (any other E.164 number) takes texts (delivered) and answers calls.
Demos and tests import these names rather than spell the numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "BUSY",
    "CONFIRMS",
    "CONSOLE_NUMBER",
    "DELIVERS",
    "FAILS",
    "INVALID_NUMBER",
    "LANDLINE",
    "NO_ANSWER",
    "OPTED_OUT",
    "RECIPIENTS",
    "SANDBOX_NUMBER",
    "STOPS",
    "UNREACHABLE",
    "Recipient",
    "is_e164",
    "recipient",
]

SANDBOX_NUMBER = "+14155550100"  # the sandbox's own number: From of texts and calls, To of replies
DELIVERS = "+14155550101"
LANDLINE = "+14155550102"
UNREACHABLE = "+14155550103"
OPTED_OUT = "+14155550104"
INVALID_NUMBER = "+14155550105"
CONFIRMS = "+14155550106"
STOPS = "+14155550107"
BUSY = "+14155550108"
NO_ANSWER = "+14155550109"
FAILS = "+14155550110"
CONSOLE_NUMBER = "+14155550150"  # the person at the console: sees texts and calls, types replies

_E164 = re.compile(r"\+[1-9][0-9]{7,14}")


@dataclass(frozen=True)
class Recipient:
    """What happens to a text to this number (``message``: delivered, or undelivered/failed
    with ``error_code``), to a call (``call``: a final status, or ``in-progress`` for answered),
    and what the person texts back after a delivered text (``reply``, None: nothing)."""

    number: str
    message: str = "delivered"
    error_code: int | None = None
    call: str = "in-progress"
    reply: str | None = None
    opted_out: bool = False
    invalid: bool = False


RECIPIENTS: dict[str, Recipient] = {
    r.number: r
    for r in [
        Recipient(DELIVERS),
        Recipient(LANDLINE, "undelivered", 30006),  # texts cannot reach it; it takes calls
        Recipient(UNREACHABLE, "undelivered", 30003, call="failed"),
        Recipient(OPTED_OUT, opted_out=True),  # sent STOP before: createMessage is refused
        Recipient(INVALID_NUMBER, invalid=True),  # well-formed, but no such number: 21211
        Recipient(CONFIRMS, reply="C"),
        Recipient(STOPS, reply="STOP"),  # and is opted out from then on
        Recipient(BUSY, call="busy"),
        Recipient(NO_ANSWER, call="no-answer"),
        Recipient(FAILS, "failed", 30008, call="failed"),
        Recipient(CONSOLE_NUMBER),
    ]
}


def recipient(number: str) -> Recipient:
    return RECIPIENTS.get(number) or Recipient(number)


def is_e164(number: str) -> bool:
    return _E164.fullmatch(number) is not None
