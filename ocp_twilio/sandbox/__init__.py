"""An embedded Twilio sandbox: Twilio's wire format, with state, on 127.0.0.1.

For agent developers who want to run a payment flow, a text or a call end to end without a
Twilio account, a phone or a card. The library never imports this package; the ``ocp-twilio``
command does. The scripted recipients (recipients.py) are data that demos and tests import.
"""

from .callbacks import CallbackEvent
from .errors import SandboxError
from .message import Message
from .recipients import (
    BUSY,
    CONFIRMS,
    CONSOLE_NUMBER,
    DELIVERS,
    FAILS,
    INVALID_NUMBER,
    LANDLINE,
    NO_ANSWER,
    OPTED_OUT,
    RECIPIENTS,
    SANDBOX_NUMBER,
    STOPS,
    UNREACHABLE,
    Recipient,
)
from .server import HOST, Sandbox
from .session import PaySession, SessionState
from .state import Limits
from .steps import Timing
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
from .voice_call import VoiceCall

__all__ = [
    "BUSY",
    "CONFIRMS",
    "CONSOLE_NUMBER",
    "DECLINED_CARD",
    "DELIVERS",
    "EXPIRED_DATE",
    "FAILS",
    "HANG_UP",
    "HOST",
    "INVALID_CARD",
    "INVALID_NUMBER",
    "LANDLINE",
    "NO_ANSWER",
    "OPTED_OUT",
    "RECIPIENTS",
    "SANDBOX_NUMBER",
    "SILENT",
    "STOPS",
    "TEST_BANK_ACCOUNT",
    "TEST_CARD",
    "UNREACHABLE",
    "CallbackEvent",
    "CallerBankAccount",
    "CallerCard",
    "Limits",
    "Message",
    "PaySession",
    "Recipient",
    "Sandbox",
    "SandboxError",
    "SessionState",
    "Timing",
    "VoiceCall",
]
