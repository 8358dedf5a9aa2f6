"""Everything the sandbox knows: its test account, live calls, Pay sessions, texts, outbound
calls and events, bounded.

Memory stays bounded however long it runs: a call (with its payments) expires ``call_ttl``
seconds after its last request; at ``max_calls`` the oldest call with no open payment (over, or
never started) makes room, and when every call is still paying, starting one more is refused
(429, code 20429). The event log keeps the last ``max_events``; idempotency keys are bounded the
same way. Texts and outbound calls keep their own bounds (messaging.py, voice.py).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Literal

from .callbacks import CallbackEvent, CallbackPoster, build_event
from .caller import ScriptedCaller
from .console_caller import FINISH_KEY, KEYS, PersonAtKeypad
from .errors import SandboxError, invalid_parameter, not_found
from .idempotency import IdempotencyStore
from .keypad import entered, hung_up, keypad, timed_out, typing
from .messaging import Messaging
from .parameters import check_create_form, check_update_form
from .recipients import CONSOLE_NUMBER
from .session import PaySession, SessionState, new_sid
from .steps import Timing
from .test_data import HANG_UP, TEST_BANK_ACCOUNT, TEST_CARD, CallerBankAccount, CallerCard
from .voice import Voice
from .voice_call import VoiceCall

__all__ = ["Call", "Limits", "Moment", "SandboxState"]

_MAX_PAYMENTS_PER_CALL = 20


@dataclass(frozen=True)
class Limits:
    max_calls: int = 1_000
    max_messages: int = 1_000
    # Callbacks waiting to be posted past which a new text or call is refused (429): the
    # sandbox slows its client down rather than let the backlog grow.
    max_callbacks_waiting: int = 1_000
    call_ttl: float = 3_600.0
    max_events: int = 10_000
    max_idempotency_keys: int = 20_000
    # The console: event streams open at once, messages one may fall behind by, and seconds
    # one lasts (a page that stopped reading holds its place no longer; a live one reconnects).
    max_viewers: int = 8
    max_viewer_backlog: int = 1_000
    viewer_lifetime: float = 600.0


@dataclass(frozen=True)
class Moment:
    """Something the console shows as it happens, masked values only: a call started (kind
    ``call``), a request answered (``request``), a callback recorded (``callback``), or a
    text or call to or from the console's number (``phone``; ``call_sid``: its sid)."""

    call_sid: str
    kind: Literal["call", "request", "callback", "phone"]
    fields: Mapping[str, str] = field(default_factory=dict)


Watcher = Callable[[Moment], None]


@dataclass
class Call:
    """``caller`` None: the person at the console keys in each Capture."""

    sid: str
    caller: ScriptedCaller | None
    live: bool = True
    payments: list[str] = field(default_factory=list)
    touched: float = field(default_factory=time.monotonic)


@dataclass
class SandboxState:
    """One test account (with one API key); by default fresh credentials for every sandbox.

    ``typing_delay``: seconds the simulated caller waits before each key; 0 types the whole
    entry at once, before the answer to the Capture request is sent.
    """

    poster: CallbackPoster
    account_sid: str = field(default_factory=lambda: new_sid("AC"))
    auth_token: str = field(default_factory=lambda: secrets.token_hex(16), repr=False)
    api_key_sid: str = field(default_factory=lambda: new_sid("SK"))
    api_key_secret: str = field(default_factory=lambda: secrets.token_hex(16), repr=False)
    card: CallerCard = TEST_CARD
    bank: CallerBankAccount = TEST_BANK_ACCOUNT
    typing_delay: float = 0.0
    # Seconds the person at the console may take per key before the capture times out.
    key_timeout: float = 30.0
    limits: Limits = field(default_factory=Limits)
    timing: Timing = field(default_factory=Timing)
    messaging_service_sid: str = field(default_factory=lambda: new_sid("MG"))
    calls: OrderedDict[str, Call] = field(default_factory=OrderedDict)
    sessions: dict[str, PaySession] = field(default_factory=dict)
    events: deque[CallbackEvent] = field(init=False)
    idempotency: IdempotencyStore = field(init=False)
    messaging: Messaging = field(init=False)
    voice: Voice = field(init=False)
    requests_received: int = 0
    keying: dict[str, PersonAtKeypad] = field(default_factory=dict)
    watchers: list[Watcher] = field(default_factory=list, repr=False)
    _held: list[Moment] | None = field(default=None, repr=False)
    _typing: dict[str, asyncio.Task[None]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.events = deque(maxlen=self.limits.max_events)
        self.idempotency = IdempotencyStore(self.limits.max_idempotency_keys)
        self.messaging = Messaging(
            self.account_sid,
            self.messaging_service_sid,
            self.limits.max_messages,
            self.timing,
            self.post_event,
            lambda sid: self.tell(Moment(sid, "phone")),
            self._check_backlog,
        )
        self.voice = Voice(
            self.account_sid,
            self.limits.max_calls,
            self.timing,
            self.post_event,
            self._voice_answered,
            self._voice_ended,
            self._check_backlog,
        )

    def start_call(
        self,
        entries: Iterable[tuple[str, str]] | Mapping[str, Iterable[str]] = (),
        *,
        console: bool = False,
        sid: str | None = None,
    ) -> str:
        """Sandbox only: a live, in-progress call; ``entries`` script its caller (caller.py),
        or ``console``: the person at the console keys in instead. ``sid``: an outbound
        call's, once answered."""
        caller = None if console else ScriptedCaller(self.card, self.bank, entries)
        self._make_room()
        call = Call(sid or new_sid("CA"), caller)
        self.calls[call.sid] = call
        self.tell(Moment(call.sid, "call"))
        return call.sid

    def post_event(self, event: CallbackEvent) -> None:
        """Record a webhook, and post it when its URL is on loopback."""
        self.events.append(event)
        self.poster.post(event)

    def tell(self, moment: Moment) -> None:
        if self._held is not None:
            self._held.append(moment)
            return
        for watcher in self.watchers:
            watcher(moment)

    @contextmanager
    def answering(self) -> Iterator[list[Moment]]:
        """While a request is answered, the moments it causes wait, and are told after those
        put into the list given (the request's own): the console's timeline reads in order."""
        self._held = []
        first: list[Moment] = []
        try:
            yield first
        finally:
            caused, self._held = self._held, None
            for moment in [*first, *caused]:
                self.tell(moment)

    def press(self, sid: str, key: str) -> None:
        """Sandbox only: the person at the console presses ``key`` (a digit, ``#`` or
        ``hang-up``) in the Capture that payment ``sid`` waits for."""
        person = self.keying.get(sid)
        if person is None:
            raise SandboxError(400, 64021, "No capture of this payment waits for the keypad.")
        if key not in KEYS:
            raise invalid_parameter("A key is one digit, # or hang-up.")
        session, call = self.sessions[sid], self.calls[self.sessions[sid].call_sid]
        capture = person.capture
        if key == HANG_UP:
            self._stop_typing(sid)
            moment = hung_up(capture, lambda: self._hang_up(call))
        elif key == FINISH_KEY:
            digits = person.finish()
            self._stop_typing(sid)
            moment = entered(session, capture, digits)
        else:
            moment = typing(capture, person.press(key))
            self._await_key(session, person)
        self._record(session, person.callback, moment)

    def create_payment(
        self, account_sid: str, call_sid: str, form: Mapping[str, str]
    ) -> PaySession:
        call = self._live_call(account_sid, call_sid)
        callback = _required(form, "StatusCallback")
        check_create_form(form)
        if len(call.payments) >= _MAX_PAYMENTS_PER_CALL:
            raise SandboxError(
                400,
                64021,
                f"This call already had {_MAX_PAYMENTS_PER_CALL} payments; start a new call.",
            )
        session = PaySession.start(account_sid, call_sid, form)
        self.sessions[session.sid] = session
        call.payments.append(session.sid)
        self._record(session, callback, None)
        return session

    def update_payment(
        self, account_sid: str, call_sid: str, sid: str, form: Mapping[str, str]
    ) -> PaySession:
        call = self._live_call(account_sid, call_sid)
        session = self.sessions.get(sid)
        if session is None or session.call_sid != call_sid:
            raise not_found(f"Payment {sid}")
        callback = _required(form, "StatusCallback")
        check_update_form(form)
        capture, status = form.get("Capture"), form.get("Status")
        if (capture is None) == (status is None):
            raise SandboxError(400, 64018, "Exactly one of Capture or Status must be set.")
        if status is not None:
            session.update_status(status)
            self._stop_typing(sid)
            self._record(session, callback, {})
            return session
        session.begin_capture(str(capture))
        self._stop_typing(sid)
        self._record(session, callback, {"Capture": str(capture), "PartialResult": "true"})
        if call.caller is None:
            self._await_key(session, PersonAtKeypad(str(capture), callback))
            return session
        entry = call.caller.next_entry(str(capture))
        moments = keypad(session, str(capture), entry, lambda: self._hang_up(call))
        if self.typing_delay > 0:
            task = asyncio.get_running_loop().create_task(self._type(session, callback, moments))
            self._typing[sid] = task
            task.add_done_callback(lambda done: self._typing_done(sid, done))
        else:
            for moment in moments:
                self._record(session, callback, moment)
        return session

    async def aclose(self) -> None:
        """Stop every caller still typing, every text and call still moving."""
        tasks = list(self._typing.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.messaging.aclose()
        await self.voice.aclose()

    def _check_backlog(self) -> None:
        limit = self.limits.max_callbacks_waiting
        if self.poster.in_flight >= limit:
            raise SandboxError(
                429,
                20429,
                f"{limit} callbacks are waiting to be posted: retry in a moment (their "
                "receivers answer too slowly), or start the sandbox with a larger "
                "max_callbacks_waiting.",
            )

    def _voice_answered(self, voice_call: VoiceCall) -> None:
        """An answered outbound call is live for Payments too."""
        # Every Pay call still paying: this one stays a call without Payments.
        with suppress(SandboxError):
            self.start_call(console=voice_call.to == CONSOLE_NUMBER, sid=voice_call.sid)
        if voice_call.to == CONSOLE_NUMBER:
            self.tell(Moment(voice_call.sid, "phone"))

    def _voice_ended(self, voice_call: VoiceCall) -> None:
        call = self.calls.get(voice_call.sid)
        if call is not None and call.live:
            self._hang_up(call)
            self.tell(Moment(call.sid, "call"))
        if voice_call.to == CONSOLE_NUMBER:
            self.tell(Moment(voice_call.sid, "phone"))

    async def _type(
        self, session: PaySession, callback: str, moments: Iterator[dict[str, str]]
    ) -> None:
        while True:
            await asyncio.sleep(self.typing_delay)
            moment = next(moments, None)
            if moment is None:
                return
            self._record(session, callback, moment)

    def _await_key(self, session: PaySession, person: PersonAtKeypad) -> None:
        """The person's next key, or input-timeout after ``key_timeout`` seconds."""
        sid = session.sid
        self._stop_typing(sid)
        self.keying[sid] = person

        async def time_out() -> None:
            await asyncio.sleep(self.key_timeout)
            del self.keying[sid]
            self._record(session, person.callback, timed_out(session, person.capture))

        task = asyncio.get_running_loop().create_task(time_out())
        self._typing[sid] = task
        task.add_done_callback(lambda done: self._typing_done(sid, done))

    def _typing_done(self, sid: str, task: asyncio.Task[None]) -> None:
        if self._typing.get(sid) is task:
            del self._typing[sid]

    def _stop_typing(self, sid: str) -> None:
        self.keying.pop(sid, None)
        task = self._typing.pop(sid, None)
        if task is not None:
            task.cancel()

    def _hang_up(self, call: Call) -> None:
        call.live = False
        for sid in call.payments:
            session = self.sessions[sid]
            if session.state is SessionState.ACTIVE:
                session.hang_up()
        self.voice.hang_up(call.sid)

    def _live_call(self, account_sid: str, call_sid: str) -> Call:
        if account_sid != self.account_sid:
            raise not_found(f"Account {account_sid}")
        call = self.calls.get(call_sid)
        if call is None:
            raise not_found(f"Call {call_sid}")
        if not call.live:
            raise SandboxError(400, 64021, f"Call {call_sid} has ended: the caller hung up.")
        call.touched = time.monotonic()
        self.calls.move_to_end(call_sid)
        return call

    def _make_room(self) -> None:
        """Drop expired calls; at the cap, the oldest call whose payments are over."""
        expired_before = time.monotonic() - self.limits.call_ttl
        while self.calls:
            oldest = next(iter(self.calls.values()))
            if oldest.touched >= expired_before:
                break
            self._drop(oldest)
        if len(self.calls) < self.limits.max_calls:
            return
        finished = next((c for c in self.calls.values() if self._finished(c)), None)
        if finished is None:
            raise SandboxError(
                429,
                20429,
                f"The sandbox holds its maximum of {self.limits.max_calls} calls, each with a "
                "payment still open: complete or cancel one, wait for calls to expire "
                f"({self.limits.call_ttl:.0f} s after their last request), or start the sandbox "
                "with a larger max_calls.",
            )
        self._drop(finished)

    def _finished(self, call: Call) -> bool:
        """No payment of the call is open: an idle call (none started yet) counts too, so
        calls that were only started cannot hold every place."""
        if not call.live:
            return True
        return all(self.sessions[sid].state is not SessionState.ACTIVE for sid in call.payments)

    def _drop(self, call: Call) -> None:
        del self.calls[call.sid]
        for sid in call.payments:
            self._stop_typing(sid)
            del self.sessions[sid]

    def _record(
        self, session: PaySession, url: str, step: Mapping[str, str] | None
    ) -> CallbackEvent:
        event = build_event(session, url, step)
        self.post_event(event)
        self.tell(Moment(session.call_sid, "callback", event.fields))
        return event


def _required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise SandboxError(400, 64020, f"Missing required parameter {name}.")
    return value
