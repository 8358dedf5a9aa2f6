"""The demo's other side: the person on the phone, played by the sandbox (Twilio has no such thing).

On a real call a person types on the keypad; here the sandbox's scripting (``start_call``, or
``POST /sandbox/calls``) says what they key in. Only this module knows the digits; the agent
gets the call's sid and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..sandbox import DECLINED_CARD, HANG_UP, INVALID_CARD, Sandbox

__all__ = ["CALLERS", "DEFAULT_CALLER", "PERSON", "call_in"]

# What each scripted caller keys in, per field and in order (fields not named: the test card).
CALLERS: Mapping[str, tuple[str, Mapping[str, Sequence[str]]]] = {
    "typo-then-right": (
        "keys in a wrong card number first, then the right one",
        {"payment-card-number": [INVALID_CARD, "4242424242424242"]},
    ),
    "hangs-up": (
        "hangs up when asked for the security code",
        {"security-code": [HANG_UP]},
    ),
    "declined-card": (
        "keys in a card that the processor declines",
        {"payment-card-number": [DECLINED_CARD]},
    ),
}
DEFAULT_CALLER = "typo-then-right"
# No script: the person at the sandbox console keys in (demo --console).
PERSON = "you"


def call_in(sandbox: Sandbox, caller: str) -> tuple[str, str]:
    """Start the live call with ``caller`` on the line; its CA sid and what the caller will do."""
    if caller == PERSON:
        return sandbox.start_call(console=True), "is you: key in at the console's keypad"
    what, script = CALLERS[caller]
    return sandbox.start_call(script), what
