"""What a registry URL answers, fetched through the transport seam: ``GET {registry}/registry/
{name}`` for an entry, ``GET {registry}/search?q=`` for names like one. A path in the registry
URL is kept: ``https://host/api/v1`` asks ``/api/v1/registry/{name}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from yarl import URL

from .._exceptions import ResponseTooLarge, SpecError, TransportError
from ..http.dispatch import USER_AGENT
from ..http.timeout import Timeout
from ..http.transport import Request, Transport
from ..specs.documents import parse_document
from .entries import check_remote_entry

__all__ = ["MAX_REGISTRY_ANSWER_BYTES", "RegistryClient"]

# An entry holds a few tool definitions; far more than any needs, far less than hurts.
MAX_REGISTRY_ANSWER_BYTES = 4 * 1024 * 1024


class RegistryClient:
    """Asks the registry at ``registry_url`` (resolved: no trailing slash) through
    ``transport``; answers over ``max_answer_bytes`` are refused."""

    def __init__(
        self,
        registry_url: str,
        transport: Transport,
        *,
        timeout: Timeout,
        max_answer_bytes: int = MAX_REGISTRY_ANSWER_BYTES,
    ) -> None:
        self.registry_url = registry_url
        self.transport = transport
        self.timeout = timeout
        self.max_answer_bytes = max_answer_bytes

    async def entry(self, name: str) -> tuple[str, Any] | None:
        """The entry of ``name`` and its URL, checked; None when the registry has no such API."""
        url = f"{self.registry_url}/registry/{quote(name, safe='')}"
        status, body = await self._get(url, {})
        if status == 404:
            return None
        if status != 200:
            raise TransportError(f"Registry {url} answered HTTP {status}.")
        entry = parse_document(body, f"registry entry {url}", as_json=True)
        check_remote_entry(entry, url)
        return url, entry

    async def search(self, name: str) -> list[str]:
        """Names the registry suggests; a registry without search suggests nothing."""
        try:
            status, body = await self._get(f"{self.registry_url}/search", {"q": name})
            if status != 200:
                return []
            results = parse_document(body, f"registry search {self.registry_url}", as_json=True)
            return [str(r["name"]) for r in results["results"]]
        except (TransportError, SpecError, KeyError, TypeError):
            return []

    async def _get(self, url: str, query: Mapping[str, str]) -> tuple[int, bytes]:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        target = URL(url, encoded=True).update_query(query) if query else URL(url, encoded=True)
        try:
            answer = await self.transport.send(
                Request(
                    method="GET",
                    url=target,
                    headers=headers,
                    body=None,
                    timeout=self.timeout.attempt,
                    connect_timeout=self.timeout.connect,
                    max_body=self.max_answer_bytes,
                )
            )
        except ResponseTooLarge:
            raise ResponseTooLarge(
                f"Registry {url} answered more than {self.max_answer_bytes} bytes; refused."
            ) from None
        return answer.status, answer.body
