"""The sandbox's outbound calls: createCall, fetchCall, listCall and updateCall, statuses that
move by themselves, and status callbacks for the events asked for.

A call is queued, then (``Timing.step`` seconds apart) initiated, ringing and in-progress, as
its recipient is scripted (recipients.py): or busy, no-answer or failed. An answered call ends
``Timing.call_length`` seconds later, or at ``updateCall`` with ``Status=completed``; while it
is in progress it is a live call for Payments too (its caller keys in the default card, or the
person at the console keys in when the call is to the console's number). At most ``max_calls``
are kept; a new one evicts the oldest that is over; when none is, 429.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence

from .bounded import make_room
from .callbacks import CallbackEvent, is_loopback
from .date_filters import date_filter
from .errors import SandboxError, bad_request, not_found
from .messaging import check_url
from .paging import page_of
from .parameters import check_call_form, check_call_list_query, check_call_update_form, check_to
from .recipients import SANDBOX_NUMBER, recipient
from .session import new_sid
from .steps import Steps, Timing
from .voice_call import CALLBACK_EVENTS, VoiceCall

__all__ = ["Voice"]

_TIMES = tuple(name + tail for name in ("StartTime", "EndTime") for tail in ("", "<", ">"))
_FILTERS = ("To", "From", "Status", "ParentCallSid", *_TIMES)
_URL_FIELDS = (
    "Url",
    "StatusCallback",
    "FallbackUrl",
    "AsyncAmdStatusCallback",
    "ClientNotificationUrl",
)
# A callback's CallStatus at each event (completed: the call's final status).
_EVENT_STATUS = {"initiated": "initiated", "ringing": "ringing", "answered": "in-progress"}

Record = Callable[[CallbackEvent], None]
Hook = Callable[[VoiceCall], None]


class Voice:
    def __init__(
        self,
        account_sid: str,
        max_calls: int,
        timing: Timing,
        record: Record,
        answered: Hook,
        ended: Hook,
        check_backlog: Callable[[], None],
    ) -> None:
        self.account_sid = account_sid
        self.max_calls = max_calls
        self.timing = timing
        self.phone_number_sid = new_sid("PN")
        self.calls: OrderedDict[str, VoiceCall] = OrderedDict()
        self._record = record
        self._answered = answered
        self._ended = ended
        self._check_backlog = check_backlog
        self._steps = Steps()

    def __repr__(self) -> str:
        return f"<Voice {len(self.calls)} calls>"

    def create(self, pairs: Sequence[tuple[str, str]]) -> VoiceCall:
        form = dict(pairs)
        events = [value for name, value in pairs if name == "StatusCallbackEvent"]
        check_call_form(form)
        to, sender = form.get("To", ""), form.get("From", "")
        if not to:
            raise SandboxError(400, 21201, "No 'To' number is specified.")
        if not sender:
            raise SandboxError(400, 21213, "No 'From' number is specified.")
        if sender != SANDBOX_NUMBER:
            raise SandboxError(
                400, 21210, f"The 'From' number must be the sandbox's own, {SANDBOX_NUMBER}."
            )
        if form.get("Url") is None and not form.get("Twiml") and "ApplicationSid" not in form:
            raise SandboxError(
                400, 21205, "Url, Twiml or ApplicationSid is required: what the call does."
            )
        _check_urls(form)
        asked = {word for value in events for word in value.split()}
        if not asked <= set(CALLBACK_EVENTS):
            raise bad_request(f"StatusCallbackEvent may name only: {', '.join(CALLBACK_EVENTS)}.")
        check_to(to)
        self._check_backlog()
        self._make_room()
        call = VoiceCall(
            self.account_sid,
            to,
            sender,
            self.phone_number_sid,
            status_callback=form.get("StatusCallback"),
            callback_method=form.get("StatusCallbackMethod", "POST"),
            events=frozenset(asked or {"completed"}),
        )
        self.calls[call.sid] = call
        self._steps.start(call.sid, self._ring(call))
        return call

    def fetch(self, sid: str) -> VoiceCall:
        call = self.calls.get(sid)
        if call is None:
            raise not_found(f"Call {sid}")
        return call

    def update(self, sid: str, form: Mapping[str, str]) -> VoiceCall:
        call = self.fetch(sid)
        check_call_update_form(form)
        status = form.get("Status")
        if status not in (None, "completed", "canceled"):
            raise bad_request("Status must be completed or canceled.")
        _check_urls(form)
        if call.final:
            raise SandboxError(400, 21220, "Call is not in-progress. Cannot redirect.")
        if status == "completed" or (status == "canceled" and call.status != "in-progress"):
            self.finish(call, "completed" if call.status == "in-progress" else "canceled")
        # A new Url or Twiml would be fetched or run: the sandbox plays no TwiML.
        return call

    def page(self, query: Mapping[str, str], path: str) -> dict[str, object]:
        filters = {name: query[name] for name in _FILTERS if name in query}
        check_call_list_query(filters)
        started, ended = date_filter(filters, "StartTime"), date_filter(filters, "EndTime")
        # Every call here is a parent: none has the ParentCallSid asked for.
        calls = () if "ParentCallSid" in filters else reversed(self.calls.values())
        newest_first = [
            c
            for c in calls
            if filters.get("To", c.to) == c.to
            and filters.get("From", c.from_) == c.from_
            and filters.get("Status", c.status) == c.status
            and started(c.started)
            and ended(c.ended)
        ]
        chosen, fields = page_of(newest_first, query, path, "calls", filters)
        fields["calls"] = [c.resource() for c in chosen]
        return fields

    def hang_up(self, sid: str) -> None:
        """The person on an answered call hangs up (a scripted Pay caller's ``hang-up``)."""
        call = self.calls.get(sid)
        if call is not None and call.status == "in-progress":
            self.finish(call, "completed")

    def finish(self, call: VoiceCall, status: str) -> None:
        self._steps.cancel(call.sid)  # the call's own steps, unless they are what finishes it
        answered = call.status == "in-progress"
        call.move(status)
        self._tell(call, "completed", status)
        if answered:
            self._ended(call)

    async def aclose(self) -> None:
        await self._steps.aclose()

    async def _ring(self, call: VoiceCall) -> None:
        outcome = recipient(call.to).call
        step = self.timing.step
        await asyncio.sleep(step)
        self._tell(call, "initiated", "initiated")
        if outcome == "failed":
            self.finish(call, "failed")
            return
        await asyncio.sleep(step)
        call.move("ringing")
        self._tell(call, "ringing", "ringing")
        await asyncio.sleep(step)
        if outcome != "in-progress":
            self.finish(call, outcome)
            return
        call.move("in-progress")
        self._tell(call, "answered", "in-progress")
        self._answered(call)
        await asyncio.sleep(self.timing.call_length)
        self.finish(call, "completed")

    def _tell(self, call: VoiceCall, event: str, call_status: str) -> None:
        url = call.status_callback
        if url is None or event not in call.events or self.calls.get(call.sid) is not call:
            return
        fields = call.callback_fields(_EVENT_STATUS.get(event, call_status))
        self._record(CallbackEvent(url, fields, is_loopback(url), method=call.callback_method))

    def _make_room(self) -> None:
        make_room(
            self.calls,
            self.max_calls,
            f"The sandbox holds its maximum of {self.max_calls} calls, none over: end one "
            "(updateCall with Status=completed), or start the sandbox with a larger max_calls.",
        )


def _check_urls(form: Mapping[str, str]) -> None:
    for name in _URL_FIELDS:
        value = form.get(name)
        if value is not None and not check_url(value):
            raise SandboxError(400, 21205, f"{name} must be an absolute http or https URL.")
