"""OCPAgent: registered APIs, their tools, and the HTTP session they share."""

from __future__ import annotations

import asyncio
import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp

from .credentials import Credentials
from .dispatch import DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, Dispatcher, ResponseValidation
from .errors import APINotFound, ConfigurationError
from .hosts import resolve_base_url
from .plugin import APIDefinition, twilio_api
from .retry import DEFAULT_RETRIES, RetryPolicy
from .spec import OperationSpec, load_spec_dir, load_spec_file
from .tool import Tool
from .tool_index import ToolIndex

__all__ = ["DEFAULT_MAX_IN_FLIGHT", "OCPAgent", "RegisteredAPI"]

# Twilio publishes no account concurrency limit; a fan-out this wide stays well clear of 429s.
DEFAULT_MAX_IN_FLIGHT = 25


@dataclass(frozen=True)
class RegisteredAPI:
    name: str
    definition: APIDefinition
    dispatcher: Dispatcher
    tools: tuple[Tool, ...]


class OCPAgent:
    """An agent's view of its APIs: register them, find their tools, call them.

    One aiohttp session serves every API; it is made on the first call, inside the running loop,
    and closed by :meth:`aclose` or ``async with``. At most ``max_in_flight`` requests of the
    agent are on the wire at once; further calls wait their turn.
    """

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        response_validation: ResponseValidation | str = ResponseValidation.WARN,
        retries: int | RetryPolicy = DEFAULT_RETRIES,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        if max_in_flight < 1:
            raise ConfigurationError("max_in_flight must be at least 1.")
        self.timeout = timeout
        self.response_validation = _validation_mode(response_validation)
        self.retries = RetryPolicy.of(retries)
        self.max_in_flight = max_in_flight
        self.max_response_bytes = max_response_bytes
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self._apis: dict[str, RegisteredAPI] = {}
        self._tools = ToolIndex()
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> OCPAgent:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def register_api(
        self,
        name: str = "twilio",
        *,
        spec: str | Path | None = None,
        base_url: str | None = None,
        account_sid: str | None = None,
        auth_token: str | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
        region: str | None = None,
        edge: str | None = None,
        timeout: float | None = None,
        response_validation: ResponseValidation | str | None = None,
        environ: Mapping[str, str] | None = None,
        retries: int | RetryPolicy | None = None,
        max_response_bytes: int | None = None,
    ) -> RegisteredAPI:
        """Make an API's tools callable.

        Credentials, base URL, region and edge come from the arguments, else from the TWILIO_*
        variables of ``environ`` (default: the process environment). ``spec`` is a YAML spec
        file or directory used instead of the API's own operations.
        """
        env = os.environ if environ is None else environ
        definition = _definition(name)
        credentials = Credentials.from_env(
            env,
            account_sid=account_sid,
            auth_token=auth_token,
            api_key=api_key,
            api_secret=api_secret,
        )
        operations = _load(spec) if spec is not None else definition.load_operations()
        dispatcher = Dispatcher(
            credentials=credentials,
            base_url=base_url or env.get("TWILIO_BASE_URL") or None,
            region=region or env.get("TWILIO_REGION") or None,
            edge=edge or env.get("TWILIO_EDGE") or None,
            timeout=timeout or self.timeout,
            response_validation=_validation_mode(response_validation or self.response_validation),
            retries=self.retries if retries is None else RetryPolicy.of(retries),
            max_response_bytes=max_response_bytes or self.max_response_bytes,
        )
        # Fail at registration, not on the first call, when the host settings are unusable.
        if dispatcher.base_url:
            resolve_base_url(None, override=dispatcher.base_url)
        tools = tuple(Tool(op, api=name) for op in operations)
        registered = RegisteredAPI(name, definition, dispatcher, tools)
        self._tools.remove_api(name)
        self._apis[name] = registered
        self._tools.add(tools)
        return registered

    def list_tools(self, api: str | None = None) -> list[Tool]:
        return self._tools.tools(api)

    def get_tool(self, name: str) -> Tool:
        return self._tools.get(name)

    def search_tools(self, query: str, limit: int = 10) -> list[Tool]:
        return self._tools.search(query, limit)

    async def call_tool(
        self, name: str, arguments: Mapping[str, Any] | None = None, *, timeout: float | None = None
    ) -> Any:
        """Validate ``arguments``, call the tool's operation and return the checked JSON result."""
        tool = self._tools.get(name)
        api = self._apis[tool.api]
        return await api.dispatcher.call(
            self._http(), tool, arguments or {}, timeout=timeout, in_flight=self._in_flight
        )

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # The connector must not be a second, lower cap than max_in_flight.
            connector = aiohttp.TCPConnector(limit=self.max_in_flight)
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session


def _definition(name: str) -> APIDefinition:
    known = {"twilio": twilio_api}
    if name not in known:
        raise APINotFound(name, difflib.get_close_matches(name, known))
    return known[name]()


def _load(spec: str | Path) -> list[OperationSpec]:
    path = Path(spec)
    return load_spec_dir(path) if path.is_dir() else load_spec_file(path)


def _validation_mode(value: ResponseValidation | str) -> ResponseValidation:
    try:
        return ResponseValidation(value)
    except ValueError:
        choices = ", ".join(m.value for m in ResponseValidation)
        raise ConfigurationError(
            f"response_validation must be one of {choices}, not {value!r}."
        ) from None
