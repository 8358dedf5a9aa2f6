"""What a message's or call's status and Twilio error code mean, and what the model should do.

The codes are the ones Twilio reports most for messages (its error dictionary: 30003
unreachable, 30005 unknown destination, 30006 landline, 30007 filtered, 21610 opted out...);
any other code gets a sentence that names it.
"""

from __future__ import annotations

__all__ = ["ERROR_CODES", "call_sentence", "error_sentence", "message_sentence"]

_ERROR_SENTENCES = {
    "21211": "The To number is not a valid phone number: check it with the user before sending.",
    "21408": (
        "This account may not send to that country: the operator must enable it in the "
        "account's geographic permissions."
    ),
    "21610": (
        "The recipient opted out (they replied STOP): do not text them again; they must reply "
        "START to receive messages. Reach them another way if the user allows."
    ),
    "21612": "Twilio cannot route from this From to that To: send from another number.",
    "21614": "The To number cannot receive SMS (not a mobile number): call it instead.",
    "30001": "Twilio's queue for this sender overflowed: send again later, more slowly.",
    "30002": "The account is suspended: the operator must fix the account before anything sends.",
    "30003": (
        "The phone is unreachable (switched off or out of coverage): try again later, or call."
    ),
    "30004": "The recipient blocked messages from this number: do not retry; use another channel.",
    "30005": (
        "The number is unknown to its carrier (it may no longer exist): confirm the number with "
        "the user before trying again."
    ),
    "30006": (
        "The number is a landline or cannot receive texts: call it instead (createCall), or ask "
        "for a mobile number."
    ),
    "30007": (
        "The carrier filtered the message as spam: do not resend the same text; reword it, or "
        "register the sender (A2P 10DLC, toll-free verification)."
    ),
    "30008": (
        "The carrier failed the message without a reason: try once more later; if it fails "
        "again, use another channel."
    ),
    "30032": "The toll-free sender is not verified: the operator must verify it before sending.",
    "30034": "The sender is not registered for A2P 10DLC: the operator must register it.",
}
ERROR_CODES = tuple(_ERROR_SENTENCES)
"""The Twilio error codes with a sentence of their own in :func:`error_sentence`."""


def error_sentence(code: str) -> str:
    """What Twilio error ``code`` means for a message or call, and what to do next."""
    sentence = _ERROR_SENTENCES.get(code)
    if sentence is not None:
        return sentence
    return (
        f"Twilio reported error {code}: do not resend blindly; look the code up in Twilio's "
        "error dictionary or tell the user it failed."
    )


def message_sentence(status: str | None, code: str | None) -> str:
    """The next step for a message in ``status``."""
    if status is None:
        return "No status callback has come for this message yet: wait with waitForMessageStatus."
    if status in ("undelivered", "failed"):
        because = error_sentence(code) if code and code != "0" else "Twilio gave no error code."
        return f"The message was not delivered ({status}). {because}"
    return _MESSAGE_STEPS.get(status, f"The message is {status}: wait with waitForMessageStatus.")


_MESSAGE_STEPS = {
    "delivered": "The message was delivered. To read an answer, wait with waitForReply.",
    "read": "The recipient read the message. To read an answer, wait with waitForReply.",
    "sent": (
        "The carrier accepted the message; delivery is not confirmed yet (some carriers never "
        "confirm): wait with waitForMessageStatus, or go on."
    ),
    "canceled": "The scheduled message was canceled and will not be sent.",
    "partially_delivered": "Only part of the message was delivered: consider sending it again.",
    "received": "This is a message the account received, not one it sent.",
}


def call_sentence(status: str | None) -> str:
    """The next step for a call in ``status``."""
    if status is None:
        return "No status callback has come for this call yet: wait with waitForCallStatus."
    return _CALL_STEPS.get(status, f"The call is {status}: wait with waitForCallStatus.")


_CALL_STEPS = {
    "in-progress": "The call was answered and goes on: wait with waitForCallStatus for its end.",
    "completed": "The call ended after it was answered.",
    "busy": "The line was busy: try again in a few minutes, or send a text.",
    "no-answer": "Nobody answered: try again later, or send a text.",
    "failed": "The call could not be placed (a wrong number, a carrier problem): check the number.",
    "canceled": "The call was canceled before it was answered.",
}
