"""The test credentials: known secrets that the tests search for in every output."""

from __future__ import annotations

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "tok-" + "5ecre7" * 5  # a known secret that tests search for in every output
TWILIO_ENV = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}
