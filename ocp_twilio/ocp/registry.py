"""Where an API name is found: installed plugins, then a local registry file, then a registry URL.

A plugin is an entry point of the group ``ocp.apis`` whose object is a function returning an
:class:`APIDefinition`. A registry file (YAML or JSON) maps names to entries::

    apis:
      acme:
        description: Acme's shipping API
        base_url: https://api.acme.example
        spec: specs/acme          # YAML spec file or directory, relative to this file
        ocp_headers: true         # Acme's servers read the OCP context headers

A registry URL serves OCP's registry API (``registry_client``): an entry whose ``tools`` are
OCP tool definitions (``tool_format``), and names like one. What an entry may hold, and how its
``auth_config`` reads, is in ``entries``; which values fill it is the user's choice, given to
``register_api``.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from .._exceptions import APINotFound, ConfigurationError
from ..http.aiohttp_transport import AiohttpTransport
from ..http.hosts import resolve_base_url
from ..http.timeout import Timeout
from ..http.transport import Transport
from ..specs.hosts import DEFAULT_SERVER
from ..specs.model import OperationSpec, packaged_schemas_dir
from ..specs.sources import cache_root, load_operations
from .entries import EXTENSION, AuthConfig, auth_type, entry_auth, read_registry_file
from .plugin import APIDefinition
from .registry_client import MAX_REGISTRY_ANSWER_BYTES, RegistryClient
from .tool_format import operations_of

__all__ = [
    "ENTRY_POINT_GROUP",
    "APIRegistry",
    "ResolvedAPI",
    "installed_plugins",
    "plugin_definition",
    "spec_definition",
]

ENTRY_POINT_GROUP = "ocp.apis"


@dataclass(frozen=True)
class ResolvedAPI:
    """An API definition and the URIs of where it was found (the context's ``api_specs``)."""

    definition: APIDefinition
    sources: tuple[str, ...]
    # Found in a registry file or at a registry URL: its tools get no TWILIO_* credentials.
    from_registry: bool = False
    # A registry entry's auth_config; None for plugins and specs (Twilio's HTTP Basic).
    auth: AuthConfig | None = None

    @property
    def source(self) -> str:
        return self.sources[0]


class APIRegistry:
    """Resolves API names; ``registry_file`` and ``registry_url`` are optional later steps.

    Requests to the registry go through ``transport`` (the agent's); without one, through an
    :class:`AiohttpTransport` made for the lookup and closed after it. Answers over
    ``max_answer_bytes`` are refused.
    """

    def __init__(
        self,
        *,
        registry_file: str | Path | None = None,
        registry_url: str | None = None,
        timeout: float | Timeout = 10.0,
        transport: Transport | None = None,
        max_answer_bytes: int = MAX_REGISTRY_ANSWER_BYTES,
    ) -> None:
        self.registry_file = Path(registry_file) if registry_file else None
        self.registry_url = resolve_base_url(None, override=registry_url) if registry_url else None
        self.timeout = Timeout.of(timeout)
        self.transport = transport
        self.max_answer_bytes = max_answer_bytes

    async def resolve(self, name: str) -> ResolvedAPI:
        """The first definition of ``name``; APINotFound with close names when none has it."""
        plugins = installed_plugins()
        if name in plugins:
            return _plugin_definition(name, plugins[name])
        registry_file = self.registry_file
        file_entries = read_registry_file(registry_file) if registry_file else {}
        if registry_file and name in file_entries:
            return _file_definition(name, file_entries[name], registry_file)
        remote_names: list[str] = []
        if self.registry_url is not None:
            transport = self.transport or AiohttpTransport(1)
            client = RegistryClient(
                self.registry_url,
                transport,
                timeout=self.timeout,
                max_answer_bytes=self.max_answer_bytes,
            )
            try:
                found = await client.entry(name)
                if found is not None:
                    return _remote_definition(name, *found)
                remote_names = await client.search(name)
            finally:
                if self.transport is None:
                    await transport.close()
        known = [*plugins, *file_entries]
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        raise APINotFound(name, list(dict.fromkeys([*close, *remote_names[:3]])))


def plugin_definition(name: str) -> ResolvedAPI:
    """The definition of an installed plugin only: no registry file or URL is consulted."""
    plugins = installed_plugins()
    if name not in plugins:
        raise APINotFound(name, difflib.get_close_matches(name, plugins, n=3, cutoff=0.6))
    return _plugin_definition(name, plugins[name])


def installed_plugins() -> dict[str, EntryPoint]:
    """The API plugins of the installed distributions, by name."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def spec_definition(
    name: str, spec: str | Path | Sequence[str | Path], *, cache_dir: Path | None = None
) -> ResolvedAPI:
    """A definition of the operations of spec files or folders (OpenAPI or the project's YAML).

    Any name will do: nothing is looked up. Where the files import an operation the packaged
    curated specs describe (Twilio's Pay), the curated one stands in its place.
    """
    paths = [Path(spec)] if isinstance(spec, (str, Path)) else [Path(p) for p in spec]
    entry = {"description": f"Operations of {', '.join(p.name for p in paths)}"}
    # First: it names a bad path.
    operations = load_operations(paths, cache_dir=cache_dir, curated=[packaged_schemas_dir()])
    sources = tuple(p.resolve().as_uri() for p in paths)
    return _entry_definition(name, entry, sources, operations)


def _plugin_definition(name: str, entry_point: EntryPoint) -> ResolvedAPI:
    try:
        factory = entry_point.load()
        definition = factory()
    except Exception as exc:
        raise ConfigurationError(
            f"Plugin {name!r} ({entry_point.value}) failed to load: {type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(definition, APIDefinition):
        raise ConfigurationError(
            f"Plugin {name!r} ({entry_point.value}) must return an APIDefinition, "
            f"not {type(definition).__name__}."
        )
    return ResolvedAPI(definition, (f"python:{entry_point.value}",))


def _file_definition(name: str, entry: Mapping[str, Any], registry_file: Path) -> ResolvedAPI:
    source = registry_file.resolve().as_uri()
    if "spec" in entry:
        operations = load_operations(
            [registry_file.parent / entry["spec"]],
            cache_dir=cache_root(),
            curated=[packaged_schemas_dir()],
        )
        if entry.get("base_url"):
            operations = [dataclasses.replace(op, server=entry["base_url"]) for op in operations]
    else:
        operations = _tool_operations(name, entry, source)
    auth = entry_auth(entry, from_url=False)
    return _entry_definition(name, entry, (source,), operations, auth)


def _remote_definition(name: str, url: str, entry: Mapping[str, Any]) -> ResolvedAPI:
    operations = _tool_operations(name, entry, url)
    auth = entry_auth(entry, from_url=True)
    return _entry_definition(name, entry, (url,), operations, auth)


def _entry_definition(
    name: str,
    entry: Mapping[str, Any],
    sources: tuple[str, ...],
    operations: list[OperationSpec],
    auth: AuthConfig | None = None,
) -> ResolvedAPI:
    """``auth``: a registry entry's (None for a spec: HTTP Basic, as Twilio's)."""
    servers = (op.server for op in operations if op.server)
    definition = APIDefinition(
        name=name,
        description=str(entry.get("description", "")),
        base_url=str(entry.get("base_url") or next(servers, DEFAULT_SERVER)),
        load_operations=lambda: list(operations),
        ocp_headers=bool(entry.get("ocp_headers", False)),
    )
    return ResolvedAPI(definition, sources, auth is not None, auth)


def _tool_operations(name: str, entry: Mapping[str, Any], source: str) -> list[OperationSpec]:
    """The entry's OCP tool definitions as operations."""
    return operations_of(
        name,
        entry["base_url"],
        entry["tools"],
        entry.get(EXTENSION, {}).get("tools", {}),
        # Arguments filled from the credentials need an account: HTTP Basic's user name.
        basic=auth_type(entry) == "basic",
        source=source,
    )
