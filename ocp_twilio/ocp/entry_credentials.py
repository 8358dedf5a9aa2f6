"""The credentials of an API a registry entry defines, as its ``auth_config`` asks for them."""

from __future__ import annotations

from collections.abc import Mapping

from .._config import Environment, read_variables
from .._exceptions import ConfigurationError
from ..http.credentials import Credentials
from .entries import EXTENSION, AuthConfig

__all__ = ["entry_credentials"]

# The register_api arguments each auth type takes; the others must not be given.
_ARGUMENTS = {
    "none": (),
    "basic": ("account_sid", "auth_token", "api_key", "api_secret"),
    "bearer": ("token",),
    "api_key": ("api_key",),
}
# What a missing credential's message asks for, by auth type: the arguments, and the
# credential_variables= that names the user's own variables instead.
_WANTED = {
    "basic": (
        "account_sid= with auth_token= (or api_key= with api_secret=)",
        "{'account_sid': 'YOUR_USER_VARIABLE', 'auth_token': 'YOUR_PASSWORD_VARIABLE'}",
    ),
    "bearer": ("token=", "{'token': 'YOUR_VARIABLE'}"),
    "api_key": ("api_key=", "{'api_key': 'YOUR_VARIABLE'}"),
}


def entry_credentials(
    name: str,
    auth: AuthConfig,
    given: Mapping[str, str | None],
    *,
    source: str,
    twilio: bool,
) -> Credentials:
    """From ``given`` (register_api's arguments, and the variables the user named for them),
    else from the variables a registry file's entry names (read as read_environment reads);
    never from variables a registry URL's entry names (``auth.env`` is empty for those).

    Arguments the auth type does not take are refused: a secret meant for one API is never
    sent as something else. ``twilio``: the entry's base URL is Twilio's (Basic then needs an
    Account SID).
    """
    what = f"API {name!r} is defined by the registry at {source} and takes {auth.type} auth"
    taken = _ARGUMENTS[auth.type]
    stray = sorted(k for k, v in given.items() if v and k not in taken)
    if stray:
        wanted = ", ".join(f"{k}=" for k in taken) or "no credentials"
        raise ConfigurationError(
            f"{what} (its auth_config), so {', '.join(f'{k}=' for k in stray)} cannot be "
            f"used: pass {wanted}; nothing was sent."
        )
    env = read_variables(auth.env)
    if auth.type == "none":
        return Credentials.none()
    if auth.type == "bearer":
        token = _required(what, given.get("token") or env.get("token"), auth, "token")
        return Credentials.bearer(token)
    if auth.type == "api_key":
        key = _required(what, given.get("api_key") or env.get("key"), auth, "key")
        return Credentials.key_header(str(auth.header_name), key)
    if any(given.values()):
        return Credentials.from_env(
            Environment(),
            account_sid=given.get("account_sid"),
            auth_token=given.get("auth_token"),
            api_key=given.get("api_key"),
            api_secret=given.get("api_secret"),
            twilio=twilio,
        )
    username, password = env.get("username"), env.get("password")
    if not (username and password):
        raise ConfigurationError(_missing(what, auth, "username", "password"))
    return Credentials.create(username, password, twilio=twilio)


def _required(what: str, value: str | None, auth: AuthConfig, key: str) -> str:
    if not value:
        raise ConfigurationError(_missing(what, auth, key))
    return value


def _missing(what: str, auth: AuthConfig, *keys: str) -> str:
    arguments, variables = _WANTED[auth.type]
    named = [auth.env[k] for k in keys if k in auth.env]
    where = f", or set {' and '.join(named)}" if named else ""
    # The entry's names are not repeated: copying them into credential_variables would hand
    # the registry the very variables it picked.
    unread = (
        f" The entry's {EXTENSION}.auth_env is not read: an entry from a registry URL never "
        "chooses which of your environment variables it receives."
        if auth.unread_env
        else ""
    )
    return (
        f"{what} (its auth_config): pass {arguments} to register_api, or the names of your "
        f"variables that hold them as credential_variables={variables}{where}; the TWILIO_* "
        f"variables are not used for it. Nothing was sent.{unread}"
    )
