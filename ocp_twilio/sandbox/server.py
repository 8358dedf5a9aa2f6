"""The sandbox as a running server on 127.0.0.1, and the Python helper to drive it."""

from __future__ import annotations

import re
from types import TracebackType

from aiohttp import web

from .app import create_app
from .callbacks import CallbackEvent, CallbackPoster
from .session import PaySession
from .state import SandboxState
from .test_data import TEST_BANK_ACCOUNT, TEST_CARD, CallerBankAccount, CallerCard

__all__ = ["HOST", "Sandbox"]

HOST = "127.0.0.1"
_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")


class Sandbox:
    """A Twilio Payments sandbox listening on 127.0.0.1 (``port=0``: any free port).

    >>> async with Sandbox() as sandbox:
    ...     await agent.register_api("twilio", environ=sandbox.environ())
    ...     call_sid = sandbox.start_call()

    Credentials are made fresh for each sandbox unless ``account_sid`` and ``auth_token`` are
    given. :meth:`start_call` and :meth:`events` are sandbox-only: Twilio has neither.
    """

    def __init__(
        self,
        *,
        port: int = 0,
        account_sid: str | None = None,
        auth_token: str | None = None,
        card: CallerCard = TEST_CARD,
        bank: CallerBankAccount = TEST_BANK_ACCOUNT,
    ) -> None:
        if account_sid and not _ACCOUNT_SID.fullmatch(account_sid):
            raise ValueError("account_sid must be AC followed by 32 hexadecimal characters.")
        self.state = SandboxState(card=card, bank=bank)
        if account_sid:
            self.state.account_sid = account_sid
        if auth_token:
            self.state.auth_token = auth_token
        self._port = port
        self._poster = CallbackPoster()
        self._runner: web.AppRunner | None = None
        self.url = ""

    def __repr__(self) -> str:
        return f"<Sandbox {self.url or 'not started'} account={self.account_sid}>"

    @property
    def account_sid(self) -> str:
        return self.state.account_sid

    @property
    def auth_token(self) -> str:
        return self.state.auth_token

    async def start(self) -> Sandbox:
        runner = web.AppRunner(create_app(self.state, self._poster), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, HOST, self._port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        port = runner.addresses[0][1]
        self.url = f"http://{HOST}:{port}"
        return self

    async def aclose(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        await self._poster.aclose()

    async def __aenter__(self) -> Sandbox:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def environ(self) -> dict[str, str]:
        """TWILIO_* variables that point ``register_api`` (or any Twilio client) here."""
        return {
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_AUTH_TOKEN": self.auth_token,
            "TWILIO_BASE_URL": self.url,
        }

    def start_call(self) -> str:
        """Sandbox only: start a simulated live call and return its CA sid."""
        return self.state.start_call()

    def events(self, payment_sid: str | None = None) -> list[CallbackEvent]:
        """Sandbox only: the StatusCallback events recorded so far, oldest first."""
        return [e for e in self.state.events if payment_sid in (None, e.payment_sid)]

    def payment(self, sid: str) -> PaySession:
        """Sandbox only: the state of a Pay session (masked values only)."""
        return self.state.sessions[sid]
