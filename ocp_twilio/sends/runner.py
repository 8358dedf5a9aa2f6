"""What runs a send (createMessage, createCall): the ledger first, then the request, and a
look-up where its outcome is unknown. The operator's policy has decided before this runs, so a
refused call records nothing here.

1. The ledger claims the send's digest, or refuses an identical one within the window
   (RepeatedSend; a new ``SendKey`` makes a new send).
2. The request goes through the API's dispatcher, which checks the arguments and never repeats
   a POST that may have arrived. Where it surely did not leave (invalid arguments, no
   connection, Twilio's 4xx or 429) the claim is released: nothing stays recorded. Where it may
   have (a timeout or a lost connection after the request was written, a 5xx), the send is
   looked up (``reconcile.py``) and OutcomeUnknown says what was found; the claim is released
   only for "not sent".
"""

from __future__ import annotations

import itertools
import logging
import secrets
import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._config import DEFAULT_SEND_LOOKUP_INTERVAL, DEFAULT_SEND_LOOKUPS, DEFAULT_SEND_WINDOW
from .._exceptions import (
    ArgumentError,
    ConfigurationError,
    InvalidArguments,
    OCPError,
    OutcomeUnknown,
    RepeatedSend,
    ResponseValidationError,
    SendLedgerUnavailable,
    TransportError,
    TwilioAPIError,
)
from .._running import Call, OperationRunner, Runner
from ..http.dispatch import Dispatcher
from ..http.transport import Transport
from ..tools.tool import Tool
from .ledger import MemorySendLedger, SendDigest, SendLedger, ledger_key
from .operations import SEND_KEY, SendKind, lookup_spec
from .reconcile import look_up

__all__ = ["SendRunner", "SendSettings", "Sends", "sends_of"]

logger = logging.getLogger("ocp_twilio.sends")


@dataclass(frozen=True)
class SendSettings:
    """How sends are kept from going out twice (docs/sends.md).

    ``window``: seconds within which an identical send is refused (default 600). ``ledger``:
    where sends are recorded (default: a RedisSendLedger on the agent's Redis where it has one,
    redis_url= or OCP_TWILIO_REDIS_URL, else this process's memory). ``lookups`` look-ups,
    ``lookup_interval`` seconds apart, settle a send whose outcome is unknown (0: none).
    """

    window: float = DEFAULT_SEND_WINDOW
    ledger: SendLedger | None = field(default=None, compare=False)
    lookups: int = DEFAULT_SEND_LOOKUPS
    lookup_interval: float = DEFAULT_SEND_LOOKUP_INTERVAL

    def __post_init__(self) -> None:
        if isinstance(self.window, bool) or not isinstance(self.window, (int, float)):
            raise ConfigurationError("SendSettings(window=) must be a number of seconds.")
        if not 0 <= self.window <= _LONGEST_WINDOW:
            raise ConfigurationError(
                f"SendSettings(window=) must be from 0 (no ledger) to {_LONGEST_WINDOW:.0f} s."
            )
        if isinstance(self.lookups, bool) or not isinstance(self.lookups, int):
            raise ConfigurationError("SendSettings(lookups=) must be a whole number.")
        if not 0 <= self.lookups <= _MOST_LOOKUPS or not 0 <= self.lookup_interval <= 60:
            raise ConfigurationError(
                f"SendSettings: lookups must be from 0 to {_MOST_LOOKUPS}, and lookup_interval "
                "from 0 to 60 seconds."
            )
        if self.ledger is not None and not isinstance(self.ledger, SendLedger):
            raise ConfigurationError(
                f"SendSettings(ledger=) must be a SendLedger, not {type(self.ledger).__name__}."
            )


# A day: the ledger is against accidents, not a log of sends. Look-ups bounded as the deadline.
_LONGEST_WINDOW = 86_400.0
_MOST_LOOKUPS = 10


@dataclass(frozen=True)
class Sends:
    """The agent's settings and the ledger it uses, and whether the agent made (and closes) it."""

    settings: SendSettings
    ledger: SendLedger
    owned: bool = False

    @property
    def on(self) -> bool:
        """Whether sends go through the ledger or the look-ups; else they run as any operation."""
        return bool(self.settings.window or self.settings.lookups)


def sends_of(settings: SendSettings | None, redis_url: str | None) -> Sends:
    """The agent's Sends: ``settings`` (default SendSettings()), its ledger or one on
    ``redis_url`` (already checked by the agent; None: memory)."""
    settings = SendSettings() if settings is None else settings
    if not isinstance(settings, SendSettings):
        raise ConfigurationError(f"sends= must be a SendSettings, not {type(settings).__name__}.")
    if settings.ledger is not None:
        return Sends(settings, settings.ledger)
    if redis_url:
        from .._extras import needs_extra

        with needs_extra("redis", "A Redis URL (OCP_TWILIO_REDIS_URL or redis_url=)"):
            from .redis_ledger import RedisSendLedger
        return Sends(settings, RedisSendLedger(redis_url), owned=True)
    return Sends(settings, MemorySendLedger())


class SendRunner:
    """Runs an API's sends (``kinds``: each one's kind, by tool name) through ``operations`` (its
    OperationRunner), with ``sends``, which are on."""

    def __init__(
        self,
        operations: OperationRunner,
        dispatcher: Dispatcher,
        transport: Transport,
        sends: Sends,
        kinds: Mapping[str, SendKind],
    ) -> None:
        self.recorded = True
        self._operations = operations
        self._dispatcher = dispatcher
        self._transport = transport
        self._sends = sends
        credentials = dispatcher.credentials
        key = ledger_key(credentials.authorization, credentials.account_sid or "")
        self._digest = SendDigest(key)
        self._tokens = secrets.token_hex(8) + ":"
        self._claims = itertools.count()
        self._kinds = kinds
        self._lookups: dict[str, Tool] = {}

    def run(self, tool: Tool, arguments: Mapping[str, Any], call: Call) -> Awaitable[Any]:
        return self._send(tool, arguments, call)

    def render(self, tool: Tool, arguments: Mapping[str, Any]) -> Mapping[str, Any] | None:
        return self._operations.render(tool, arguments)

    def delegate(
        self, tool: Tool, arguments: Mapping[str, Any]
    ) -> tuple[Tool, Runner, Mapping[str, Any]] | None:
        return None

    async def _send(self, tool: Tool, arguments: Mapping[str, Any], call: Call) -> Any:
        if not isinstance(arguments, Mapping):
            return await self._operations.run(tool, arguments, call)
        kind = self._kinds[tool.name]
        settings = self._sends.settings
        sent = tool.with_pins(arguments)
        ledger = self._sends.ledger
        try:
            digest = self._digest(kind, sent)
        except (RecursionError, ValueError, TypeError):
            # Only a value the schema refuses (nested far too deep, not JSON) gets here.
            tool.validate(arguments)
            problem = ArgumentError((), "a value cannot be read as JSON")
            raise InvalidArguments(tool.name, [problem]) from None
        # Unique to this claim, so that releasing it never frees another process's.
        token = f"{self._tokens}{next(self._claims)}"
        if settings.window:
            age = await ledger.claim(digest, settings.window, token)
            if age is not None:
                tool.validate(arguments)  # an invalid call is told what to fix first
                raise RepeatedSend(tool.name, SEND_KEY, age, settings.window)
        began = time.time()
        try:
            return await self._operations.run(tool, arguments, call)
        except ResponseValidationError:
            raise  # answered off-schema: it was sent, and the claim stays
        except OCPError as exc:
            if not _may_have_left(exc):
                await self._release(digest, token)
                raise
            reason = (
                f"HTTP {exc.status} from Twilio" if isinstance(exc, TwilioAPIError) else str(exc)
            )
        unknown = await self._reconciled(tool, kind, sent, began, reason, call)
        if unknown.outcome == "not sent":
            await self._release(digest, token)
        raise unknown

    async def _reconciled(
        self,
        tool: Tool,
        kind: SendKind,
        sent: Mapping[str, Any],
        began: float,
        reason: str,
        call: Call,
    ) -> OutcomeUnknown:
        settings = self._sends.settings
        lookup = self._lookups.get(tool.name)
        if lookup is None:
            lookup = self._lookups[tool.name] = Tool(
                lookup_spec(tool.spec, kind), api=tool.api, name=f"{tool.name} look-up"
            )
        return await look_up(
            self._dispatcher,
            self._transport,
            lookup,
            kind,
            sent,
            began,
            tool=tool.name,
            reason=reason,
            lookups=settings.lookups,
            interval=settings.lookup_interval,
            in_flight=call.in_flight,
        )

    async def _release(self, digest: str, token: str) -> None:
        """Give the claim back; where the ledger cannot take it, the claim ends with its window,
        and the caller's own error, not the ledger's, is what the model needs to read."""
        if self._sends.settings.window > 0:
            try:
                await self._sends.ledger.release(digest, token)
            except SendLedgerUnavailable as exc:
                logger.warning("A send's claim was not given back: %s", type(exc).__name__)


def _may_have_left(exc: OCPError) -> bool:
    """Whether the failed send may have reached Twilio and been acted on: a 5xx (Twilio does not
    promise it was not processed), or a transport failure after the request was written (a
    timeout, a lost connection; a CancelledError, which is no OCPError, keeps the claim too)."""
    if isinstance(exc, TwilioAPIError):
        return exc.status >= 500
    return isinstance(exc, TransportError) and not exc.nothing_sent
