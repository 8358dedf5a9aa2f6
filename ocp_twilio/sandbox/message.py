"""One text as Twilio's Message resource shows it, and the webhooks Twilio posts about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from .session import new_sid, rfc2822

__all__ = [
    "API_VERSION",
    "ERROR_MESSAGES",
    "FINAL_STATUSES",
    "Message",
    "segments",
    "utc_now",
]

API_VERSION = "2010-04-01"
FINAL_STATUSES = frozenset({"delivered", "undelivered", "failed", "received"})
# The names of Twilio's error codes the scripted recipients give.
ERROR_MESSAGES = {
    30003: "Unreachable destination handset",
    30006: "Landline or unreachable carrier",
    30008: "Unknown error",
}
_PRICE = 0.0079  # per segment, in USD; Twilio writes prices negative, with five decimals
# GSM 03.38's basic characters: a text of only these takes 160 per segment, else 70 (UCS-2).
_GSM = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def segments(body: str) -> int:
    single, part = (160, 153) if set(body) <= _GSM else (70, 67)
    if len(body) <= single:
        return 1
    return -(-len(body) // part)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(slots=True)
class Message:
    account_sid: str
    to: str
    from_: str
    body: str
    num_media: int = 0
    direction: str = "outbound-api"
    status: str = "queued"
    messaging_service_sid: str | None = None
    status_callback: str | None = None
    error_code: int | None = None
    sid: str = field(default_factory=lambda: new_sid("SM"))
    created: datetime = field(default_factory=utc_now)
    updated: datetime = field(default_factory=utc_now)
    sent: datetime | None = None

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json"

    def move(self, status: str, error_code: int | None = None) -> None:
        self.status, self.error_code = status, error_code
        self.updated = utc_now()
        if status == "sent":
            self.sent = self.updated

    def resource(self) -> dict[str, object]:
        priced = self.sent is not None and self.direction != "inbound"
        count = segments(self.body)
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": rfc2822(self.created),
            "date_sent": None if self.sent is None else rfc2822(self.sent),
            "date_updated": rfc2822(self.updated),
            "direction": self.direction,
            "error_code": self.error_code,
            "error_message": ERROR_MESSAGES.get(self.error_code or 0),
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": str(self.num_media),
            "num_segments": str(count),
            "price": f"-{_PRICE * count:.5f}" if priced else None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {
                "media": self.uri.removesuffix(".json") + "/Media.json",
                "feedback": self.uri.removesuffix(".json") + "/Feedback.json",
            },
            "to": self.to,
            "uri": self.uri,
        }

    def status_fields(self) -> dict[str, str]:
        """A status callback's form fields."""
        fields = {
            "MessageSid": self.sid,
            "SmsSid": self.sid,
            "MessageStatus": self.status,
            "SmsStatus": self.status,
            "From": self.from_,
            "To": self.to,
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
        }
        if self.messaging_service_sid is not None:
            fields["MessagingServiceSid"] = self.messaging_service_sid
        if self.error_code is not None:
            fields["ErrorCode"] = str(self.error_code)
        return fields

    def inbound_fields(self) -> dict[str, str]:
        """An incoming message's webhook fields (this message is the one received)."""
        return {
            "MessageSid": self.sid,
            "SmsSid": self.sid,
            "SmsMessageSid": self.sid,
            "AccountSid": self.account_sid,
            "From": self.from_,
            "To": self.to,
            "Body": self.body,
            "NumMedia": str(self.num_media),
            "NumSegments": str(segments(self.body)),
            "SmsStatus": self.status,
            "ApiVersion": API_VERSION,
        }
