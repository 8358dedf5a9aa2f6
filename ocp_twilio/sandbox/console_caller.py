"""The person at the console playing the caller: the keys of one Capture, as they press them.

Each digit becomes a PartialResult=true callback (masked as it grows), ``#`` ends the entry,
which then goes through the card check like a scripted one (keypad.py); no key for
``timeout`` seconds is Twilio's input-timeout. The keys pressed so far live here only until the
entry ends; the repr shows how many, never which.
"""

from __future__ import annotations

from .caller import MAX_DIGITS
from .errors import invalid_parameter
from .test_data import HANG_UP

__all__ = ["FINISH_KEY", "KEYS", "PersonAtKeypad"]

FINISH_KEY = "#"  # as on a phone: the caller ends an entry with the pound key
KEYS = frozenset("0123456789") | {FINISH_KEY, HANG_UP}


class PersonAtKeypad:
    __slots__ = ("_digits", "callback", "capture")

    def __init__(self, capture: str, callback: str) -> None:
        self.capture, self.callback = capture, callback
        self._digits = ""

    def __repr__(self) -> str:
        return f"<PersonAtKeypad {self.capture}, {len(self._digits)} keys>"

    @property
    def count(self) -> int:
        return len(self._digits)

    def press(self, digit: str) -> int:
        """One more digit; how many are in so far."""
        if len(self._digits) == MAX_DIGITS:
            raise invalid_parameter(f"An entry holds at most {MAX_DIGITS} digits: press #.")
        self._digits += digit
        return len(self._digits)

    def finish(self) -> str:
        """The entry, handed over once to the card check (and dropped here)."""
        if not self._digits:
            raise invalid_parameter("Key in at least one digit before #.")
        digits, self._digits = self._digits, ""
        return digits
