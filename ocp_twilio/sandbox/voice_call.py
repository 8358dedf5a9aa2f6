"""One outbound call as Twilio's Call resource shows it, and its status callbacks."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from .message import API_VERSION, utc_now
from .session import new_sid, rfc2822

__all__ = ["CALLBACK_EVENTS", "FINAL_CALL_STATUSES", "VoiceCall", "formatted"]

CALLBACK_EVENTS = ("initiated", "ringing", "answered", "completed")
FINAL_CALL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
_PRICE_PER_MINUTE = 0.014  # USD


def formatted(number: str) -> str:
    """``(555) 010-0106`` for a +1 number, as Twilio formats North American numbers."""
    if len(number) == 12 and number.startswith("+1"):
        return f"({number[2:5]}) {number[5:8]}-{number[8:]}"
    return number


@dataclass(slots=True)
class VoiceCall:
    """``events``: the StatusCallbackEvent values asked for; ``sequence``: callbacks sent."""

    account_sid: str
    to: str
    from_: str
    phone_number_sid: str
    status_callback: str | None = None
    callback_method: str = "POST"
    events: frozenset[str] = frozenset({"completed"})
    status: str = "queued"
    sequence: int = 0
    sid: str = field(default_factory=lambda: new_sid("CA"))
    created: datetime = field(default_factory=utc_now)
    updated: datetime = field(default_factory=utc_now)
    started: datetime | None = None
    ended: datetime | None = None

    @property
    def final(self) -> bool:
        return self.status in FINAL_CALL_STATUSES

    @property
    def uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{self.sid}.json"

    @property
    def duration(self) -> int | None:
        if self.ended is None:
            return None
        if self.started is None:
            return 0
        return round((self.ended - self.started).total_seconds())

    def move(self, status: str) -> None:
        self.status, self.updated = status, utc_now()
        if status == "in-progress":
            self.started = self.updated
        elif self.final:
            self.ended = self.updated

    def resource(self) -> dict[str, object]:
        duration = self.duration
        priced = self.status == "completed" and duration is not None
        minutes = max(1, math.ceil((duration or 0) / 60))
        base = self.uri.removesuffix(".json")
        return {
            "account_sid": self.account_sid,
            "answered_by": None,
            "api_version": API_VERSION,
            "caller_name": None,
            "date_created": rfc2822(self.created),
            "date_updated": rfc2822(self.updated),
            "direction": "outbound-api",
            "duration": None if duration is None else str(duration),
            "end_time": None if self.ended is None else rfc2822(self.ended),
            "forwarded_from": None,
            "from": self.from_,
            "from_formatted": formatted(self.from_),
            "group_sid": None,
            "parent_call_sid": None,
            "phone_number_sid": self.phone_number_sid,
            "price": f"-{_PRICE_PER_MINUTE * minutes:.5f}" if priced else None,
            "price_unit": "USD",
            "queue_time": "0",
            "sid": self.sid,
            "start_time": None if self.started is None else rfc2822(self.started),
            "status": self.status,
            "subresource_uris": {
                name: f"{base}/{name.title().replace('_', '')}.json"
                for name in ("notifications", "recordings", "payments", "events")
            },
            "to": self.to,
            "to_formatted": formatted(self.to),
            "trunk_sid": None,
            "uri": self.uri,
        }

    def callback_fields(self, call_status: str) -> dict[str, str]:
        """The status callback's fields now, and counts it: SequenceNumber goes 0, 1, 2…"""
        fields = {
            "CallSid": self.sid,
            "AccountSid": self.account_sid,
            "From": self.from_,
            "To": self.to,
            "CallStatus": call_status,
            "Direction": "outbound-api",
            "ApiVersion": API_VERSION,
            "CallbackSource": "call-progress-events",
            "Timestamp": rfc2822(self.updated),
            "SequenceNumber": str(self.sequence),
        }
        duration = self.duration
        if self.final and duration is not None:
            fields["CallDuration"] = str(duration)
        self.sequence += 1
        return fields
