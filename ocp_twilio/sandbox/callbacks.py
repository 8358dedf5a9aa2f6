"""Webhooks: Pay StatusCallback events built at each moment of a session, and the status
callbacks and incoming messages of texts and calls; recorded always, posted on loopback.

Each is signed with X-Twilio-Signature under the sandbox's Auth Token, over the callback URL
exactly as given (a GET's URL with its fields in the query). One resource's callbacks are posted
one after another, in order. The
sandbox never sends anything off the machine: a callback URL on another host is recorded with
``posted=False`` and not contacted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import aiohttp
from yarl import URL

from ..http.hosts import is_loopback_host
from ..payments.signatures import SIGNATURE_HEADER, compute_signature
from .keypad import VALUE_FIELDS
from .session import PaySession, iso8601

__all__ = ["CallbackEvent", "CallbackPoster", "build_event", "is_loopback"]

logger = logging.getLogger("ocp_twilio.sandbox")

_DELIVERY_TIMEOUT = 5.0
_MAX_IN_FLIGHT = 10_000  # deliveries waiting or running; past it an event is recorded only


@dataclass
class CallbackEvent:
    """One event as posted (form fields; with ``method`` GET, query fields), and what became
    of its delivery."""

    url: str
    fields: dict[str, str]
    posted: bool
    response_status: int | None = None
    error: str | None = None
    method: str = "POST"

    @property
    def sid(self) -> str:
        """The resource the event is about: a payment (PK), a text (SM) or a call (CA)."""
        fields = self.fields
        return fields.get("Sid") or fields.get("MessageSid") or fields["CallSid"]


def build_event(session: PaySession, url: str, step: Mapping[str, str] | None) -> CallbackEvent:
    """The event now: ``step`` is None right after create (the base fields only), else the
    fields of the capture moment (Capture, PartialResult, …) or {} after complete or cancel."""
    fields = {
        "AccountSid": session.account_sid,
        "CallSid": session.call_sid,
        "Sid": session.sid,
        "DateCreated": iso8601(session.created),
        "PaymentConnector": "Default",
        "PaymentMethod": session.payment_method,
    }
    if session.payment_method == "ach-debit" and session.bank_account_type:
        fields["BankAccountType"] = session.bank_account_type
    if session.tokenizing:
        fields["TokenType"] = session.token_type or "reusable"
    else:
        fields["ChargeAmount"] = f"{session.charge_amount:.2f}"
    if step is not None:
        fields["DateUpdated"] = iso8601(session.updated)
        fields["Required"] = ",".join(session.missing)
        for name, value in session.shown.items():
            if name in VALUE_FIELDS:
                fields[VALUE_FIELDS[name]] = value
        if session.brand is not None:
            fields["PaymentCardType"] = session.brand
        fields.update(step)
        fields.update(session.outcome)
    return CallbackEvent(url=url, fields=fields, posted=is_loopback(url))


def is_loopback(url: str) -> bool:
    return is_loopback_host(urlsplit(url).hostname or "")


class CallbackPoster:
    """Posts loopback events in the background, as Twilio does after answering the request."""

    def __init__(self, auth_token: str) -> None:
        self._auth_token = auth_token
        self._session: aiohttp.ClientSession | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self._last_of_resource: dict[str, asyncio.Task[None]] = {}

    @property
    def in_flight(self) -> int:
        """Deliveries waiting or running."""
        return len(self._pending)

    def post(self, event: CallbackEvent) -> None:
        if not event.posted:
            return
        if len(self._pending) >= _MAX_IN_FLIGHT:
            event.error = f"not posted: {_MAX_IN_FLIGHT} callbacks already in flight"
            return
        sid = event.sid
        previous = self._last_of_resource.get(sid)
        task = asyncio.get_running_loop().create_task(self._deliver_after(previous, event))
        self._pending.add(task)
        self._last_of_resource[sid] = task
        task.add_done_callback(lambda done: self._forget(sid, done))

    async def aclose(self) -> None:
        """Let deliveries in flight finish (each is bounded by its timeout), then close."""
        while self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _forget(self, sid: str, task: asyncio.Task[None]) -> None:
        self._pending.discard(task)
        if self._last_of_resource.get(sid) is task:
            del self._last_of_resource[sid]

    async def _deliver_after(
        self, previous: asyncio.Task[None] | None, event: CallbackEvent
    ) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        if self._session is None:
            self._session = aiohttp.ClientSession()
        url, form = event.url, event.fields
        if event.method == "GET":
            url, form = url + ("&" if "?" in url else "?") + urlencode(form), {}
        signature = compute_signature(self._auth_token, url, form)
        try:
            async with self._session.request(
                event.method,
                URL(url, encoded=True),  # sent to the very URL that was signed
                data=form or None,
                headers={SIGNATURE_HEADER: signature},
                timeout=aiohttp.ClientTimeout(total=_DELIVERY_TIMEOUT),
                allow_redirects=False,
            ) as response:
                event.response_status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            event.error = type(exc).__name__
        logger.info("StatusCallback for %s -> %s", event.sid, event.response_status or event.error)
