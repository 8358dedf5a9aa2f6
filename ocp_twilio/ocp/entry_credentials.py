"""The credentials of an API a registry entry defines, as its ``auth_config`` asks for them."""

from __future__ import annotations

from collections.abc import Mapping

from .._config import Environment, read_variables
from .._exceptions import ConfigurationError
from ..http.credentials import Credentials
from .registry import AuthConfig

__all__ = ["entry_credentials"]

# The register_api arguments each auth type takes; the others must not be given.
_ARGUMENTS = {
    "none": (),
    "basic": ("account_sid", "auth_token", "api_key", "api_secret"),
    "bearer": ("token",),
    "api_key": ("api_key",),
}


def entry_credentials(
    name: str,
    auth: AuthConfig,
    given: Mapping[str, str | None],
    *,
    source: str,
    twilio: bool,
    environ: Mapping[str, str] | None = None,
) -> Credentials:
    """From ``given`` (register_api's arguments), else from the variables the entry names.

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
    env = read_variables(auth.env, environ)
    if auth.type == "none":
        return Credentials.none()
    if auth.type == "bearer":
        token = _required(what, given.get("token") or env.get("token"), "token=", auth, "token")
        return Credentials.bearer(token)
    if auth.type == "api_key":
        key = _required(what, given.get("api_key") or env.get("key"), "api_key=", auth, "key")
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
        basic = "account_sid= with auth_token= (or api_key= with api_secret=)"
        raise ConfigurationError(_missing(what, auth, basic, "username", "password"))
    return Credentials.create(username, password, twilio=twilio)


def _required(what: str, value: str | None, argument: str, auth: AuthConfig, key: str) -> str:
    if not value:
        raise ConfigurationError(_missing(what, auth, argument, key))
    return value


def _missing(what: str, auth: AuthConfig, arguments: str, *keys: str) -> str:
    variables = [auth.env[k] for k in keys if k in auth.env]
    where = f" or set {' and '.join(variables)}" if variables else ""
    return (
        f"{what} (its auth_config): pass {arguments} to register_api{where}; the TWILIO_* "
        "variables are not used for it. Nothing was sent."
    )
