"""Credentials: where they come from, and how they stay out of every repr and message.

Twilio takes HTTP Basic; an API that a registry entry describes may take none, a bearer token or
an API key in a header of its own (its ``auth_config``).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field

from .._config import Environment
from .._exceptions import ConfigurationError

__all__ = ["Credentials"]

_ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
_MISSING = (
    "Twilio credentials are missing: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or "
    "TWILIO_ACCOUNT_SID with TWILIO_API_KEY and TWILIO_API_SECRET, or an OAuth app's "
    "TWILIO_CLIENT_ID and TWILIO_CLIENT_SECRET (or pass account_sid= with auth_token=, "
    "api_key= with api_secret=, or client_id= with client_secret=, to register_api)."
)


@dataclass(frozen=True, repr=False)
class Credentials:
    """HTTP Basic credentials (Account SID + Auth Token, or API Key SID + Secret), or those of
    another API: none, a bearer token, an API key in ``header``.

    The secret is held only inside the precomputed header value ``authorization``, sent as
    ``header`` ("" sends nothing); the repr shows none of it.
    """

    account_sid: str
    username: str
    authorization: str = field(compare=False)
    header: str = "Authorization"

    @property
    def is_basic(self) -> bool:
        return self.authorization.startswith("Basic ")

    @classmethod
    def none(cls) -> Credentials:
        """No credentials: no auth header is sent."""
        return cls(account_sid="", username="", authorization="", header="")

    @classmethod
    def bearer(cls, token: str, account_sid: str = "") -> Credentials:
        """A bearer token; ``account_sid`` fills the operations' AccountSid paths."""
        return cls(account_sid=account_sid, username="", authorization=f"Bearer {token}")

    @classmethod
    def oauth(cls, client_id: str, account_sid: str = "") -> Credentials:
        """OAuth client credentials: the dispatcher's access tokens authorize each request, so
        these hold no secret; ``username`` is the client ID."""
        return cls(account_sid=account_sid, username=client_id, authorization="")

    @classmethod
    def key_header(cls, header: str, key: str) -> Credentials:
        """An API key sent as the value of ``header`` (``X-API-Key``)."""
        return cls(account_sid="", username="", authorization=key, header=header)

    @classmethod
    def create(
        cls,
        account_sid: str | None,
        auth_token: str | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
        *,
        twilio: bool = True,
    ) -> Credentials:
        """Basic credentials; ``twilio=False`` (another API) takes any user name as account."""
        if not account_sid or not ((api_key and api_secret) or auth_token):
            raise ConfigurationError(_MISSING)
        if twilio and not _ACCOUNT_SID.match(account_sid):
            raise ConfigurationError(
                "The Account SID (TWILIO_ACCOUNT_SID or account_sid=) must be AC followed by "
                "32 hexadecimal characters."
            )
        if bool(api_key) != bool(api_secret):
            raise ConfigurationError(
                "An API key needs both TWILIO_API_KEY and TWILIO_API_SECRET (api_key= and "
                "api_secret=); one of them is missing."
            )
        if api_key and api_secret:
            username, password = api_key, api_secret
        else:
            username, password = account_sid, str(auth_token)
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        return cls(account_sid=account_sid, username=username, authorization=f"Basic {token}")

    @classmethod
    def from_env(
        cls,
        environ: Environment,
        *,
        account_sid: str | None = None,
        auth_token: str | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
        twilio: bool = True,
    ) -> Credentials:
        """Explicit arguments first, then the TWILIO_* variables of ``environ``.

        Explicitly given credentials are taken as a whole: an explicit auth token is not mixed
        with an API key from the environment.
        """
        explicit_secret = auth_token or api_key or api_secret
        if explicit_secret:
            return cls.create(
                account_sid or environ.account_sid,
                auth_token,
                api_key,
                api_secret,
                twilio=twilio,
            )
        return cls.create(
            account_sid or environ.account_sid,
            environ.auth_token,
            environ.api_key,
            environ.api_secret,
            twilio=twilio,
        )

    def __repr__(self) -> str:
        return (
            f"Credentials(account_sid={self.account_sid!r}, username={self.username!r}, "
            f"header={self.header!r}, secret=***)"
        )

    __str__ = __repr__
