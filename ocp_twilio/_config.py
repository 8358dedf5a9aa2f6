"""The library's defaults, its limits, and the one reader of environment variables.

Every default a caller can change is here, and every environment variable is read by
:func:`read_environment`: an ``environ=`` mapping given to the agent is then honoured on every
path (credentials, hosts, the registry, the spec cache), not only on some.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from ._exceptions import ConfigurationError

__all__ = [
    "CACHE_DIR_ENV",
    "CREDENTIAL_ARGUMENTS",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_IN_FLIGHT",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_WAITS",
    "DEFAULT_RESULT_TOKENS",
    "DEFAULT_SEND_LOOKUPS",
    "DEFAULT_SEND_LOOKUP_INTERVAL",
    "DEFAULT_SEND_WINDOW",
    "DEFAULT_TIMEOUT",
    "MAX_JSON_DEPTH",
    "MAX_LIST_PAGES",
    "MAX_LIST_RECORDS",
    "MCP_TOKEN_ENV",
    "POLICY_ENV",
    "REDIS_URL_ENV",
    "TOKEN_MAX_LIFETIME",
    "TOKEN_RENEW_MARGIN",
    "Environment",
    "Limits",
    "environment_of",
    "read_credential_variables",
    "read_environment",
    "read_variables",
]

# Twilio's resources nest a few levels; jsonschema and json.dumps recurse once or more per level,
# so a value nested far deeper would end in RecursionError wherever it went next.
MAX_JSON_DEPTH = 64
DEFAULT_TIMEOUT = 30.0  # one attempt: Twilio answers within seconds, a page of 1,000 included
DEFAULT_CONNECT_TIMEOUT = 5.0  # as the Stripe and OpenAI SDKs: a live host connects far sooner
# Twilio publishes no account concurrency limit; a fan-out this wide stays well clear of 429s.
DEFAULT_MAX_IN_FLIGHT = 25
# Far above any Twilio page (1,000 records), far below what could exhaust memory.
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
# Payment progress waits in flight at once on one RedisProgressStore, each on a Redis connection
# of its own: room for an MCP server's 256 subscriptions and as many tool calls, within a
# 1,024-descriptor process limit beside the store's other connections.
DEFAULT_MAX_WAITS = 512
# A list call's Limit: the records one call may read, and the pages it may ask for to read them
# (a server answering a record a page cannot make a call of a thousand requests).
MAX_LIST_RECORDS = 1000
MAX_LIST_PAGES = 20
# What a model reads of one result: a tool's answer is cut to this many tokens by the adapters
# (call_tool returns it whole); a fiftieth of a 200k context.
DEFAULT_RESULT_TOKENS = 4000

# A send (createMessage, createCall) identical to one made this long ago is refused as a repeat
# (docs/sends.md): long enough to cover a model's retries and an agent loop's rounds, short
# enough that a reminder sent again the next hour goes out.
DEFAULT_SEND_WINDOW = 600.0
# A send whose outcome is unknown is looked up this many times, this many seconds apart (the
# first after one interval: Twilio may still be working on the request that timed out).
DEFAULT_SEND_LOOKUPS = 3
DEFAULT_SEND_LOOKUP_INTERVAL = 2.0

# register_api's credential arguments, which its credential_variables= may fill from variables.
CREDENTIAL_ARGUMENTS = (
    "account_sid",
    "auth_token",
    "api_key",
    "api_secret",
    "token",
    "client_id",
    "client_secret",
)
# An OAuth access token is fetched again this long before it expires, so that no call carries a
# token that runs out on the way (at most half its life, for tokens that live shorter).
TOKEN_RENEW_MARGIN = 60.0
# Kept no longer than this, whatever the token endpoint says: Twilio's tokens live an hour, and
# its published example of expires_in is a timestamp in milliseconds, not a lifetime.
TOKEN_MAX_LIFETIME = 3600.0

CACHE_DIR_ENV = "OCP_TWILIO_CACHE_DIR"
REDIS_URL_ENV = "OCP_TWILIO_REDIS_URL"
MCP_TOKEN_ENV = "OCP_TWILIO_MCP_TOKEN"
POLICY_ENV = "OCP_TWILIO_POLICY"


@dataclass(frozen=True)
class Limits:
    """How much of the network and of memory an agent may take.

    ``max_in_flight``: the agent's requests on the wire at once (further calls wait their turn).
    ``max_connections``: the connection pool's size; by default ``max_in_flight``, so that the
    pool is not a second, lower cap. ``max_response_bytes``: the largest answer read.
    """

    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    max_connections: int | None = None
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES

    def __post_init__(self) -> None:
        for name in ("max_in_flight", "max_connections", "max_response_bytes"):
            value = getattr(self, name)
            if value is None and name == "max_connections":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(f"{name} must be a whole number, at least 1: {value!r}.")

    @property
    def pool_size(self) -> int:
        return self.max_in_flight if self.max_connections is None else self.max_connections


@dataclass(frozen=True)
class Environment:
    """The environment variables the library reads, each None where unset or empty; the
    secrets (and a Redis URL, which may hold a password) are kept out of the repr."""

    account_sid: str | None = None  # TWILIO_ACCOUNT_SID
    auth_token: str | None = field(default=None, repr=False)  # TWILIO_AUTH_TOKEN
    api_key: str | None = None  # TWILIO_API_KEY
    api_secret: str | None = field(default=None, repr=False)  # TWILIO_API_SECRET
    client_id: str | None = None  # TWILIO_CLIENT_ID: an OAuth app's client credentials
    client_secret: str | None = field(default=None, repr=False)  # TWILIO_CLIENT_SECRET
    base_url: str | None = None  # TWILIO_BASE_URL
    region: str | None = None  # TWILIO_REGION
    edge: str | None = None  # TWILIO_EDGE
    registry_file: str | None = None  # OCP_REGISTRY_FILE
    registry_url: str | None = None  # OCP_REGISTRY_URL
    cache_dir: str | None = None  # OCP_TWILIO_CACHE_DIR
    # OCP_TWILIO_REDIS_URL: payment progress shared through Redis.
    redis_url: str | None = field(default=None, repr=False)
    # OCP_TWILIO_MCP_TOKEN: the bearer of `ocp-twilio mcp --http`.
    mcp_token: str | None = field(default=None, repr=False)
    # OCP_TWILIO_POLICY: the policy file the commands that call tools put in force.
    policy: str | None = None


_VARIABLES = {
    "account_sid": "TWILIO_ACCOUNT_SID",
    "auth_token": "TWILIO_AUTH_TOKEN",
    "api_key": "TWILIO_API_KEY",
    "api_secret": "TWILIO_API_SECRET",
    "client_id": "TWILIO_CLIENT_ID",
    "client_secret": "TWILIO_CLIENT_SECRET",
    "base_url": "TWILIO_BASE_URL",
    "region": "TWILIO_REGION",
    "edge": "TWILIO_EDGE",
    "registry_file": "OCP_REGISTRY_FILE",
    "registry_url": "OCP_REGISTRY_URL",
    "cache_dir": CACHE_DIR_ENV,
    "redis_url": REDIS_URL_ENV,
    "mcp_token": MCP_TOKEN_ENV,
    "policy": POLICY_ENV,
}

# The mapping an agent's register_api was given, for the code it runs (an API's plugin loading
# its operations, which takes no arguments) while it registers.
_given_environ: ContextVar[Mapping[str, str] | None] = ContextVar("environ", default=None)


def read_environment(environ: Mapping[str, str] | None = None) -> Environment:
    """The variables of ``environ``; without it, of the mapping register_api was given, else of
    the process environment."""
    if environ is None:
        environ = _given_environ.get()
    env = os.environ if environ is None else environ
    return Environment(**{field: env.get(name) or None for field, name in _VARIABLES.items()})


def read_variables(
    names: Mapping[str, str], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The set ones of the variables named (``{"token": "ACME_TOKEN"}``), by key, from the same
    mapping as :func:`read_environment`."""
    if environ is None:
        environ = _given_environ.get()
    env = os.environ if environ is None else environ
    return {key: value for key, name in names.items() if (value := env.get(name))}


def read_credential_variables(
    variables: Mapping[str, str], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """register_api's credential arguments from the variables the user chose for them
    (``{"token": "ACME_TOKEN"}``); every variable named must be set."""
    if not isinstance(variables, Mapping):
        raise ConfigurationError(
            "credential_variables must map credential arguments to variable names "
            f"({{'token': 'ACME_TOKEN'}}), not {type(variables).__name__}."
        )
    unknown = [str(key)[:40] for key in variables if key not in CREDENTIAL_ARGUMENTS]
    if unknown:
        raise ConfigurationError(
            f"credential_variables keys must be credential arguments of register_api "
            f"({', '.join(CREDENTIAL_ARGUMENTS)}), not {unknown[:5]}."
        )
    unnamed = [key for key, name in variables.items() if not (isinstance(name, str) and name)]
    if unnamed:
        raise ConfigurationError(
            f"credential_variables[{unnamed[0]!r}] must be the name of an environment variable."
        )
    values = read_variables(variables, environ)
    unset = [f"{name} (for {key}=)" for key, name in variables.items() if key not in values]
    if unset:
        raise ConfigurationError(
            f"credential_variables: not set in environ= or the process environment: "
            f"{', '.join(unset)}. Set it, or pass the argument itself; nothing was sent."
        )
    return values


@contextmanager
def environment_of(environ: Mapping[str, str] | None) -> Iterator[None]:
    """Within the block, read_environment() reads ``environ`` (None: the process's)."""
    token = _given_environ.set(environ)
    try:
        yield
    finally:
        _given_environ.reset(token)
