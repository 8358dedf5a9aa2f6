"""Which credentials an API gets: as its registry entry asks, else HTTP Basic.

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
from ..http.hosts import is_twilio_host
from ..ocp.entry_credentials import entry_credentials
from ..ocp.registry import ResolvedAPI

__all__ = ["APICredentials", "api_credentials"]


class APICredentials(NamedTuple):
    """An API's credentials, and the environment its host settings may come from."""

    credentials: Credentials
    # TWILIO_* for Twilio's own API, else nothing: base URL, region and edge included.
    environment: Environment
    by_twilio: bool


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
        raise ConfigurationError(
            f"token= is for APIs whose registry entry asks for a bearer token; {name!r} "
            "takes HTTP Basic (account_sid= with auth_token=, or api_key= with api_secret=)."
        )
    else:
        credentials = _basic_credentials(name, env, given, by_twilio, twilio_env, resolved)
    return APICredentials(credentials, env, by_twilio)


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
