"""The sandbox as a running server on 127.0.0.1, and the Python helper to drive it."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from types import TracebackType

from aiohttp import web

from .app import create_app
from .callbacks import CallbackEvent, CallbackPoster
from .console import Console
from .message import Message
from .messaging import check_url
from .recipients import SANDBOX_NUMBER
from .session import PaySession, new_sid
from .state import Limits, SandboxState
from .steps import Timing
from .test_data import TEST_BANK_ACCOUNT, TEST_CARD, CallerBankAccount, CallerCard

__all__ = ["HOST", "Sandbox"]

HOST = "127.0.0.1"
_SID = re.compile(r"[0-9a-fA-F]{32}")


class Sandbox:
    """A Twilio sandbox for Payments, Messages and Calls, listening on 127.0.0.1 (``port=0``:
    any free port).

    >>> async with Sandbox() as sandbox:
    ...     await agent.register_api("twilio", environ=sandbox.environ())
    ...     call_sid = sandbox.start_call()

    Credentials are made fresh for each sandbox unless given: the Account SID and Auth Token,
    and one API key (``api_key_sid``, ``api_key_secret``); either login is accepted, and
    callbacks are signed with the Auth Token. ``typing_delay``: seconds the simulated caller
    waits before each key (0: the whole entry at once, before the Capture is answered).
    ``key_timeout``: seconds the person at the console may take per key before the capture
    ends with input-timeout. :meth:`start_call` (with its caller's script), :meth:`events`,
    :meth:`payment` and :meth:`console_url` are sandbox-only: Twilio has none of them.

    Texts and calls: ``timing`` sets how fast their statuses move; ``sms_url`` where texts to
    the sandbox's number (:attr:`phone_number`) are posted, as a number's SmsUrl on Twilio
    (also :meth:`set_sms_url`); :meth:`receive_text` plays a text someone sends it.
    """

    def __init__(
        self,
        *,
        port: int = 0,
        account_sid: str | None = None,
        auth_token: str | None = None,
        api_key_sid: str | None = None,
        api_key_secret: str | None = None,
        typing_delay: float = 0.0,
        key_timeout: float = 30.0,
        limits: Limits | None = None,
        card: CallerCard = TEST_CARD,
        bank: CallerBankAccount = TEST_BANK_ACCOUNT,
        timing: Timing | None = None,
        sms_url: str | None = None,
    ) -> None:
        for name, sid, prefix in [
            ("account_sid", account_sid, "AC"),
            ("api_key_sid", api_key_sid, "SK"),
        ]:
            if sid and not (sid.startswith(prefix) and _SID.fullmatch(sid[2:])):
                raise ValueError(f"{name} must be {prefix} followed by 32 hexadecimal characters.")
        if not 0 <= typing_delay <= 60:
            raise ValueError("typing_delay must be between 0 and 60 seconds.")
        if not 0 < key_timeout <= 600:
            raise ValueError("key_timeout must be above 0 and at most 600 seconds.")
        auth_token = auth_token or secrets.token_hex(16)
        self._poster = CallbackPoster(auth_token)
        self.state = SandboxState(
            self._poster,
            account_sid=account_sid or new_sid("AC"),
            auth_token=auth_token,
            api_key_sid=api_key_sid or new_sid("SK"),
            api_key_secret=api_key_secret or secrets.token_hex(16),
            card=card,
            bank=bank,
            typing_delay=typing_delay,
            key_timeout=key_timeout,
            limits=limits or Limits(),
            timing=timing or Timing(),
        )
        if sms_url is not None:
            self.set_sms_url(sms_url)
        self.console = Console(self.state)
        self._port = port
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

    @property
    def api_key_sid(self) -> str:
        return self.state.api_key_sid

    @property
    def api_key_secret(self) -> str:
        return self.state.api_key_secret

    @property
    def phone_number(self) -> str:
        """The sandbox's own number: the From of its texts and calls."""
        return SANDBOX_NUMBER

    @property
    def messaging_service_sid(self) -> str:
        """The sandbox's one Messaging Service (``MG…``), another way to send from its number."""
        return self.state.messaging_service_sid

    async def start(self) -> Sandbox:
        # Cancelled with its connection: a console's event stream ends when its page goes.
        runner = web.AppRunner(
            create_app(self.state, self.console), access_log=None, handler_cancellation=True
        )
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
        await self.state.aclose()
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

    def environ(self, *, api_key: bool = False) -> dict[str, str]:
        """TWILIO_* variables that point ``register_api`` (or any Twilio client) here;
        ``api_key=True`` adds the API key, which clients then log in with (the Auth Token
        stays, for checking callback signatures)."""
        variables = {
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_AUTH_TOKEN": self.auth_token,
            "TWILIO_BASE_URL": self.url,
        }
        if api_key:
            variables |= {
                "TWILIO_API_KEY": self.api_key_sid,
                "TWILIO_API_SECRET": self.api_key_secret,
            }
        return variables

    def console_url(self) -> str:
        """Sandbox only: the console page's address, with a fresh one-time token that the
        page exchanges for a session cookie."""
        if not self.url:
            raise RuntimeError("Start the sandbox first: the console is served by it.")
        return self.console.link(self.url)

    def start_call(
        self,
        caller: Iterable[tuple[str, str]] | Mapping[str, Iterable[str]] = (),
        *,
        console: bool = False,
    ) -> str:
        """Sandbox only: start a simulated live call and return its CA sid.

        ``caller`` scripts what the caller keys in, per capture and in order, e.g.
        ``{"payment-card-number": [INVALID_CARD, "4111111111111111"]}``: the first Capture of
        the card number gets the invalid one, the next the valid one; fields not scripted (or
        used up) get the default card's values. Entries are digits, ``"silent"`` or
        ``"hang-up"``. ``console=True``: no script; the person at the console keys in.
        """
        return self.state.start_call(caller, console=console)

    def events(self, sid: str | None = None) -> list[CallbackEvent]:
        """Sandbox only: the webhooks recorded so far (of one payment, text or call: ``sid``),
        oldest first."""
        return [e for e in self.state.events if sid in (None, e.sid)]

    def payment(self, sid: str) -> PaySession:
        """Sandbox only: the state of a Pay session (masked values only)."""
        return self.state.sessions[sid]

    def set_sms_url(self, url: str | None) -> None:
        """Sandbox only: where texts to the sandbox's number are posted (None: nowhere)."""
        if url is not None and not check_url(url):
            raise ValueError("sms_url must be an absolute http or https URL.")
        self.state.messaging.sms_url = url

    def receive_text(self, sender: str, body: str) -> Message:
        """Sandbox only: ``sender`` texts ``body`` to the sandbox's number."""
        return self.state.messaging.receive(sender, body)
