"""Where an API name is found: installed plugins, then a local registry file, then a registry URL.

A plugin is an entry point of the group ``ocp.apis`` whose object is a function returning an
:class:`APIDefinition`. A registry file (YAML or JSON) maps names to entries::

    apis:
      acme:
        description: Acme's shipping API
        base_url: https://api.acme.example
        spec: specs/acme          # YAML spec file or directory, relative to this file
        ocp_headers: true         # Acme's servers read the OCP context headers

A registry URL serves OCP's registry API: ``GET {registry}/registry/{name}`` answers an entry
whose ``tools`` are OCP tool definitions, and ``GET {registry}/search?q=`` lists names. A path
in the registry URL is kept: ``https://host/api/v1`` asks ``/api/v1/registry/{name}``.

An entry's ``auth_config`` says how its API takes credentials: ``type`` none, basic (also
http_basic), bearer_token (also bearer) or api_key (sent in ``header_name``); without one, basic.
Which values fill it is the user's choice, given to ``register_api``. Its ``x-ocp-twilio`` object
(written by ``ocp-twilio catalog``) adds what OCP's tool definition cannot carry: per tool the
body encoding (else JSON, as OCP clients send), the wire name of each parameter whose OCP name
differs, the arguments filled from the credentials, exactly-one-of groups and the success
status; and, in a registry file only, ``auth_env``: the variables that hold the credentials
(``username``, ``password``, ``token``, ``key``; never TWILIO_* or OCP_* ones). The user wrote
or chose that file; an entry from a registry URL never chooses which of the user's variables
are read, so its ``auth_env`` is not read at all.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import jsonschema
from yarl import URL

from .._exceptions import (
    APINotFound,
    ConfigurationError,
    ResponseTooLarge,
    SpecError,
    TransportError,
)
from ..http.aiohttp_transport import AiohttpTransport
from ..http.dispatch import USER_AGENT
from ..http.hosts import DEFAULT_SERVER, resolve_base_url
from ..http.timeout import Timeout
from ..http.transport import Request, Transport
from ..specs.documents import parse_document, read_document
from ..specs.model import OperationSpec, check_document, parse_spec_document
from ..specs.sources import cache_root, load_operations
from .plugin import APIDefinition

__all__ = [
    "ENTRY_POINT_GROUP",
    "EXTENSION",
    "OCP_PARAMETER_SCHEMA_KEYS",
    "APIRegistry",
    "AuthConfig",
    "ResolvedAPI",
    "plugin_definition",
    "spec_definition",
]

ENTRY_POINT_GROUP = "ocp.apis"
# An entry's object of what OCP's tool definition cannot carry; other clients ignore it.
EXTENSION = "x-ocp-twilio"

AuthType = Literal["none", "basic", "bearer", "api_key"]
_AUTH_TYPES: dict[str, AuthType] = {
    "none": "none",
    "basic": "basic",
    "http_basic": "basic",
    "bearer": "bearer",
    "bearer_token": "bearer",
    "api_key": "api_key",
}


@dataclass(frozen=True)
class AuthConfig:
    """How a registry entry's API takes credentials, and (a registry file's entry only) the
    variables that hold them."""

    type: AuthType = "basic"
    header_name: str | None = None
    # "username", "password", "token" or "key" -> the name of an environment variable.
    env: Mapping[str, str] = field(default_factory=dict)
    # An entry from a registry URL named variables (auth_env), which were not read.
    unread_env: bool = False


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


# An entry holds a few tool definitions; far more than any needs, far less than hurts.
MAX_REGISTRY_ANSWER_BYTES = 4 * 1024 * 1024


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
        file_entries = _read_registry_file(registry_file) if registry_file else {}
        if registry_file and name in file_entries:
            return _file_definition(name, file_entries[name], registry_file)
        remote_names: list[str] = []
        if self.registry_url is not None:
            transport = self.transport or AiohttpTransport(1)
            try:
                resolved = await self._fetch(name, transport)
                if resolved is not None:
                    return resolved
                remote_names = await self._search(name, transport)
            finally:
                if self.transport is None:
                    await transport.close()
        known = [*plugins, *file_entries]
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        raise APINotFound(name, list(dict.fromkeys([*close, *remote_names[:3]])))

    async def _fetch(self, name: str, transport: Transport) -> ResolvedAPI | None:
        url = f"{self.registry_url}/registry/{quote(name, safe='')}"
        status, body = await self._get(transport, url, {})
        if status == 404:
            return None
        if status != 200:
            raise TransportError(f"Registry {url} answered HTTP {status}.")
        entry = parse_document(body, f"registry entry {url}", as_json=True)
        check_document(_REMOTE_VALIDATOR, entry, f"Registry entry {url}")
        operations = _tool_operations(name, entry, url)
        auth = _auth_config(entry, from_url=True)
        return _entry_definition(name, entry, (url,), operations, auth)

    async def _search(self, name: str, transport: Transport) -> list[str]:
        """Names the registry suggests; a registry without search suggests nothing."""
        try:
            status, body = await self._get(transport, f"{self.registry_url}/search", {"q": name})
            if status != 200:
                return []
            results = parse_document(body, f"registry search {self.registry_url}", as_json=True)
            return [str(r["name"]) for r in results["results"]]
        except (TransportError, SpecError, KeyError, TypeError):
            return []

    async def _get(
        self, transport: Transport, url: str, query: Mapping[str, str]
    ) -> tuple[int, bytes]:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        target = URL(url, encoded=True).update_query(query) if query else URL(url, encoded=True)
        try:
            answer = await transport.send(
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


def plugin_definition(name: str) -> ResolvedAPI:
    """The definition of an installed plugin only: no registry file or URL is consulted."""
    plugins = installed_plugins()
    if name not in plugins:
        raise APINotFound(name, difflib.get_close_matches(name, plugins, n=3, cutoff=0.6))
    return _plugin_definition(name, plugins[name])


def installed_plugins() -> dict[str, EntryPoint]:
    """The API plugins of the installed distributions, by name."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _read_registry_file(path: Path) -> dict[str, Any]:
    document = read_document(path, "registry file")
    check_document(_FILE_VALIDATOR, document, f"Registry file {path}")
    return dict(document["apis"])


def spec_definition(
    name: str, spec: str | Path | Sequence[str | Path], *, cache_dir: Path | None = None
) -> ResolvedAPI:
    """A definition of the operations of spec files or folders (OpenAPI or the project's YAML).

    Any name will do: nothing is looked up.
    """
    paths = [Path(spec)] if isinstance(spec, (str, Path)) else [Path(p) for p in spec]
    entry = {"description": f"Operations of {', '.join(p.name for p in paths)}"}
    operations = load_operations(paths, cache_dir=cache_dir)  # first: it names a bad path
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
        operations = load_operations([registry_file.parent / entry["spec"]], cache_dir=cache_root())
        if entry.get("base_url"):
            operations = [dataclasses.replace(op, server=entry["base_url"]) for op in operations]
    else:
        operations = _tool_operations(name, entry, source)
    auth = _auth_config(entry, from_url=False)
    return _entry_definition(name, entry, (source,), operations, auth)


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


def _auth_config(entry: Mapping[str, Any], *, from_url: bool) -> AuthConfig:
    """The entry's auth; the variables it names only where the user chose the file.

    A registry URL's entry could name ANTHROPIC_API_KEY as its token and receive it with the
    first call, so its auth_env is never read: the user passes credentials to register_api."""
    extension = entry.get(EXTENSION, {})
    header_name = (entry.get("auth_config") or {}).get("header_name")
    if from_url:  # its auth_env was not checked either: only whether there is one matters
        return AuthConfig(_auth_type(entry), header_name, unread_env="auth_env" in extension)
    return AuthConfig(_auth_type(entry), header_name, env=dict(extension.get("auth_env", {})))


def _auth_type(entry: Mapping[str, Any]) -> AuthType:
    return _AUTH_TYPES[(entry.get("auth_config") or {}).get("type", "basic")]


def _tool_operations(name: str, entry: Mapping[str, Any], source: str) -> list[OperationSpec]:
    """OCP tool definitions as a document of the project's own spec format, then its loader."""
    extension = entry.get(EXTENSION, {}).get("tools", {})
    # Arguments filled from the credentials need an account: HTTP Basic's user name.
    basic = _auth_type(entry) == "basic"
    document = {
        "api": name,
        "server": entry["base_url"],
        "operations": [
            _operation_document(tool, extension.get(tool["name"], {}), basic)
            for tool in entry["tools"]
        ],
    }
    return parse_spec_document(document, source=source)


# The keys of an OCP tool parameter that are JSON Schema keywords (besides its own "schema").
OCP_PARAMETER_SCHEMA_KEYS = (
    "type",
    "enum",
    "format",
    "items",
    "properties",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "default",
)


def _operation_document(
    tool: Mapping[str, Any], extension: Mapping[str, Any], basic: bool
) -> dict[str, Any]:
    wire_names = extension.get("wire_names", {})
    filled = extension.get("from_credentials", {}) if basic else {}
    parameters = [
        {
            "name": param_name,
            "in": param["location"],
            # A path parameter is always required: the path cannot be made without it.
            "required": param["location"] == "path" or bool(param.get("required", False)),
            "description": str(param.get("description", "")),
            "schema": dict(
                param.get("schema")
                or {k: param[k] for k in OCP_PARAMETER_SCHEMA_KEYS if k in param}
            ),
            **({"wire_name": wire_names[param_name]} if param_name in wire_names else {}),
            **({"from_credentials": filled[param_name]} if param_name in filled else {}),
        }
        for param_name, param in tool.get("parameters", {}).items()
    ]
    operation: dict[str, Any] = {
        "name": tool["name"],
        "method": str(tool["method"]).upper(),
        "path": tool["path"],
        "description": str(tool.get("description") or ""),
        "parameters": parameters,
    }
    # OCP clients send body parameters as one JSON object.
    has_body = any(p["in"] == "body" for p in parameters)
    encoding = extension.get("body_encoding") or ("json" if has_body else None)
    if encoding:
        operation["body_encoding"] = encoding
    if extension.get("exactly_one_of"):
        operation["exactly_one_of"] = extension["exactly_one_of"]
    if tool.get("operation_id"):
        operation["operation_id"] = tool["operation_id"]
    if tool.get("tags"):
        operation["tags"] = list(tool["tags"])
    if tool.get("response_schema"):
        status = extension.get("response_status", 200)
        operation["response"] = {"status": status, "schema": tool["response_schema"]}
    return operation


_URL = {"type": "string", "pattern": "^https?://"}
_TOOLS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["name", "method", "path"],
        "properties": {"parameters": {"type": "object"}},
    },
}
# RFC 9110's token: what a header name may be.
_HEADER_NAME = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$"
_AUTH_CONFIG = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {"enum": sorted(_AUTH_TYPES)},
        "header_name": {"type": ["string", "null"], "pattern": _HEADER_NAME},
    },
    "if": {"properties": {"type": {"const": "api_key"}}},
    "then": {"required": ["header_name"], "properties": {"header_name": {"type": "string"}}},
}
# The variables an entry may name: never the library's own (Twilio's secrets, the registry).
_VARIABLE = {
    "type": "string",
    "pattern": "^[A-Z][A-Z0-9_]{0,63}$",
    "not": {"pattern": "^(TWILIO|OCP)_"},
}
_TOOL_EXTENSION = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "body_encoding": {"enum": ["form", "json"]},
        "wire_names": {"type": "object", "additionalProperties": {"type": "string"}},
        "from_credentials": {"type": "object", "additionalProperties": {"enum": ["account_sid"]}},
        "exactly_one_of": {
            "type": "array",
            "items": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        },
        "response_status": {"type": "integer", "minimum": 100, "maximum": 599},
    },
}
_TOOLS_EXTENSION = {"type": "object", "additionalProperties": _TOOL_EXTENSION}
# A registry file's extension; a registry URL's has the same tools, and its auth_env is not read.
_FILE_EXTENSION = {
    "type": "object",
    "properties": {
        "auth_env": {
            "type": "object",
            "propertyNames": {"enum": ["username", "password", "token", "key"]},
            "additionalProperties": _VARIABLE,
        },
        "tools": _TOOLS_EXTENSION,
    },
}
_REMOTE_EXTENSION = {"type": "object", "properties": {"tools": _TOOLS_EXTENSION}}
_ENTRY_PROPERTIES = {
    "description": {"type": "string"},
    "base_url": _URL,
    "spec": {"type": "string"},
    "tools": _TOOLS,
    "ocp_headers": {"type": "boolean"},
    "auth_config": _AUTH_CONFIG,
}
_FILE_SCHEMA = {
    "type": "object",
    "required": ["apis"],
    "properties": {
        "apis": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {**_ENTRY_PROPERTIES, EXTENSION: _FILE_EXTENSION},
                "oneOf": [
                    {"required": ["spec"]},
                    {"required": ["tools", "base_url"]},
                ],
            },
        }
    },
}
# A remote entry carries OCP's registry fields besides these, which are ignored.
_REMOTE_SCHEMA = {
    "type": "object",
    "required": ["base_url", "tools"],
    "properties": {**_ENTRY_PROPERTIES, EXTENSION: _REMOTE_EXTENSION},
    "not": {"required": ["spec"]},
}
_FILE_VALIDATOR = jsonschema.Draft202012Validator(_FILE_SCHEMA)
_REMOTE_VALIDATOR = jsonschema.Draft202012Validator(_REMOTE_SCHEMA)
