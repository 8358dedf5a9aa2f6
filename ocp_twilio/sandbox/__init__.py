"""An embedded Twilio Payments sandbox: Twilio's wire format, with state, on 127.0.0.1.

For agent developers who want to run a payment flow end to end without a Twilio account, a
phone call or a card. The library never imports this package; the ``ocp-twilio`` command does.
"""

from .callbacks import CallbackEvent
from .errors import SandboxError
from .server import HOST, Sandbox
from .session import PaySession, SessionState
from .state import Limits
from .test_data import (
    DECLINED_CARD,
    EXPIRED_DATE,
    HANG_UP,
    INVALID_CARD,
    SILENT,
    TEST_BANK_ACCOUNT,
    TEST_CARD,
    CallerBankAccount,
    CallerCard,
)

__all__ = [
    "DECLINED_CARD",
    "EXPIRED_DATE",
    "HANG_UP",
    "HOST",
    "INVALID_CARD",
    "SILENT",
    "TEST_BANK_ACCOUNT",
    "TEST_CARD",
    "CallbackEvent",
    "CallerBankAccount",
    "CallerCard",
    "Limits",
    "PaySession",
    "Sandbox",
    "SandboxError",
    "SessionState",
]
