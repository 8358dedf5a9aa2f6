"""An API registered: found (a spec, a plugin, a registry), credentialed, its tools made and each
paired with what runs it; and the same tools without registering, for listings and catalogs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .._config import environment_of, read_environment
from .._exceptions import OCPError, SpecError
from .._running import OperationRunner, Runner
from ..http.dispatch import Dispatcher
from ..http.hosts import CredentialScope, resolve_base_url
from ..http.oauth import AccessTokens
from ..http.transport import Transport
from ..ocp.context import OCPContext
from ..ocp.plugin import APIDefinition
from ..ocp.registry import APIRegistry, plugin_definition, spec_definition
from ..payments.resource_tools import call_status_tools, message_status_tools
from ..payments.tools import payment_progress_tools
from ..sends.operations import send_kind
from ..sends.runner import SendRunner, Sends
from ..specs.model import LocalSpec, OperationSpec
from ..specs.sources import cache_root
from ..tools.index import qualified_name
from ..tools.selection import select_tools
from ..tools.tool import Tool
from .credentials import api_credentials
from .options import APIOptions, CallSettings

__all__ = ["RegisteredAPI", "Registration", "load_api", "load_tools", "register"]


@dataclass(frozen=True)
class RegisteredAPI:
    name: str
    definition: APIDefinition
    dispatcher: Dispatcher
    tools: tuple[Tool, ...]
    ocp_headers: bool = False
    # The Pay operations' StatusCallback given to register_api; else the agent's receiver is
    # used, for APIs served by Twilio.
    status_callback: str | None = None
    by_twilio: bool = False


class Registration(NamedTuple):
    api: RegisteredAPI
    # What runs each tool of the API, by tool name.
    runners: Mapping[str, Runner]
    # Where the API was found, for the context's api_specs.
    sources: tuple[str, ...]


async def register(
    options: APIOptions,
    defaults: CallSettings,
    *,
    registry_file: str | Path | None,
    registry_url: str | None,
    transport: Transport,
    context: OCPContext,
    progress: Runner,
    sends: Sends,
) -> Registration:
    """Find the API ``options`` name, make its tools and its dispatcher; the progress tools (where
    its Pay operations are) are run by ``progress``, its operations by its dispatcher, and its
    sends (createMessage, createCall) with the agent's ``sends`` ledger first."""
    name = options.name
    env = read_environment(options.environ)
    # A plugin's operations, and a registry file's specs, are cached where ``environ`` says.
    with environment_of(options.environ):
        if options.spec is not None:
            resolved = spec_definition(name, options.spec, cache_dir=cache_root())
        else:
            registry = APIRegistry(
                registry_file=registry_file or env.registry_file,
                registry_url=registry_url or env.registry_url,
                timeout=defaults.timeout,
                transport=transport,
            )
            resolved = await registry.resolve(name)
        definition = resolved.definition
        chosen = api_credentials(name, resolved, env, options.credentials)
        # No argument fills the header that carries the credentials.
        operations = _operation_tools(name, definition, chosen.credentials.header)
        progress_tools = _progress_tools(name, operations)
        tools = select_tools(
            [*operations, *progress_tools], services=options.services, tags=options.tags
        )
    env = chosen.environment
    settings = options.settings(defaults)
    explicit = options.base_url or env.base_url
    explicit = resolve_base_url(None, override=explicit) if explicit else None
    dispatcher = Dispatcher(
        credentials=chosen.credentials,
        scope=CredentialScope(
            explicit or (None if chosen.by_twilio else resolve_base_url(definition.base_url))
        ),
        base_url=explicit,
        region=options.region or env.region,
        edge=options.edge or env.edge,
        timeout=settings.timeout,
        response_validation=settings.response_validation,
        retries=settings.retries,
        max_response_bytes=settings.max_response_bytes,
        tokens=None if chosen.client is None else AccessTokens(chosen.client),
    )
    # Fail at registration, not on the first call, when the host settings are unusable.
    resolve_base_url(
        None, override=dispatcher.base_url, region=dispatcher.region, edge=dispatcher.edge
    )
    send_context = definition.ocp_headers if options.ocp_headers is None else options.ocp_headers
    operation_runner = OperationRunner(dispatcher, transport, context if send_context else None)
    # By tool name, as the runners are (None: no send); with sends off they run as the rest.
    kinds = {tool.name: send_kind(tool.spec) for tool in operations}
    send_kinds = {name: kind for name, kind in kinds.items() if kind is not None}
    runners: dict[str, Runner] = dict.fromkeys(kinds, operation_runner)
    if send_kinds and sends.on:
        send_runner = SendRunner(operation_runner, dispatcher, transport, sends, send_kinds)
        runners.update(dict.fromkeys(send_kinds, send_runner))
    runners.update((tool.name, progress) for tool in progress_tools)
    registered = RegisteredAPI(
        name,
        definition,
        dispatcher,
        tuple(tools),
        send_context,
        options.status_callback,
        chosen.by_twilio,
    )
    return Registration(registered, runners, resolved.sources)


def load_api(
    name: str = "twilio", spec: str | Path | Sequence[str | Path] | None = None
) -> tuple[APIDefinition, tuple[Tool, ...]]:
    """An installed API's definition and tools, or a spec's, without registering (no
    credentials needed): for listings and catalogs."""
    resolved = (
        spec_definition(name, spec, cache_dir=cache_root())
        if spec is not None
        else plugin_definition(name)
    )
    operations = _operation_tools(name, resolved.definition)
    return resolved.definition, (*operations, *_progress_tools(name, operations))


def load_tools(
    name: str = "twilio", spec: str | Path | Sequence[str | Path] | None = None
) -> tuple[Tool, ...]:
    """An installed API's tools, or a spec's, without registering (no credentials needed)."""
    return load_api(name, spec)[1]


def _operation_tools(
    name: str, definition: APIDefinition, credentials_header: str = ""
) -> list[Tool]:
    try:
        operations = list(definition.load_operations())
    except OCPError:
        raise
    except Exception as exc:  # a plugin's own code: its failure is a setup problem
        raise SpecError(
            f"The operations of API {name!r} failed to load: {type(exc).__name__}: {exc}"
        ) from exc
    # A LocalSpec has no operation: only the library's own tools answer in this process.
    strays = [
        type(op).__name__
        for op in operations
        if not isinstance(op, OperationSpec) or isinstance(op, LocalSpec)
    ]
    if strays:
        raise SpecError(f"API {name!r} gave {strays[0]} where OperationSpecs were expected.")
    return [
        Tool(op, api=name, name=qualified_name(op), credentials_header=credentials_header)
        for op in operations
    ]


def _progress_tools(name: str, operations: Sequence[Tool]) -> list[Tool]:
    """Where the Pay operations, createMessage or createCall are, the tools that read what
    their callbacks report are too."""
    makers = {
        "pay": payment_progress_tools,
        "message": message_status_tools,
        "call": call_status_tools,
    }
    kinds = sorted({(t.callback_kind, t.spec.service) for t in operations if t.callback_kind})
    return [tool for kind, service in kinds for tool in makers[kind](name, service, qualified_name)]
