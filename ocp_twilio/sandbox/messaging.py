"""The sandbox's texts: createMessage and the rest, statuses that move by themselves, status
callbacks, scripted replies and the sandbox number's incoming-message webhook.

A text moves queued → sent → delivered, or to undelivered or failed, as its recipient is
scripted (recipients.py), ``Timing.step`` seconds apart; each status after queued is posted to
its StatusCallback. A scripted person's reply, and one typed at the console, arrives as an
inbound text to the sandbox's number, posted to its ``sms_url``. At most ``max_messages`` are
kept: a new one evicts the oldest that is final; when all are still on their way, 429.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence

from .bounded import make_room
from .callbacks import CallbackEvent, is_loopback
from .date_filters import date_filter
from .errors import SandboxError, bad_request, not_found
from .message import Message
from .paging import page_of
from .parameters import check_message_form, check_to
from .recipients import CONSOLE_NUMBER, SANDBOX_NUMBER, is_e164, recipient
from .steps import Steps, Timing

__all__ = ["MAX_BODY", "MAX_MEDIA", "Messaging", "check_url"]

logger = logging.getLogger("ocp_twilio.sandbox")

MAX_BODY = 1_600  # characters, Twilio's limit on a text's body
MAX_MEDIA = 10
_STOP = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
_START = frozenset({"START", "YES", "UNSTOP"})
_FILTERS = ("To", "From", "DateSent", "DateSent<", "DateSent>")

Record = Callable[[CallbackEvent], None]
Changed = Callable[[str], None]


class Messaging:
    def __init__(
        self,
        account_sid: str,
        messaging_service_sid: str,
        max_messages: int,
        timing: Timing,
        record: Record,
        phone_changed: Changed,
        check_backlog: Callable[[], None],
    ) -> None:
        self.account_sid = account_sid
        self.messaging_service_sid = messaging_service_sid
        self.max_messages = max_messages
        self.timing = timing
        self.sms_url: str | None = None
        self.messages: OrderedDict[str, Message] = OrderedDict()
        self.opted_out: set[str] = set()
        self._record = record
        self._phone_changed = phone_changed
        self._check_backlog = check_backlog
        self._steps = Steps()

    def __repr__(self) -> str:
        return f"<Messaging {len(self.messages)} texts, {len(self._steps)} on their way>"

    def create(self, pairs: Sequence[tuple[str, str]]) -> Message:
        form = dict(pairs)
        media = [value for name, value in pairs if name == "MediaUrl"]
        check_message_form(form)
        to = form.get("To", "")
        if not to:
            raise SandboxError(400, 21604, "A 'To' phone number is required.")
        service = form.get("MessagingServiceSid")
        sender = form.get("From")
        if not sender and not service:
            raise SandboxError(400, 21603, "A 'From' phone number is required.")
        if service is not None and service != self.messaging_service_sid:
            raise SandboxError(
                400,
                21705,
                f"MessagingServiceSid must be the sandbox's {self.messaging_service_sid}.",
            )
        if sender and sender != SANDBOX_NUMBER:
            raise SandboxError(
                400, 21606, f"The 'From' number must be the sandbox's own, {SANDBOX_NUMBER}."
            )
        body = form.get("Body", "")
        if not body and not media:
            raise SandboxError(400, 21602, "Message body is required: send Body or MediaUrl.")
        if len(body) > MAX_BODY:
            raise SandboxError(400, 21617, f"The body exceeds {MAX_BODY} characters.")
        if len(media) > MAX_MEDIA or not all(check_url(url) for url in media):
            raise SandboxError(400, 21620, f"MediaUrl: at most {MAX_MEDIA} http or https URLs.")
        callback = form.get("StatusCallback")
        if callback is not None and not check_url(callback):
            raise SandboxError(400, 21609, "StatusCallback must be an absolute http or https URL.")
        person = check_to(to)
        if to == SANDBOX_NUMBER:
            raise SandboxError(400, 21266, "'To' and 'From' number cannot be the same.")
        if person.opted_out or to in self.opted_out:
            raise SandboxError(
                400,
                21610,
                "Attempt to send to unsubscribed recipient: they replied STOP; they must text "
                "START to receive texts again.",
            )
        self._check_backlog()
        self._make_room()
        message = Message(
            self.account_sid,
            to,
            SANDBOX_NUMBER,
            body,
            num_media=len(media),
            messaging_service_sid=service,
            status_callback=callback,
        )
        self._keep(message)
        self._steps.start(message.sid, self._deliver(message))
        return message

    def fetch(self, sid: str) -> Message:
        message = self.messages.get(sid)
        if message is None:
            raise not_found(f"Message {sid}")
        return message

    def delete(self, sid: str) -> None:
        message = self.fetch(sid)
        if not message.final:
            raise SandboxError(
                409, 20009, "Cannot delete a message still on its way: wait for a final status."
            )
        del self.messages[sid]
        self._changed(message)

    def update(self, sid: str, form: Mapping[str, str]) -> Message:
        """Only what Twilio allows: ``Body=""`` redacts a final text's body; ``Status=canceled``
        cancels a scheduled one (the sandbox schedules none)."""
        message = self.fetch(sid)
        if "Status" in form:
            raise SandboxError(400, 30409, "Only a scheduled message can be canceled.")
        if form.get("Body") != "":
            raise bad_request("Body may only be set to the empty string, to redact a message.")
        if not message.final:
            raise SandboxError(400, 20009, "Redact a message once it has a final status.")
        message.body = ""
        return message

    def page(self, query: Mapping[str, str], path: str) -> dict[str, object]:
        filters = {name: query[name] for name in _FILTERS if name in query}
        matches = _matcher(filters)
        newest_first = [m for m in reversed(self.messages.values()) if matches(m)]
        chosen, fields = page_of(newest_first, query, path, "messages", filters)
        fields["messages"] = [m.resource() for m in chosen]
        return fields

    def receive(self, sender: str, body: str) -> Message:
        """A text from ``sender`` to the sandbox's number: kept, and posted to ``sms_url``."""
        if not is_e164(sender):
            raise SandboxError(400, 21212, "The sender must be an E.164 number.")
        if not body or len(body) > MAX_BODY:
            raise SandboxError(400, 21617, f"A text holds 1 to {MAX_BODY} characters.")
        word = body.strip().upper()
        if word in _STOP:
            self.opted_out.add(sender)
        elif word in _START:
            self.opted_out.discard(sender)
        self._make_room()
        message = Message(
            self.account_sid, SANDBOX_NUMBER, sender, body, direction="inbound", status="received"
        )
        message.sent = message.created
        self._keep(message)
        if self.sms_url is not None:
            self._record(
                CallbackEvent(self.sms_url, message.inbound_fields(), is_loopback(self.sms_url))
            )
        return message

    async def aclose(self) -> None:
        await self._steps.aclose()

    async def _deliver(self, message: Message) -> None:
        person = recipient(message.to)
        await asyncio.sleep(self.timing.step)
        if person.message == "failed":
            self._move(message, "failed", person.error_code)
            return
        self._move(message, "sent")
        await asyncio.sleep(self.timing.step)
        if person.message == "undelivered":
            self._move(message, "undelivered", person.error_code)
            return
        self._move(message, "delivered")
        if person.reply is not None:
            await asyncio.sleep(self.timing.reply)
            try:
                self.receive(message.to, person.reply)
            except SandboxError as exc:  # every place is taken by texts on their way
                logger.warning("A scripted reply was dropped: %s", exc.message)

    def _move(self, message: Message, status: str, error_code: int | None = None) -> None:
        if self.messages.get(message.sid) is not message:
            return  # deleted or evicted meanwhile
        message.move(status, error_code)
        if message.status_callback is not None:
            url = message.status_callback
            self._record(CallbackEvent(url, message.status_fields(), is_loopback(url)))
        self._changed(message)

    def _keep(self, message: Message) -> None:
        self.messages[message.sid] = message
        self._changed(message)

    def _changed(self, message: Message) -> None:
        if CONSOLE_NUMBER in (message.to, message.from_):
            self._phone_changed(message.sid)

    def _make_room(self) -> None:
        evicted = make_room(
            self.messages,
            self.max_messages,
            f"The sandbox holds its maximum of {self.max_messages} texts, all still on their "
            "way: wait tens of milliseconds for them to be delivered, or start the sandbox "
            "with a larger max_messages.",
        )
        if evicted is not None:
            self._steps.cancel(evicted)  # a reply may still be due: it goes with the text


def check_url(url: str) -> bool:
    scheme, _, rest = url.partition("://")
    return scheme in ("http", "https") and bool(rest) and url.isprintable() and " " not in url


def _matcher(filters: Mapping[str, str]) -> Callable[[Message], bool]:
    to, sender = filters.get("To"), filters.get("From")
    sent_within = date_filter(filters, "DateSent")

    def matches(message: Message) -> bool:
        if to not in (None, message.to) or sender not in (None, message.from_):
            return False
        return sent_within(message.sent)

    return matches
