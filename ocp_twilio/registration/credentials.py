"""Which credentials an API gets: as its registry entry asks, else a bearer token or Twilio
OAuth client credentials where they are given, else HTTP Basic.

Twilio's secrets and host settings never reach another API's server, nor tools a registry
defines (it may claim to be Twilio): only Twilio's own API, from the plugin or a spec of
Twilio's hosts, reads the TWILIO_* variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from .._config import Environment
from .._exceptions import ConfigurationError
from ..http.credentials import Credentials
from ..http.oauth import ClientCredentials
from ..ocp.entry_credentials import entry_credentials
from ..ocp.registry import ResolvedAPI
from ..specs.hosts import is_twilio_host

__all__ = ["APICredentials", "api_credentials"]


class APICredentials(NamedTuple):
    """An API's credentials, and the environment its host settings may come from."""

    credentials: Credentials
    # TWILIO_* for Twilio's own API, else nothing: base URL, region and edge included.
    environment: Environment
    by_twilio: bool
    # OAuth client credentials, whose access tokens authorize the API's requests.
    client: ClientCredentials | None = None


def api_credentials(
    name: str, resolved: ResolvedAPI, env: Environment, given: Mapping[str, str | None]
) -> APICredentials:
    """The credentials of the API ``name`` resolved to, from ``given`` (register_api's
    arguments) and, for Twilio's own API, ``env``."""
    by_twilio = is_twilio_host(resolved.definition.base_url)
    twilio_env = by_twilio and not resolved.from_registry
    env = env if twilio_env else Environment()
    if resolved.auth is not None:
        credentials = entry_credentials(
            name, resolved.auth, given, source=resolved.source, twilio=by_twilio
        )
    elif given.get("token"):
        _only(name, given, "token")
        return APICredentials(
            Credentials.bearer(str(given["token"]), given.get("account_sid") or ""),
            env,
            by_twilio,
        )
    else:
        client = _client_credentials(name, env, given, by_twilio)
        if client is not None:
            account = given.get("account_sid") or env.account_sid or ""
            return APICredentials(
                Credentials.oauth(client.client_id, account), env, by_twilio, client
            )
        credentials = _basic_credentials(name, env, given, by_twilio, twilio_env, resolved)
    return APICredentials(credentials, env, by_twilio)


_SECRETS = ("auth_token", "api_key", "api_secret", "token", "client_id", "client_secret")


def _only(name: str, given: Mapping[str, str | None], *kind: str) -> None:
    """Refuse secrets of another kind beside ``kind``: which one to send would be a guess."""
    others = [key for key in _SECRETS if given.get(key) and key not in kind]
    if others:
        raise ConfigurationError(
            f"Give API {name!r} one kind of credentials: {' and '.join(f'{k}=' for k in kind)}"
            f" cannot go with {', '.join(f'{k}=' for k in others)}; nothing was sent."
        )


def _client_credentials(
    name: str, env: Environment, given: Mapping[str, str | None], by_twilio: bool
) -> ClientCredentials | None:
    """OAuth client credentials from the arguments, else (where no Basic secret is in ``env``,
    which only Twilio's own API reads) from TWILIO_CLIENT_ID and TWILIO_CLIENT_SECRET."""
    client_id, client_secret = given.get("client_id"), given.get("client_secret")
    if client_id or client_secret:
        _only(name, given, "client_id", "client_secret")
        where = "client_id= and client_secret="
    elif not any(given.get(key) for key in _SECRETS) and not (env.auth_token or env.api_key):
        client_id, client_secret = env.client_id, env.client_secret
        where = "TWILIO_CLIENT_ID and TWILIO_CLIENT_SECRET"
        if not (client_id or client_secret):
            return None
    else:
        return None
    if not (client_id and client_secret):
        raise ConfigurationError(
            f"OAuth client credentials need both {where}; one of them is missing."
        )
    if not by_twilio:
        # The token endpoint is Twilio's: another API's host would never see a token from it.
        raise ConfigurationError(
            f"client_id= and client_secret= are a Twilio OAuth app's; API {name!r} is not "
            "served by Twilio. Pass the credentials its server takes (token=, or "
            "account_sid= with auth_token=); nothing was sent."
        )
    return ClientCredentials(client_id, client_secret)


def _basic_credentials(
    name: str,
    env: Environment,
    given: Mapping[str, str | None],
    by_twilio: bool,
    twilio_env: bool,
    resolved: ResolvedAPI,
) -> Credentials:
    """HTTP Basic from the arguments, then (for Twilio's own API only) the TWILIO_* variables."""
    try:
        return Credentials.from_env(
            env,
            account_sid=given["account_sid"],
            auth_token=given["auth_token"],
            api_key=given["api_key"],
            api_secret=given["api_secret"],
            twilio=by_twilio,
        )
    except ConfigurationError:
        if twilio_env:
            raise
        why = (
            f"is served by {resolved.definition.base_url}, not by Twilio"
            if not by_twilio
            else f"is defined by the registry at {resolved.source}"
        )
        raise ConfigurationError(
            f"API {name!r} {why}, so the TWILIO_* variables are not used for it: pass its "
            "credentials to register_api (account_sid= with auth_token=, or api_key= with "
            "api_secret=)."
        ) from None
