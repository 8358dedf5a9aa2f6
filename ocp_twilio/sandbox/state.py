"""Everything the sandbox knows: its test account, live calls, Pay sessions and events."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from .callbacks import CallbackEvent, build_event
from .errors import SandboxError, not_found
from .idempotency import IdempotencyStore
from .session import PaySession, new_sid
from .test_data import TEST_BANK_ACCOUNT, TEST_CARD, CallerBankAccount, CallerCard

__all__ = ["SandboxState"]


@dataclass
class SandboxState:
    """One test account; by default fresh credentials for every sandbox."""

    account_sid: str = field(default_factory=lambda: new_sid("AC"))
    auth_token: str = field(default_factory=lambda: secrets.token_hex(16), repr=False)
    card: CallerCard = TEST_CARD
    bank: CallerBankAccount = TEST_BANK_ACCOUNT
    calls: set[str] = field(default_factory=set)
    sessions: dict[str, PaySession] = field(default_factory=dict)
    events: list[CallbackEvent] = field(default_factory=list)
    idempotency: IdempotencyStore = field(default_factory=IdempotencyStore)
    requests_received: int = 0

    def start_call(self) -> str:
        """Sandbox only: a live, in-progress call that payments can be taken on."""
        call_sid = new_sid("CA")
        self.calls.add(call_sid)
        return call_sid

    def create_payment(
        self, account_sid: str, call_sid: str, form: Mapping[str, str]
    ) -> tuple[PaySession, CallbackEvent]:
        self._check_call(account_sid, call_sid)
        callback = _required(form, "StatusCallback")
        session = PaySession.start(account_sid, call_sid, form, self.card, self.bank)
        self.sessions[session.sid] = session
        return session, self._record(session, {}, callback)

    def update_payment(
        self, account_sid: str, call_sid: str, sid: str, form: Mapping[str, str]
    ) -> tuple[PaySession, CallbackEvent]:
        self._check_call(account_sid, call_sid)
        session = self.sessions.get(sid)
        if session is None or session.call_sid != call_sid:
            raise not_found(f"Payment {sid}")
        callback = _required(form, "StatusCallback")
        capture, status = form.get("Capture"), form.get("Status")
        session.update(capture, status)
        step = {"Capture": capture} if capture is not None else {"Status": str(status)}
        return session, self._record(session, step, callback)

    def _check_call(self, account_sid: str, call_sid: str) -> None:
        if account_sid != self.account_sid:
            raise not_found(f"Account {account_sid}")
        if call_sid not in self.calls:
            raise not_found(f"Call {call_sid}")

    def _record(self, session: PaySession, step: dict[str, str], url: str) -> CallbackEvent:
        event = build_event(session, step, url)
        self.events.append(event)
        return event


def _required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise SandboxError(400, 64020, f"Missing required parameter {name}.")
    return value
