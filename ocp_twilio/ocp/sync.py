"""Download Twilio's OpenAPI files into the user cache, where ``register_api("twilio")`` finds them.

The JSON edition is fetched: it parses about twenty times faster than the YAML one. What is synced
becomes the operations the agent calls with Twilio's credentials, so a source must be https (plain
http only on loopback, for a local mirror), redirects are not followed, every file and the whole
sync have a size cap, and every file must convert as OpenAPI. Files land in a fresh folder that
replaces the synced one only once every file has arrived and converted, so a failed sync leaves
the previous one in place; syncs running at once each leave a complete folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from yarl import URL

from .._exceptions import ConfigurationError, ResponseTooLarge, SpecError, TransportError
from .._json import NotJSON, read_json
from ..http.aiohttp_transport import AiohttpTransport
from ..http.dispatch import USER_AGENT
from ..http.hosts import has_userinfo, is_loopback_host
from ..http.timeout import DEFAULT_CONNECT_TIMEOUT
from ..http.transport import Request, Transport
from ..specs.openapi import parse_openapi_document, service_name

__all__ = [
    "DEFAULT_SYNC_SOURCE",
    "MAX_SYNC_BYTES",
    "MAX_SYNC_FILE_BYTES",
    "TWILIO_SPEC_FILES",
    "checked_source",
    "sync_specs",
]

DEFAULT_SYNC_SOURCE = "https://raw.githubusercontent.com/twilio/twilio-oai/main/spec/json/"
TWILIO_SPEC_FILES = tuple(
    f"twilio_{service}.json"
    for service in [
        "accounts_v1",
        "api_v2010",
        "assistants_v1",
        "bulkexports_v1",
        "chat_v1",
        "chat_v2",
        "chat_v3",
        "content_v1",
        "content_v2",
        "conversations_v1",
        "events_v1",
        "flex_v1",
        "flex_v2",
        "frontline_v1",
        "iam_organizations",
        "iam_scim",
        "iam_v1",
        "insights_v1",
        "insights_v2",
        "intelligence_v2",
        "ip_messaging_v1",
        "ip_messaging_v2",
        "knowledge_v1",
        "lookups_v1",
        "lookups_v2",
        "marketplace_v1",
        "messaging_v1",
        "messaging_v2",
        "messaging_v3",
        "monitor_v1",
        "monitor_v2",
        "notify_v1",
        "numbers_v1",
        "numbers_v2",
        "numbers_v3",
        "oauth_v1",
        "oauth_v2",
        "preview",
        "pricing_v1",
        "pricing_v2",
        "proxy_v1",
        "routes_v2",
        "serverless_v1",
        "studio_v1",
        "studio_v2",
        "supersim_v1",
        "sync_v1",
        "taskrouter_v1",
        "trunking_v1",
        "trusthub_v1",
        "verify_v2",
        "verify_v3",
        "video_v1",
        "voice_v1",
        "wireless_v1",
    ]
)
# Twilio's largest file (api_v2010) is about 2 MB as JSON; all 55 about 15 MB.
MAX_SYNC_FILE_BYTES = 32 * 1024 * 1024
MAX_SYNC_BYTES = 256 * 1024 * 1024
_PARALLEL_DOWNLOADS = 4
_FILE_TIMEOUT = 120.0


async def sync_specs(
    destination: Path,
    *,
    source: str = DEFAULT_SYNC_SOURCE,
    files: tuple[str, ...] = TWILIO_SPEC_FILES,
    on_file: Callable[[str], None] | None = None,
    transport: Transport | None = None,
    max_file_bytes: int = MAX_SYNC_FILE_BYTES,
    max_total_bytes: int = MAX_SYNC_BYTES,
) -> list[Path]:
    """Fetch ``files`` from ``source`` (an https URL ending in a folder) into ``destination``.

    ``on_file`` is told each file's name as it arrives. Requests go through ``transport`` (by
    default an :class:`AiohttpTransport` of its own, closed at the end). Returns the synced
    files' paths.
    """
    base = checked_source(source)
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".sync-", dir=destination.parent))
    own_transport = transport is None
    carrier = AiohttpTransport(_PARALLEL_DOWNLOADS) if transport is None else transport
    received = 0
    try:
        limit = asyncio.Semaphore(_PARALLEL_DOWNLOADS)

        async def fetch(name: str) -> None:
            nonlocal received
            async with limit:
                data = await _download(carrier, base / name, max_file_bytes)
            received += len(data)
            if received > max_total_bytes:
                raise ResponseTooLarge(
                    f"Sync refused: the files from {base} exceed the {max_total_bytes}-byte cap "
                    "of a whole sync; the previous sync stays in place."
                )
            _check_openapi(name, data)
            (staging / name).write_bytes(data)
            if on_file is not None:
                on_file(name)

        await _all_or_none([fetch(name) for name in files])
        _replace(destination, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if own_transport:
            await carrier.close()
    return [destination / name for name in files]


def checked_source(source: str) -> URL:
    """The source as a folder URL; https only, but plain http for a mirror on this machine."""
    try:
        url = URL(source if source.endswith("/") else source + "/")
    except ValueError:
        url = None
    if url is not None and has_userinfo(url):
        raise ConfigurationError(
            "The sync source must not hold a user name or password (user:token@host); "
            "nothing was downloaded."
        )
    if url is None or not url.host or url.query_string or url.fragment:
        raise ConfigurationError(
            "The sync source must be an https URL of a folder (nothing was downloaded), such "
            f"as:\n  {DEFAULT_SYNC_SOURCE}"
        )
    if url.scheme != "https" and not (url.scheme == "http" and is_loopback_host(url.host)):
        raise ConfigurationError(
            f"The sync source {url.scheme}://{url.host} is refused: synced files decide where "
            "Twilio's credentials are sent, so they come over https only (plain http only from "
            "127.0.0.1, ::1 or localhost); nothing was downloaded."
        )
    return url


async def _all_or_none(jobs: list[Coroutine[Any, Any, None]]) -> None:
    """Run ``jobs`` together; the first failure cancels the rest before the transport closes."""
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def _download(transport: Transport, url: URL, cap: int) -> bytes:
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    try:
        answer = await transport.send(
            Request(
                method="GET",
                url=url,
                headers=headers,
                body=None,
                timeout=_FILE_TIMEOUT,
                connect_timeout=DEFAULT_CONNECT_TIMEOUT,
                max_body=cap,
            )
        )
    except TransportError as exc:
        raise type(exc)(f"Downloading {url} failed: {exc}", nothing_sent=exc.nothing_sent) from None
    if 300 <= answer.status < 400:
        raise TransportError(
            f"Downloading {url} failed: HTTP {answer.status}, a redirect; sync follows none "
            "(give the address the files are at)."
        )
    if answer.status != 200:
        raise TransportError(f"Downloading {url} failed: HTTP {answer.status}.")
    return answer.body


def _check_openapi(name: str, data: bytes) -> None:
    """The file must convert as OpenAPI: what would fail at registration fails the sync."""
    try:
        document = read_json(data)
    except NotJSON as exc:
        raise SpecError(f"Synced file {name} is not JSON: {exc}") from None
    parse_openapi_document(document, service=service_name(name), source=f"Synced file {name}")


def _replace(destination: Path, staging: Path) -> None:
    """Put the complete ``staging`` folder where ``destination`` is, keeping none of the old.

    A sync running at the same time may move either folder first: each rename tolerates that,
    and the folder left in place is always one complete sync.
    """
    previous = Path(tempfile.mkdtemp(prefix=".previous-", dir=destination.parent))
    try:
        with contextlib.suppress(FileNotFoundError):  # nothing synced yet, or another sync
            os.replace(destination, previous / destination.name)
        try:
            os.rename(staging, destination)
        except OSError:
            if not destination.is_dir():
                raise
            # Another sync put its complete folder there between the two renames: keep it.
    finally:
        shutil.rmtree(previous, ignore_errors=True)
