"""OCPAgent: registered APIs, their tools, the OCP context, and the HTTP session they share."""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ._config import (
    DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_TIMEOUT,
    Environment,
    Limits,
    environment_of,
    read_credential_variables,
    read_environment,
)
from ._exceptions import (
    AmbiguousToolName,
    APINotFound,
    ArgumentError,
    ConfigurationError,
    InvalidArguments,
    OCPError,
    SpecError,
    ToolNotFound,
    TwilioAPIError,
)
from ._tracing import call_span, tracer
from .http.aiohttp_transport import AiohttpTransport
from .http.credentials import Credentials
from .http.dispatch import Attempts, Dispatcher, ResponseValidation
from .http.hosts import CredentialScope, is_twilio_host, resolve_base_url
from .http.retry import DEFAULT_RETRIES, RetryPolicy
from .http.timeout import Timeout
from .http.transport import Transport
from .ocp.context import OCPContext
from .ocp.entry_credentials import entry_credentials
from .ocp.plugin import APIDefinition
from .ocp.registry import APIRegistry, ResolvedAPI, plugin_definition, spec_definition
from .payments.receiver import (
    DEFAULT_CALLBACK_PATH,
    StatusCallbackReceiver,
    auth_token_for_signatures,
    serve_receiver,
)
from .payments.stores import MemoryProgressStore, ProgressStore, redis_progress_store
from .payments.tools import PaymentProgressTool, ProgressViews, payment_progress_tools
from .specs.model import OperationSpec
from .specs.names import API_NAME
from .specs.sources import cache_root
from .tools.compact import (
    COMPACT_NAMES,
    DEFAULT_FOUND,
    DESCRIBE_TOOL,
    FIND_TOOL,
    CompactTool,
    compact_tools,
    described,
    found,
)
from .tools.formats import INPUT_FORMATS
from .tools.index import ToolIndex, ToolSearch, qualified_name
from .tools.offer import Offer
from .tools.selection import select_tools
from .tools.tool import Tool
from .tools.validation import has_surrogate

if TYPE_CHECKING:  # the adapters are the outer ring: imported only where tools_for needs them
    from .adapters import Framework, OpenAIShape

__all__ = ["DEFAULT_MAX_IN_FLIGHT", "OCPAgent", "RegisteredAPI", "load_api", "load_tools"]

_NOTHING_OFFERED = Offer()


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


class OCPAgent:
    """An agent's view of its APIs: register them, find their tools, call them.

    One transport carries every request of the agent, the registry's included: by default an
    :class:`AiohttpTransport` (proxies from the environment, the system's CAs), or one made by
    the caller (``AiohttpTransport(25, ssl_context=...)``). Its connections are opened on the
    first call, inside the running loop, and closed by :meth:`aclose` or ``async with``, else
    when that loop shuts down (``asyncio.run`` does it on return). ``limits`` caps the requests
    on the wire at once (further calls wait their turn), the connection pool and the size of an
    answer; ``max_in_flight=`` and ``max_response_bytes=`` are shorthands for one field of it.
    ``timeout`` bounds each attempt: seconds, or a :class:`Timeout` that also bounds the
    connecting (5 s by default, so a dead host is retried soon); the retry policy's deadline
    bounds the whole call. ``context`` is the agent's OCP context; APIs registered with
    ``ocp_headers`` receive it in the OCP headers.

    ``progress_store`` keeps the payment progress that the StatusCallback receiver stores and the
    progress tools read; ``redis_url`` (else OCP_TWILIO_REDIS_URL) makes it a
    RedisProgressStore, shared with the other processes on that Redis, so that this agent's
    tools see callbacks that another process received. Default: the receiver's memory.
    """

    def __init__(
        self,
        *,
        agent_type: str = "ai_agent",
        user: str | None = None,
        workspace: str | None = None,
        agent_goal: str | None = None,
        registry_file: str | Path | None = None,
        registry_url: str | None = None,
        timeout: float | Timeout = DEFAULT_TIMEOUT,
        response_validation: ResponseValidation | str = ResponseValidation.WARN,
        retries: int | RetryPolicy = DEFAULT_RETRIES,
        limits: Limits | None = None,
        max_in_flight: int | None = None,
        max_response_bytes: int | None = None,
        transport: Transport | None = None,
        progress_store: ProgressStore | None = None,
        redis_url: str | None = None,
    ) -> None:
        self.limits = _limits(limits, max_in_flight, max_response_bytes)
        self.timeout = Timeout.of(timeout)
        self.response_validation = _validation_mode(response_validation)
        self.retries = RetryPolicy.of(retries)
        # The loop the agent last ran in, its cap of requests in flight (an asyncio.Semaphore is
        # bound to the loop it first waits in) and what closes the transport when it shuts down.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._in_flight = asyncio.Semaphore(self.limits.max_in_flight)
        self._closer: AsyncGenerator[None, None] | None = None
        self.context = OCPContext(
            agent_type=agent_type, user=user, workspace=workspace, current_goal=agent_goal
        )
        self.registry_file = registry_file
        self.registry_url = registry_url
        self._apis: dict[str, RegisteredAPI] = {}
        self._api_tools: dict[str, ToolIndex] = {}
        self._search: ToolSearch | None = None
        # get_tool's answers for names without api=, found again on every call_tool; emptied by
        # register_api, the only change to the tools.
        self._found: dict[str, Tool] = {}
        # findTwilioTool, describeTwilioTool and callTwilioTool, by the API they reach (None: all).
        self._compact: dict[str | None, dict[str, CompactTool]] = {}
        # The last list tools_for gave each framework: what a model's calls may run.
        self._offers: dict[str, Offer] = {}
        # Opens its connections on the first call, inside the running loop.
        self.transport: Transport = (
            AiohttpTransport(self.limits.pool_size) if transport is None else transport
        )
        # The receiver whose store the progress tools read; set by status_callback_receiver.
        self.receiver: StatusCallbackReceiver | None = None
        self.progress_store, self._owns_store = _progress_store(progress_store, redis_url)
        self._progress_views = ProgressViews()

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
        await self.transport.close()
        if self._owns_store and isinstance(self.progress_store, _Closable):
            await self.progress_store.aclose()

    @property
    def max_in_flight(self) -> int:
        return self.limits.max_in_flight

    @property
    def max_response_bytes(self) -> int:
        return self.limits.max_response_bytes

    async def _enter_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Per-loop state for ``loop``, the running one, where the agent has not run before.

        The transport's connections belong to this loop, so they are closed when it shuts down:
        an async generator the loop knows of (its first step registers it) is closed by
        ``loop.shutdown_asyncgens()``, which asyncio.run calls, and its ``finally`` closes the
        transport. Without it, the seed's usage (no ``async with``, no ``aclose()``) warns of an
        unclosed client session at exit. Garbage-collecting the agent closes it too.
        """
        self._loop = loop
        self._in_flight = asyncio.Semaphore(self.limits.max_in_flight)
        self._closer = _closes_at_loop_end(self.transport)
        await anext(self._closer)

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
        timeout: float | Timeout | None = None,
        response_validation: ResponseValidation | str | None = None,
        ocp_headers: bool | None = None,
        environ: Mapping[str, str] | None = None,
        retries: int | RetryPolicy | None = None,
        max_response_bytes: int | None = None,
        status_callback: str | None = None,
        token: str | None = None,
        credential_variables: Mapping[str, str] | None = None,
    ) -> RegisteredAPI:
        """Make an API's tools callable under ``name``.

        The name is looked up in the installed plugins, then the registry file, then the
        registry URL (the agent's, else OCP_REGISTRY_FILE / OCP_REGISTRY_URL of ``environ``).
        With ``spec`` the name is only a label and nothing is looked up, so one spec can be
        registered under several names, each with its own host and credentials. ``spec`` is a
        file or folder (or a list of them) of OpenAPI 3.0 descriptions or the project's YAML
        specs; converted ones are cached under ``$OCP_TWILIO_CACHE_DIR`` or the user cache
        directory. ``services`` and ``tags`` keep only the operations of those services
        (``api_v2010``, ``messaging_v1``) or with one of those tags.

        Credentials, base URL, region and edge come from the arguments, else, for Twilio's own
        API (the plugin, or a spec of Twilio's hosts), from the TWILIO_* variables of ``environ``
        (default: the process environment); tools a registry defines get only the credentials
        passed here. Every request is checked before it is sent: credentials go only over https
        to Twilio's hosts, or to the base URL named here (or in TWILIO_BASE_URL), or to another
        API's own host. ``ocp_headers`` overrides whether calls carry the OCP context headers
        (default: as the API's definition says; off for Twilio, which is no OCP server).

        ``credential_variables`` fills credential arguments from variables of ``environ`` that
        you name (``{"token": "ACME_TOKEN"}``; keys: account_sid, auth_token, api_key,
        api_secret, token), each of which must be set.

        An API a registry entry defines takes what its ``auth_config`` names: nothing, HTTP
        Basic (the arguments above), a bearer ``token``, or an API key (``api_key``) in its
        header. Only you choose the values: an entry of a registry file (yours) may name the
        variables that hold them (never TWILIO_* ones), an entry from a registry URL never does.
        See the reference.

        ``status_callback`` is the URL createPayments and updatePayments send as StatusCallback,
        filled in by the library and no longer an argument of the model; without it an API
        served by Twilio uses the agent's receiver while one runs (see serve_status_callbacks).
        """
        given = _credential_arguments(
            {
                "account_sid": account_sid,
                "auth_token": auth_token,
                "api_key": api_key,
                "api_secret": api_secret,
                "token": token,
            },
            credential_variables,
            environ,
        )
        _check_text_options(
            name=name, base_url=base_url, region=region, edge=edge, status_callback=status_callback
        )
        if not API_NAME.fullmatch(name):
            raise ConfigurationError(
                f"API name {name!r} must match OCP's pattern ^{API_NAME.pattern}$ (letters, "
                "digits, '_' and '-'), as the context's api_specs names it."
            )
        if status_callback is not None and not _is_http_url(status_callback):
            raise ConfigurationError(
                f"status_callback must be an absolute http(s) URL, not {status_callback!r}."
            )
        if (loop := asyncio.get_running_loop()) is not self._loop:
            await self._enter_loop(loop)
        env = read_environment(environ)
        # A plugin's operations, and a registry file's specs, are cached where ``environ`` says.
        with environment_of(environ):
            if spec is not None:
                resolved = spec_definition(name, spec, cache_dir=cache_root())
            else:
                registry = APIRegistry(
                    registry_file=self.registry_file or env.registry_file,
                    registry_url=self.registry_url or env.registry_url,
                    timeout=self.timeout,
                    transport=self.transport,
                )
                resolved = await registry.resolve(name)
            definition = resolved.definition
            # Twilio's secrets and host settings must never reach another API's server, nor
            # tools that a registry defines (it may claim to be Twilio).
            by_twilio = is_twilio_host(definition.base_url)
            twilio_env = by_twilio and not resolved.from_registry
            env = env if twilio_env else Environment()
            credentials = _credentials(name, resolved, env, given, by_twilio, twilio_env)
            # No argument fills the header that carries the credentials.
            tools = _tools_of(name, definition, services, tags, credentials.header)
        explicit = base_url or env.base_url
        explicit = resolve_base_url(None, override=explicit) if explicit else None
        dispatcher = Dispatcher(
            credentials=credentials,
            scope=CredentialScope(
                explicit or (None if by_twilio else resolve_base_url(definition.base_url))
            ),
            base_url=explicit,
            region=region or env.region,
            edge=edge or env.edge,
            timeout=self.timeout if timeout is None else Timeout.of(timeout),
            response_validation=_validation_mode(response_validation or self.response_validation),
            retries=self.retries if retries is None else RetryPolicy.of(retries),
            max_response_bytes=max_response_bytes or self.max_response_bytes,
        )
        # Fail at registration, not on the first call, when the host settings are unusable.
        resolve_base_url(
            None, override=dispatcher.base_url, region=dispatcher.region, edge=dispatcher.edge
        )
        send_context = definition.ocp_headers if ocp_headers is None else ocp_headers
        registered = RegisteredAPI(
            name, definition, dispatcher, tools, send_context, status_callback, by_twilio
        )
        # First: it refuses names whose api_specs keys another API holds, before any change.
        self.context.add_api(name, resolved.sources)
        return self._install(registered)

    def status_callback_receiver(
        self,
        public_url: str | None = None,
        *,
        path: str = DEFAULT_CALLBACK_PATH,
        auth_token: str | None = None,
        store: ProgressStore | None = None,
        trust_forwarded: bool | int = False,
        environ: Mapping[str, str] | None = None,
    ) -> StatusCallbackReceiver:
        """The receiver the progress tools read from, to add to your own aiohttp application
        (``app.add_routes(receiver.routes())``); ``public_url`` is where Twilio reaches it.

        Signatures are checked with ``auth_token``, else TWILIO_AUTH_TOKEN of ``environ``: the
        account's Auth Token, needed also when the REST calls use an API key. ``store`` keeps
        the progress (default: the agent's progress_store, else this process's memory).
        ``trust_forwarded``: how many proxies of yours stand in front of the receiver (``True``:
        one); the signed URL's scheme and host are then the X-Forwarded-Proto and
        X-Forwarded-Host values the outermost of them added, never those a client sent ahead.
        Registered APIs served by Twilio
        without a status_callback of their own then send the receiver's URL.
        """
        # Not `store or ...`: an empty MemoryProgressStore is falsy (it has a length).
        if store is None:
            store = self.progress_store
        if store is None:
            store = MemoryProgressStore()
        receiver = StatusCallbackReceiver(
            auth_token=auth_token_for_signatures(auth_token, environ),
            store=store,
            path=path,
            public_url=public_url,
            trust_forwarded=trust_forwarded,
        )
        self._use_receiver(receiver)
        return receiver

    @asynccontextmanager
    async def serve_status_callbacks(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        public_url: str | None = None,
        *,
        path: str = DEFAULT_CALLBACK_PATH,
        auth_token: str | None = None,
        store: ProgressStore | None = None,
        trust_forwarded: bool | int = False,
        environ: Mapping[str, str] | None = None,
    ) -> AsyncIterator[StatusCallbackReceiver]:
        """Serve the receiver on ``host:port`` (0: a free port) for the block; ``receiver.url``
        is the URL Twilio must call: ``public_url`` (where a tunnel or proxy forwards to this
        server) and ``path``, or the address served on. The other arguments are those of
        :meth:`status_callback_receiver`."""
        receiver = self.status_callback_receiver(
            public_url,
            path=path,
            auth_token=auth_token,
            store=store,
            trust_forwarded=trust_forwarded,
            environ=environ,
        )
        try:
            async with serve_receiver(receiver, host, port):
                self._use_receiver(receiver)  # its URL is known now
                yield receiver
        finally:
            if self.receiver is receiver:
                self._use_receiver(None)

    def _use_receiver(self, receiver: StatusCallbackReceiver | None) -> None:
        self.receiver = receiver
        for registered in list(self._apis.values()):
            self._install(registered)

    def _install(self, registered: RegisteredAPI) -> RegisteredAPI:
        """Make ``registered`` the API of its name, its Pay tools owning StatusCallback where a
        URL is known for them."""
        url = registered.status_callback
        receiver = self.receiver
        if url is None and registered.by_twilio and receiver and receiver.public_url:
            url = receiver.url
        tools = tuple(tool.with_status_callback(url) for tool in registered.tools)
        if self._apis.get(registered.name) is registered and tools == registered.tools:
            return registered
        registered = replace(registered, tools=tools)
        self._found.clear()
        self._apis[registered.name] = registered
        self._api_tools[registered.name] = ToolIndex(tools)
        self._search = None
        return registered

    def list_tools(self, api: str | None = None) -> list[Tool]:
        if api is not None:
            return self._api_index(api).tools()
        return [tool for index in self._api_tools.values() for tool in index.tools()]

    def compact_tools(self, api: str | None = None) -> list[Tool]:
        """findTwilioTool, describeTwilioTool and callTwilioTool, through which a model reaches
        every tool of ``api`` (or of every registered API) with a tool list under 1,000 tokens.

        They are Tools like the others, for any adapter; ``call_tool`` answers them, and
        callTwilioTool calls the tool it names through ``call_tool`` itself: the same
        validation, idempotency, retries and error results as a direct call. A model reaches
        them only where they were offered (``tools_for(..., compact=True)``, or this list given
        to an adapter or a result helper), and then every tool of ``api``, whatever else the
        offer narrowed.
        """
        return list(self._compact_of(api).values())

    def _compact_of(self, api: str | None) -> dict[str, CompactTool]:
        if api is not None:
            self._api_index(api)  # an unknown API fails here, with close names
        tools = self._compact.get(api)
        if tools is None:
            tools = self._compact[api] = {tool.name: tool for tool in compact_tools(api)}
        return tools

    def get_tool(self, name: str, *, api: str | None = None) -> Tool:
        """The tool called ``name``; ``api`` tells apart the tools of one spec registered twice."""
        if name in COMPACT_NAMES:
            return self._compact_of(api or None)[name]  # a compact tool of every API has api ""
        if api is not None:
            return self._api_index(api).get(name)
        found = self._found.get(name)
        if found is not None:
            return found
        owners = [a for a, index in self._api_tools.items() if name in index]
        if len(owners) > 1:
            raise AmbiguousToolName(name, [f"{name} with api={a!r}" for a in owners])
        if not owners:
            known = [n for index in self._api_tools.values() for n in index.names()]
            raise ToolNotFound(name, difflib.get_close_matches(name, known, n=3, cutoff=0.6))
        found = self._api_tools[owners[0]].get(name)
        self._found[name] = found
        return found

    def search_tools(self, query: str, limit: int = 10, *, api: str | None = None) -> list[Tool]:
        """Tools ranked for ``query`` (of one API, or all): an everyday request ("send a text",
        "buy a phone number") is matched to the operations' verbs, names, tags, paths and
        descriptions; see :mod:`ocp_twilio.tools.search`."""
        if api is not None:
            return self._api_index(api).search(query, limit)
        if self._search is None:
            self._search = ToolSearch(self.list_tools())
        return self._search.search(query, limit)

    def tools_for(
        self,
        framework: Framework,
        *,
        services: Iterable[str] = (),
        tags: Iterable[str] = (),
        names: Iterable[str] = (),
        strict: bool = False,
        shape: OpenAIShape = "chat",
        api: str | None = None,
        compact: bool = False,
    ) -> list[dict[str, Any]]:
        """The registered tools (of ``api``, or all) as ``framework`` ("openai", "anthropic",
        "mcp") declares them.

        ``services``, ``tags`` and ``names`` narrow the list; ``strict`` and ``shape``
        ("chat" or "responses") apply to OpenAI only. See :mod:`ocp_twilio.adapters`. A model
        cannot tell apart two tools of one name: where registered APIs share tool names, choose
        one with ``api`` (the result helper then knows which, from the offer).

        ``compact=True`` gives :meth:`compact_tools` instead, which reach every tool; then
        ``services``, ``tags`` and ``names`` choose tools listed beside them (none by default;
        ``tags=["pay"]`` keeps the Pay operations and their progress tools at hand).

        The list is the model's offer: the agent remembers the last one per framework, and
        ``openai_tool_result`` and ``anthropic_tool_result`` run only the tools in it (see
        :meth:`offer_for`). One agent serving models with different lists passes each list to
        the helper as ``offered=`` instead.
        """
        services, tags, names = tuple(services), tuple(tags), tuple(names)
        beside = not compact or bool(services or tags or names)
        chosen = (
            select_tools(self.list_tools(api), services=services, tags=tags, names=names)
            if beside
            else []
        )
        if compact:
            chosen = [*self.compact_tools(api), *chosen]
        offer = Offer(chosen)
        from .adapters import tool_definitions

        definitions = tool_definitions(chosen, framework, strict=strict, shape=shape)
        self._offers[framework] = offer
        return definitions

    def offer_for(self, framework: str) -> Offer:
        """The tools :meth:`tools_for` last listed for ``framework``: the only ones the
        framework's result helper runs for a model (empty before any list)."""
        return self._offers.get(framework, _NOTHING_OFFERED)

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        api: str | None = None,
        timeout: float | None = None,
        tool_call_id: str | None = None,
    ) -> Any:
        """Validate ``arguments``, call the tool's operation and return the checked JSON result.

        Any registered tool (or compact tool) is callable here: the caller is the application,
        which is trusted. A model's calls go through a result helper or an adapter instead, which
        runs only the tools that model was offered.

        The call, and how it ended, is added to the context's history (never its arguments).
        With opentelemetry-api installed the call is a span (see :mod:`ocp_twilio._tracing`);
        ``tool_call_id`` is the model's id for the call, which the span carries.
        """
        tool = self.get_tool(name, api=api)
        if isinstance(tool, CompactTool):
            arguments = {} if arguments is None else arguments
            return await self._answer_compact(tool, arguments, timeout, tool_call_id)
        traces = tracer()
        if traces is None:
            return await self._call(tool, arguments, timeout, None)
        with call_span(traces, tool, tool_call_id) as attempts:
            return await self._call(tool, arguments, timeout, attempts)

    async def _call(
        self,
        tool: Tool,
        arguments: Mapping[str, Any] | None,
        timeout: float | None,
        attempts: Attempts | None,
    ) -> Any:
        registered = self._apis[tool.api]
        headers = self.context.headers() if registered.ocp_headers else None
        endpoint = tool.endpoint
        given = {} if arguments is None else arguments  # [] or "" must fail as "not an object"
        if (loop := asyncio.get_running_loop()) is not self._loop:
            await self._enter_loop(loop)
        try:
            if isinstance(tool, PaymentProgressTool):
                store = self.receiver.store if self.receiver is not None else self.progress_store
                result = await tool.run(given, store, self._progress_views)
            else:
                result = await registered.dispatcher.call(
                    self.transport,
                    tool,
                    given,
                    timeout=timeout,
                    headers=headers,
                    in_flight=self._in_flight,
                    attempts=attempts,
                )
        except BaseException as exc:
            status = exc.status if isinstance(exc, TwilioAPIError) else None
            self.context.record_call(tool.name, tool.api, endpoint, type(exc).__name__, status)
            raise
        self.context.record_call(tool.name, tool.api, endpoint, "success")
        return result

    async def _answer_compact(
        self,
        tool: CompactTool,
        arguments: Mapping[str, Any],
        timeout: float | None,
        tool_call_id: str | None,
    ) -> Any:
        """find, describe or call; not recorded in the context's history, the call it makes is."""
        tool.validate(arguments)
        if tool.name == FIND_TOOL:
            limit = arguments.get("limit", DEFAULT_FOUND)
            return found(self.search_tools(arguments["query"], limit, api=tool.scope))
        name = arguments["name"]
        if name in COMPACT_NAMES:
            problem = f"names {name} itself; give a tool name that {FIND_TOOL} found"
            raise InvalidArguments(tool.name, [ArgumentError(("name",), problem)])
        try:
            target = self.get_tool(name, api=tool.scope)
        except AmbiguousToolName:
            raise
        except ToolNotFound as exc:
            raise ToolNotFound(
                name,
                exc.suggestions,
                f"{exc} Find the tool's name with {FIND_TOOL} (the task in a few words), then "
                f"{DESCRIBE_TOOL} it.",
            ) from None
        if tool.name == DESCRIBE_TOOL:
            return described(target)
        return await self.call_tool(
            target.name,
            arguments.get("arguments", {}),
            api=target.api,
            timeout=timeout,
            tool_call_id=tool_call_id,
        )

    def _api_index(self, api: str) -> ToolIndex:
        index = self._api_tools.get(api)  # one lookup: this runs on every call_tool
        if index is None:
            raise APINotFound(api, difflib.get_close_matches(api, self._api_tools))
        return index


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
    return resolved.definition, _tools_of(name, resolved.definition)


def load_tools(
    name: str = "twilio", spec: str | Path | Sequence[str | Path] | None = None
) -> tuple[Tool, ...]:
    """An installed API's tools, or a spec's, without registering (no credentials needed)."""
    return load_api(name, spec)[1]


def _tools_of(
    name: str,
    definition: APIDefinition,
    services: Sequence[str] | None = None,
    tags: Sequence[str] | None = None,
    credentials_header: str = "",
) -> tuple[Tool, ...]:
    try:
        operations = list(definition.load_operations())
    except OCPError:
        raise
    except Exception as exc:  # a plugin's own code: its failure is a setup problem
        raise SpecError(
            f"The operations of API {name!r} failed to load: {type(exc).__name__}: {exc}"
        ) from exc
    strays = [type(op).__name__ for op in operations if not isinstance(op, OperationSpec)]
    if strays:
        raise SpecError(f"API {name!r} gave {strays[0]} where OperationSpecs were expected.")
    tools = [
        Tool(op, api=name, name=qualified_name(op), credentials_header=credentials_header)
        for op in operations
    ]
    # Where the Pay operations are, the tools that read their progress are too.
    pay_services = sorted({t.spec.service for t in tools if t.takes_status_callback})
    for service in pay_services:
        tools += payment_progress_tools(name, service, qualified_name)
    return tuple(select_tools(tools, services=services, tags=tags))


@runtime_checkable
class _Closable(Protocol):
    async def aclose(self) -> None: ...


def _progress_store(
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
    _check_text_options(redis_url=redis_url)
    url = redis_url or read_environment().redis_url
    return (redis_progress_store(url), True) if url else (None, False)


def _credential_arguments(
    arguments: Mapping[str, str | None],
    variables: Mapping[str, str] | None,
    environ: Mapping[str, str] | None,
) -> dict[str, str | None]:
    """register_api's credential arguments, those it was given as variables (credential_variables)
    filled in; each checked as text."""
    _check_text_options(**arguments)
    if variables is None:
        return dict(arguments)
    from_variables = read_credential_variables(variables, environ)
    twice = [key for key in from_variables if arguments.get(key)]
    if twice:
        raise ConfigurationError(
            f"{twice[0]}= is given both as an argument and in credential_variables; keep one."
        )
    _check_text_options(
        **{f"{variables[key]} (for {key}=)": value for key, value in from_variables.items()}
    )
    return {**arguments, **from_variables}


def _credentials(
    name: str,
    resolved: ResolvedAPI,
    env: Environment,
    given: Mapping[str, str | None],
    by_twilio: bool,
    twilio_env: bool,
) -> Credentials:
    """As the registry entry's auth_config asks, else HTTP Basic."""
    if resolved.auth is not None:
        return entry_credentials(
            name, resolved.auth, given, source=resolved.source, twilio=by_twilio
        )
    if given.get("token"):
        raise ConfigurationError(
            f"token= is for APIs whose registry entry asks for a bearer token; {name!r} "
            "takes HTTP Basic (account_sid= with auth_token=, or api_key= with api_secret=)."
        )
    return _basic_credentials(name, env, given, by_twilio, twilio_env, resolved)


def _basic_credentials(
    name: str,
    env: Environment,
    given: Mapping[str, str | None],
    by_twilio: bool,
    twilio_env: bool,
    resolved: ResolvedAPI,
) -> Credentials:
    """HTTP Basic from the arguments, then (for Twilio's own API only) the TWILIO_* variables."""
    try:
        return Credentials.from_env(
            env,
            account_sid=given["account_sid"],
            auth_token=given["auth_token"],
            api_key=given["api_key"],
            api_secret=given["api_secret"],
            twilio=by_twilio,
        )
    except ConfigurationError:
        if twilio_env:
            raise
        why = (
            f"is served by {resolved.definition.base_url}, not by Twilio"
            if not by_twilio
            else f"is defined by the registry at {resolved.source}"
        )
        raise ConfigurationError(
            f"API {name!r} {why}, so the TWILIO_* variables are not used for it: pass its "
            "credentials to register_api (account_sid= with auth_token=, or api_key= with "
            "api_secret=)."
        ) from None


def _limits(
    limits: Limits | None, max_in_flight: int | None, max_response_bytes: int | None
) -> Limits:
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


async def _closes_at_loop_end(transport: Transport) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await transport.close()


def _is_http_url(url: str) -> bool:
    return INPUT_FORMATS.conforms(url, "http-url")


def _check_text_options(**options: object) -> None:
    """Options that are text must be text: other values would fail deep in URL handling."""
    for option, value in options.items():
        if value is not None and not isinstance(value, str):
            raise ConfigurationError(f"{option} must be text, not {type(value).__name__}.")
        if isinstance(value, str) and not value.isascii() and has_surrogate(value):
            raise ConfigurationError(f"{option} holds an unpaired surrogate; it cannot be sent.")


def _validation_mode(value: ResponseValidation | str) -> ResponseValidation:
    try:
        return ResponseValidation(value)
    except ValueError:
        choices = ", ".join(m.value for m in ResponseValidation)
        raise ConfigurationError(
            f"response_validation must be one of {choices}, not {value!r}."
        ) from None
