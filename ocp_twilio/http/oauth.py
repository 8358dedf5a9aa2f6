"""Twilio's OAuth client credentials: an access token fetched from Twilio's token endpoint through
the agent's transport, kept until shortly before it expires, and fetched again on expiry or when
a call is refused with 401.

Facts from Twilio's files and twilio-python 9.13: the token endpoint is
``https://oauth.twilio.com/v2/token`` (twilio-python's OAuth providers use it for the
Organizations API too, whose own file names preview-iam.twilio.com), a form POST of
``grant_type=client_credentials``, ``client_id`` and ``client_secret``, answered with
``access_token`` and ``expires_in``. The token is a JWT whose ``exp`` twilio-python reads for its
expiry; ``expires_in`` is read where there is none.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from yarl import URL

from .._config import TOKEN_MAX_LIFETIME, TOKEN_RENEW_MARGIN
from .._exceptions import ConfigurationError, TransportError
from .._json import NotJSON, read_json
from .transport import Request, Transport

__all__ = ["TOKEN_PATH", "TOKEN_SERVER", "AccessTokens", "ClientCredentials"]

logger = logging.getLogger("ocp_twilio")

TOKEN_SERVER = "https://oauth.twilio.com"
TOKEN_PATH = "/v2/token"
# A token endpoint's answer is a few hundred bytes; a JWT a few KB.
_MAX_ANSWER_BYTES = 64 * 1024
_MAX_TOKEN_CHARS = 8192
# A header value that cannot end the header or start another: visible ASCII, no space.
_SENDABLE_TOKEN = re.compile(r"[\x21-\x7e]+")
_REFUSED = (
    "Twilio's token endpoint refused the OAuth client credentials (HTTP {status}): check "
    "client_id= and client_secret= (or TWILIO_CLIENT_ID and TWILIO_CLIENT_SECRET); the call "
    "was not sent."
)


@dataclass(frozen=True, repr=False)
class ClientCredentials:
    """An OAuth app's client ID and secret (Twilio's client credentials grant); the repr shows
    the ID only."""

    client_id: str
    client_secret: str = field(compare=False)

    def form(self) -> bytes:
        """The token request's form body."""
        fields = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        return urlencode(fields).encode()

    def __repr__(self) -> str:
        return f"ClientCredentials(client_id={self.client_id!r}, client_secret=***)"

    __str__ = __repr__


class AccessTokens:
    """One API's access token: fetched when a call first needs it, by one request however many
    calls wait for it, kept until shortly before it expires, and dropped when a call that
    carried it is refused with 401.

    Callers hold the token's generation number, never the token: error trackers record the
    locals of every frame an exception leaves. ``clock`` is monotonic; the token's own expiry (a
    wall-clock time) is turned into it once.
    """

    __slots__ = ("_client", "_clock", "_generation", "_lock", "_renew_at", "_token")

    def __init__(
        self, client: ClientCredentials, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._generation = 0
        self._renew_at = 0.0

    def __repr__(self) -> str:
        return f"<AccessTokens of {self._client!r}>"

    @property
    def authorization(self) -> str:
        """The Authorization header that carries the token :meth:`ready` made sure of; read it
        before anything else is awaited."""
        return f"Bearer {self._token}"

    async def ready(self, transport: Transport, url: URL, timeout: float, user_agent: str) -> int:
        """Make sure a token is at hand, fetched from ``url`` (scope-checked by the caller)
        where there is none or it is about to expire; its generation number. Every failure is
        an OCPError, and says the call was not sent."""
        if self._token is not None and self._clock() < self._renew_at:
            return self._generation
        async with self._lock:
            # Calls that waited here take the token the first of them fetched.
            if self._token is not None and self._clock() < self._renew_at:
                return self._generation
            self._token, lifetime = await self._fetch(transport, url, timeout, user_agent)
            self._generation += 1
            self._renew_at = self._clock() + lifetime - min(TOKEN_RENEW_MARGIN, lifetime / 2)
            logger.info("Fetched an OAuth access token, kept for %.0f s", lifetime)
            return self._generation

    def expire(self, generation: int) -> None:
        """A call that carried the token of ``generation`` was refused with 401: the next call
        fetches a new one (unless another call already did)."""
        if self._generation == generation:
            self._token = None

    async def _fetch(
        self, transport: Transport, url: URL, timeout: float, user_agent: str
    ) -> tuple[str, float]:
        if timeout <= 0:
            raise TransportError(
                "The call's deadline passed before an access token could be fetched; nothing sent.",
                nothing_sent=True,
            )
        request = Request(  # its repr shows neither the body nor the headers
            method="POST",
            url=url,
            headers={
                "Accept": "application/json",
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": user_agent,
            },
            body=self._client.form(),
            timeout=timeout,
            connect_timeout=None,
            max_body=_MAX_ANSWER_BYTES,
        )
        try:
            answer = await transport.send(request)
        except TransportError as exc:
            # The call itself was not sent, whatever became of the token request.
            raise TransportError(
                f"No access token from Twilio's token endpoint: {str(exc).rstrip('.')}; "
                "the call was not sent.",
                nothing_sent=True,
            ) from None
        if answer.status in (400, 401, 403):
            # Its words are not quoted: an endpoint may echo what it was sent.
            raise ConfigurationError(_REFUSED.format(status=answer.status))
        if not 200 <= answer.status < 300:
            raise TransportError(
                f"Twilio's token endpoint answered HTTP {answer.status}; the call was not sent.",
                nothing_sent=True,
            )
        return _token_of(answer.body, time.time())


def _token_of(body: bytes, now: float) -> tuple[str, float]:
    """The access token of a token endpoint's answer, and how long to keep it (seconds)."""
    try:
        document = read_json(body)
    except NotJSON:
        document = None
    token = document.get("access_token") if isinstance(document, dict) else None
    if not (
        isinstance(token, str)
        and len(token) <= _MAX_TOKEN_CHARS
        and _SENDABLE_TOKEN.fullmatch(token)
    ):
        raise TransportError(
            "Twilio's token endpoint answered without a usable access_token; the call was "
            "not sent.",
            nothing_sent=True,
        )
    assert isinstance(document, dict)
    expires = _jwt_expiry(token)
    expires_in = document.get("expires_in")
    if expires is not None:
        lifetime = expires - now
    elif isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool):
        lifetime = float(expires_in)
    else:
        lifetime = TOKEN_MAX_LIFETIME
    if not math.isfinite(lifetime):  # json reads NaN and Infinity
        lifetime = TOKEN_MAX_LIFETIME
    return token, min(max(lifetime, 0.0), TOKEN_MAX_LIFETIME)


def _jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim (seconds since the epoch) of a JWT, read without checking its
    signature (only Twilio checks that); None where the token is no JWT or has none."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = read_json(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, NotJSON):  # binascii.Error is a ValueError
        return None
    expiry = claims.get("exp") if isinstance(claims, dict) else None
    if isinstance(expiry, (int, float)) and not isinstance(expiry, bool):
        return float(expiry)
    return None
