"""HTTP and Twilio's conventions, for any operation: auth, host, timeout, error mapping.

The dispatcher knows nothing about particular operations; a Tool has already turned the
arguments into a PreparedRequest.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from typing import Any

import aiohttp
from yarl import URL

from .credentials import Credentials
from .errors import (
    ArgumentError,
    ConfigurationError,
    RequestTimeout,
    ResponseValidationError,
    TransportError,
    TwilioAPIError,
)
from .hosts import resolve_base_url
from .tool import PreparedRequest, Tool
from .version import __version__

__all__ = ["DEFAULT_TIMEOUT", "USER_AGENT", "Dispatcher", "ResponseValidation", "checked_timeout"]

logger = logging.getLogger("ocp_twilio")

DEFAULT_TIMEOUT = 30.0
USER_AGENT = f"ocp-twilio/{__version__} aiohttp/{aiohttp.__version__}"


class ResponseValidation(str, Enum):
    """What a success body that breaks the response schema does."""

    STRICT = "strict"  # raise ResponseValidationError
    WARN = "warn"  # log a warning, return the data
    OFF = "off"  # do not check


@dataclass(frozen=True)
class Dispatcher:
    """Sends prepared requests of one registered API and turns the answers into results."""

    credentials: Credentials
    base_url: str | None = None
    region: str | None = None
    edge: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    response_validation: ResponseValidation = ResponseValidation.WARN

    def __post_init__(self) -> None:
        checked_timeout(self.timeout)

    async def call(
        self,
        session: aiohttp.ClientSession,
        tool: Tool,
        arguments: Mapping[str, Any],
        *,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Validate, send and check one call; every failure is an OCPError.

        ``headers`` are sent besides the request's own (the agent's OCP headers); they never
        replace the auth, content or user agent headers.
        """
        limit = self.timeout if timeout is None else checked_timeout(timeout)
        request = tool.prepare(arguments, {"account_sid": self.credentials.account_sid})
        url = self.url_for(tool, request)
        started = time.monotonic()
        status, body = await self._send(session, request, url, limit, headers or {})
        logger.debug(
            "%s %s -> %d in %.0f ms",
            tool.name,
            request.method,
            status,
            (time.monotonic() - started) * 1000,
        )
        if not 200 <= status < 300:
            raise _api_error(status, body, tool.name)
        return self._checked_result(tool, status, body)

    def url_for(self, tool: Tool, request: PreparedRequest) -> URL:
        base = resolve_base_url(
            tool.spec.server, override=self.base_url, region=self.region, edge=self.edge
        )
        url = URL(base + request.path, encoded=True)
        return url.update_query(request.query) if request.query else url

    async def _send(
        self,
        session: aiohttp.ClientSession,
        request: PreparedRequest,
        url: URL,
        timeout: float,
        extra_headers: Mapping[str, str],
    ) -> tuple[int, bytes]:
        headers = {
            **extra_headers,
            "Authorization": self.credentials.authorization,
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            **dict(request.headers),
        }
        if request.content_type:
            headers["Content-Type"] = request.content_type
        with map_transport_errors(timeout):
            async with session.request(
                request.method,
                url,
                data=request.body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=timeout),
                allow_redirects=False,
            ) as response:
                return response.status, await response.read()

    def _checked_result(self, tool: Tool, status: int, body: bytes) -> Any:
        if not body.strip():
            data: Any = {}
        else:
            try:
                data = json.loads(body)
            except ValueError as exc:
                problem = ArgumentError((), f"HTTP {status} success body is not JSON")
                raise ResponseValidationError(tool.name, [problem]) from exc
        if self.response_validation is ResponseValidation.OFF:
            return data
        errors = tool.response_errors(data)
        if errors and self.response_validation is ResponseValidation.STRICT:
            raise ResponseValidationError(tool.name, errors, data)
        if errors:
            logger.warning(
                "Response of %s does not match its schema: %s",
                tool.name,
                "; ".join(str(e) for e in errors),
            )
        return data


def checked_timeout(seconds: float) -> float:
    """A timeout must be a positive, finite number of seconds (aiohttp fails on inf, ignores 0)."""
    number = isinstance(seconds, (int, float)) and not isinstance(seconds, bool)
    if not (number and math.isfinite(seconds) and seconds > 0):
        raise ConfigurationError(
            f"timeout must be a positive, finite number of seconds, not {seconds!r}."
        )
    return float(seconds)


@contextmanager
def map_transport_errors(timeout: float) -> Iterator[None]:
    """The one place where aiohttp's and asyncio's exceptions become ocp_twilio's."""
    try:
        yield
    except asyncio.TimeoutError as exc:
        raise RequestTimeout(f"No complete answer within {timeout:g} s.") from exc
    except aiohttp.ClientConnectionError as exc:
        raise TransportError(f"Connection failed: {type(exc).__name__}: {exc}") from exc
    except aiohttp.ClientError as exc:
        raise TransportError(f"HTTP failure: {type(exc).__name__}: {exc}") from exc


def _api_error(status: int, body: bytes, tool: str) -> TwilioAPIError:
    """Twilio's error body ``{code, message, more_info, status}``, or the best that can be said."""
    try:
        document = json.loads(body) if body.strip() else None
    except ValueError:
        document = None
    if isinstance(document, dict) and ("message" in document or "code" in document):
        code = document.get("code")
        return TwilioAPIError(
            status,
            code if isinstance(code, int) else None,
            str(document.get("message") or "no message"),
            str(document["more_info"]) if document.get("more_info") else None,
            tool=tool,
        )
    text = body[:200].decode("utf-8", "replace").strip()
    detail = f"non-JSON error body: {text!r}" if text else "empty error body"
    return TwilioAPIError(status, None, detail, tool=tool)
