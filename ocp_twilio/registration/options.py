"""The options of an agent and of each API it registers, checked once where they are given.

``register_api`` takes its options as keywords; they travel inside as one :class:`APIOptions`.
Four of them (timeout, response validation, retries, the answer's size cap) override the
agent's :class:`CallSettings` for that API's calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import InitVar, dataclass, field
from pathlib import Path

from .._config import Limits, read_credential_variables, read_environment
from .._exceptions import ConfigurationError
from ..http.dispatch import ResponseValidation
from ..http.retry import RetryPolicy
from ..http.timeout import Timeout
from ..payments.stores import ProgressStore, redis_progress_store
from ..specs.names import API_NAME
from ..tools.formats import INPUT_FORMATS
from ..tools.validation import has_surrogate

__all__ = [
    "APIOptions",
    "CallSettings",
    "SpecPaths",
    "agent_limits",
    "check_text_options",
    "progress_store_of",
    "validation_mode",
]

SpecPaths = str | Path | Sequence[str | Path]


@dataclass(frozen=True)
class CallSettings:
    """What bounds and checks an API's calls: the agent's, else the API's own."""

    timeout: Timeout
    response_validation: ResponseValidation
    retries: RetryPolicy
    max_response_bytes: int


@dataclass(frozen=True)
class APIOptions:
    """One API's registration: where its tools come from, its host, its credentials and what
    overrides the agent's call settings; checked when made, before anything is looked up."""

    name: str
    spec: SpecPaths | None = None
    services: Sequence[str] | None = None
    tags: Sequence[str] | None = None
    base_url: str | None = None
    region: str | None = None
    edge: str | None = None
    # The credential arguments (account_sid, auth_token, api_key, api_secret, token, client_id,
    # client_secret), with those
    # that credential_variables names read from environ; never shown.
    credentials: Mapping[str, str | None] = field(default_factory=dict, repr=False)
    credential_variables: InitVar[Mapping[str, str] | None] = None
    timeout: float | Timeout | None = None
    response_validation: ResponseValidation | str | None = None
    retries: int | RetryPolicy | None = None
    max_response_bytes: int | None = None
    ocp_headers: bool | None = None
    # May hold any secret of the process: never shown.
    environ: Mapping[str, str] | None = field(default=None, repr=False)
    status_callback: str | None = None

    def __post_init__(self, credential_variables: Mapping[str, str] | None) -> None:
        given = _credential_arguments(self.credentials, credential_variables, self.environ)
        object.__setattr__(self, "credentials", given)
        callback = self.status_callback
        check_text_options(
            name=self.name,
            base_url=self.base_url,
            region=self.region,
            edge=self.edge,
            status_callback=callback,
        )
        if not API_NAME.fullmatch(self.name):
            raise ConfigurationError(
                f"API name {self.name!r} must match OCP's pattern ^{API_NAME.pattern}$ "
                "(letters, digits, '_' and '-'), as the context's api_specs names it."
            )
        if callback is not None and not INPUT_FORMATS.conforms(callback, "http-url"):
            raise ConfigurationError(
                f"status_callback must be an absolute http(s) URL, not {callback!r}."
            )

    def settings(self, defaults: CallSettings) -> CallSettings:
        """``defaults`` with what this API overrides (an empty or zero value overrides nothing)."""
        return CallSettings(
            timeout=defaults.timeout if self.timeout is None else Timeout.of(self.timeout),
            response_validation=validation_mode(
                self.response_validation or defaults.response_validation
            ),
            retries=defaults.retries if self.retries is None else RetryPolicy.of(self.retries),
            max_response_bytes=self.max_response_bytes or defaults.max_response_bytes,
        )


def agent_limits(
    limits: Limits | None, max_in_flight: int | None, max_response_bytes: int | None
) -> Limits:
    """``limits``, or one made of the shorthands (not both)."""
    shorthands = {"max_in_flight": max_in_flight, "max_response_bytes": max_response_bytes}
    given = {key: value for key, value in shorthands.items() if value is not None}
    if limits is None:
        return Limits(**given)
    if given:
        raise ConfigurationError(
            f"Give {' and '.join(given)} in limits=Limits(...), not beside it."
        )
    if not isinstance(limits, Limits):
        raise ConfigurationError(f"limits must be a Limits, not {type(limits).__name__}.")
    return limits


def progress_store_of(
    store: ProgressStore | None, redis_url: str | None
) -> tuple[ProgressStore | None, bool]:
    """The agent's progress store, and whether the agent made it (and so closes it)."""
    if store is not None and redis_url is not None:
        raise ConfigurationError("Give progress_store= or redis_url=, not both.")
    if store is not None:
        if not isinstance(store, ProgressStore):
            raise ConfigurationError(
                f"progress_store must be a ProgressStore, not {type(store).__name__}."
            )
        return store, False
    check_text_options(redis_url=redis_url)
    url = redis_url or read_environment().redis_url
    return (redis_progress_store(url), True) if url else (None, False)


def validation_mode(value: ResponseValidation | str) -> ResponseValidation:
    try:
        return ResponseValidation(value)
    except ValueError:
        choices = ", ".join(m.value for m in ResponseValidation)
        raise ConfigurationError(
            f"response_validation must be one of {choices}, not {value!r}."
        ) from None


def check_text_options(**options: object) -> None:
    """Options that are text must be text: other values would fail deep in URL handling."""
    for option, value in options.items():
        if value is not None and not isinstance(value, str):
            raise ConfigurationError(f"{option} must be text, not {type(value).__name__}.")
        if isinstance(value, str) and not value.isascii() and has_surrogate(value):
            raise ConfigurationError(f"{option} holds an unpaired surrogate; it cannot be sent.")


def _credential_arguments(
    arguments: Mapping[str, str | None],
    variables: Mapping[str, str] | None,
    environ: Mapping[str, str] | None,
) -> dict[str, str | None]:
    """register_api's credential arguments, those it was given as variables (credential_variables)
    filled in; each checked as text."""
    check_text_options(**arguments)
    if variables is None:
        return dict(arguments)
    from_variables = read_credential_variables(variables, environ)
    twice = [key for key in from_variables if arguments.get(key)]
    if twice:
        raise ConfigurationError(
            f"{twice[0]}= is given both as an argument and in credential_variables; keep one."
        )
    check_text_options(
        **{f"{variables[key]} (for {key}=)": value for key, value in from_variables.items()}
    )
    return {**arguments, **from_variables}
