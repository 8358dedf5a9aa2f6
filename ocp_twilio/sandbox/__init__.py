"""An embedded Twilio Payments sandbox: Twilio's wire format, with state, on 127.0.0.1.

For agent developers who want to run a payment flow end to end without a Twilio account, a
phone call or a card. The library never imports this package; the ``ocp-twilio`` command does.
"""

from .callbacks import CallbackEvent
from .errors import SandboxError
from .server import HOST, Sandbox
from .session import PaySession, SessionState
from .test_data import TEST_BANK_ACCOUNT, TEST_CARD, CallerBankAccount, CallerCard

__all__ = [
    "HOST",
    "TEST_BANK_ACCOUNT",
    "TEST_CARD",
    "CallbackEvent",
    "CallerBankAccount",
    "CallerCard",
    "PaySession",
    "Sandbox",
    "SandboxError",
    "SessionState",
]
