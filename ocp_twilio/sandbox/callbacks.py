"""StatusCallback events: built after each step, recorded always, posted when on loopback.

The sandbox never sends anything off the machine: a callback URL on another host is recorded
with ``posted=False`` and not contacted.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp

from ..hosts import is_loopback_host
from .session import PaySession, SessionState, rfc2822

__all__ = ["CallbackEvent", "CallbackPoster", "build_event", "is_loopback"]

logger = logging.getLogger("ocp_twilio.sandbox")

_DELIVERY_TIMEOUT = 5.0
# Form field of the event for each captured value (all masked but expiry and postal code).
_EVENT_FIELDS = {
    "payment-card-number": "PaymentCardNumber",
    "expiration-date": "ExpirationDate",
    "security-code": "SecurityCode",
    "postal-code": "PaymentCardPostalCode",
    "bank-routing-number": "BankRoutingNumber",
    "bank-account-number": "BankAccountNumber",
}


@dataclass
class CallbackEvent:
    """One event as posted (form fields), and what became of its delivery."""

    url: str
    fields: dict[str, str]
    posted: bool
    response_status: int | None = None
    error: str | None = None

    @property
    def payment_sid(self) -> str:
        return self.fields["Sid"]


def build_event(session: PaySession, step: dict[str, str], url: str) -> CallbackEvent:
    """The event after ``step`` (``{"Capture": ...}`` or ``{"Status": ...}``) was applied."""
    fields = {
        "AccountSid": session.account_sid,
        "CallSid": session.call_sid,
        "Sid": session.sid,
        "PaymentMethod": session.payment_method,
        "DateCreated": rfc2822(session.updated),
        **step,
        "PartialResult": "true" if session.state is SessionState.ACTIVE else "false",
        "Required": ",".join(session.missing),
    }
    for name, value in session.shown.items():
        if name in _EVENT_FIELDS:
            fields[_EVENT_FIELDS[name]] = value
    if "payment-card-number" in session.shown:
        fields["PaymentCardType"] = session.card.brand
    fields.update(session.outcome)
    return CallbackEvent(url=url, fields=fields, posted=is_loopback(url))


def is_loopback(url: str) -> bool:
    return is_loopback_host(urlsplit(url).hostname or "")


class CallbackPoster:
    """Posts loopback events in the background, as Twilio does after answering the request."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._pending: set[asyncio.Task[None]] = set()

    def post(self, event: CallbackEvent) -> None:
        if not event.posted:
            return
        task = asyncio.get_running_loop().create_task(self._deliver(event))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def aclose(self) -> None:
        """Let deliveries in flight finish (each is bounded by its timeout), then close."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _deliver(self, event: CallbackEvent) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with self._session.post(
                event.url,
                data=event.fields,
                timeout=aiohttp.ClientTimeout(total=_DELIVERY_TIMEOUT),
                allow_redirects=False,
            ) as response:
                event.response_status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            event.error = f"{type(exc).__name__}: {exc}"
        logger.info(
            "StatusCallback %s for %s -> %s",
            event.url,
            event.payment_sid,
            event.response_status or event.error,
        )
