"""OCPAgent: registered APIs, their tools, and the HTTP session they share."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp

from .catalog import cache_root, load_operations
from .credentials import Credentials
from .dispatch import DEFAULT_TIMEOUT, Dispatcher, ResponseValidation
from .errors import APINotFound, ConfigurationError
from .hosts import resolve_base_url
from .plugin import APIDefinition, twilio_api
from .spec import OperationSpec
from .tool import Tool
from .tool_index import ToolIndex, qualified_name

__all__ = ["OCPAgent", "RegisteredAPI"]


@dataclass(frozen=True)
class RegisteredAPI:
    name: str
    definition: APIDefinition
    dispatcher: Dispatcher
    tools: tuple[Tool, ...]


class OCPAgent:
    """An agent's view of its APIs: register them, find their tools, call them.

    One aiohttp session serves every API; it is made on the first call, inside the running loop,
    and closed by :meth:`aclose` or ``async with``.
    """

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        response_validation: ResponseValidation | str = ResponseValidation.WARN,
    ) -> None:
        self.timeout = timeout
        self.response_validation = _validation_mode(response_validation)
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
        spec: str | Path | Sequence[str | Path] | None = None,
        services: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
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
    ) -> RegisteredAPI:
        """Make an API's tools callable.

        Credentials, base URL, region and edge come from the arguments, else from the TWILIO_*
        variables of ``environ`` (default: the process environment). ``spec`` is a file or folder
        (or a list of them) of OpenAPI 3.0 descriptions or the project's YAML specs, used instead
        of the API's own operations; converted ones are cached under ``$OCP_TWILIO_CACHE_DIR``
        or the user cache directory. ``services`` and ``tags`` keep only the operations of those
        services (``api_v2010``, ``messaging_v1``) or with one of those tags.
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
        if spec is None:
            operations = definition.load_operations()
        else:
            sources = [spec] if isinstance(spec, (str, Path)) else list(spec)
            operations = load_operations(sources, cache_dir=cache_root(env))
        operations = _selected(operations, services, tags)
        dispatcher = Dispatcher(
            credentials=credentials,
            base_url=base_url or env.get("TWILIO_BASE_URL") or None,
            region=region or env.get("TWILIO_REGION") or None,
            edge=edge or env.get("TWILIO_EDGE") or None,
            timeout=timeout or self.timeout,
            response_validation=_validation_mode(response_validation or self.response_validation),
        )
        # Fail at registration, not on the first call, when the host settings are unusable.
        if dispatcher.base_url:
            resolve_base_url(None, override=dispatcher.base_url)
        tools = tuple(Tool(op, api=name, name=qualified_name(op)) for op in operations)
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
        return await api.dispatcher.call(self._http(), tool, arguments or {}, timeout=timeout)

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session


def _definition(name: str) -> APIDefinition:
    known = {"twilio": twilio_api}
    if name not in known:
        raise APINotFound(name, difflib.get_close_matches(name, known))
    return known[name]()


def _selected(
    operations: list[OperationSpec], services: Sequence[str] | None, tags: Sequence[str] | None
) -> list[OperationSpec]:
    """The operations of the given services and with one of the given tags (either optional)."""
    if services is not None:
        _check_known("service", services, {op.service for op in operations})
        operations = [op for op in operations if op.service in services]
    if tags is not None:
        wanted = {t.lower() for t in tags}
        _check_known("tag", wanted, {t.lower() for op in operations for t in op.tags})
        operations = [op for op in operations if wanted.intersection(t.lower() for t in op.tags)]
    return operations


def _check_known(kind: str, asked: Iterable[str], known: set[str]) -> None:
    for value in asked:
        if value not in known:
            close = difflib.get_close_matches(value, known, n=3)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise ConfigurationError(
                f"No {kind} named {value!r} among the loaded operations.{hint}"
            )


def _validation_mode(value: ResponseValidation | str) -> ResponseValidation:
    try:
        return ResponseValidation(value)
    except ValueError:
        choices = ", ".join(m.value for m in ResponseValidation)
        raise ConfigurationError(
            f"response_validation must be one of {choices}, not {value!r}."
        ) from None
