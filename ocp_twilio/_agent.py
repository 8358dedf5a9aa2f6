"""OCPAgent: registered APIs, their tools, the OCP context, and the HTTP session they share.

The agent coordinates: registration (``registration/``), the catalog of tools and what runs
them (``_catalog``, ``_running``), the StatusCallback receiver and the transport's life cycle.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ._catalog import ToolCatalog
from ._config import DEFAULT_RESULT_TOKENS, DEFAULT_TIMEOUT, Limits, read_environment
from ._exceptions import (
    ArgumentError,
    ConfigurationError,
    InvalidArguments,
    ResponseValidationError,
    TransportError,
    TwilioAPIError,
)
from ._running import Call, ProgressRunner, Runner
from ._tracing import call_span, tracer
from .http.aiohttp_transport import AiohttpTransport
from .http.dispatch import ResponseValidation
from .http.retry import DEFAULT_RETRIES, RetryPolicy
from .http.timeout import Timeout
from .http.transport import Transport
from .ocp.context import OCPContext
from .payments.kinds import PAY
from .payments.receiver import (
    DEFAULT_CALLBACK_PATH,
    StatusCallbackReceiver,
    auth_token_for_signatures,
    serve_receiver,
)
from .payments.stores import MemoryProgressStore, ProgressStore
from .policy.approval import ApprovalRequest, Approver
from .policy.audit import AuditLog
from .policy.guard import PolicyGuard
from .policy.rules import Policy
from .registration.apis import RegisteredAPI, register
from .registration.options import (
    APIOptions,
    CallSettings,
    agent_limits,
    progress_store_of,
    validation_mode,
)
from .sends.runner import SendSettings, sends_of
from .tools.offer import Offer
from .tools.paging import CURSOR, LIMIT, NEXT_CURSOR
from .tools.tool import Tool

if TYPE_CHECKING:  # the adapters are the outer ring: imported only where tools_for needs them
    from .adapters import Framework, OpenAIShape

__all__ = ["OCPAgent"]


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

    ``policy`` is the operator's: what the tools may do, whatever asks (see :meth:`use_policy`);
    ``approver`` answers the approvals it asks for, where no framework's own approval step does.

    ``sends`` (a :class:`SendSettings`) keeps createMessage and createCall from going out twice
    by accident: an identical send within its window (10 minutes) is refused unless it carries
    a new ``SendKey``, and a send whose outcome is unknown is looked up, not repeated (see
    docs/sends.md). Its ledger is shared through the same Redis as the progress store.

    ``result_tokens`` bounds what a model reads of one result through the adapters, MCP and
    the result helpers (default 4,000): links and nulls dropped, the records cut with a note
    and a cursor for the rest. :meth:`call_tool` returns the whole answer.
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
        policy: Policy | str | Path | None = None,
        approver: Approver | None = None,
        result_tokens: int = DEFAULT_RESULT_TOKENS,
        sends: SendSettings | None = None,
    ) -> None:
        self.limits = agent_limits(limits, max_in_flight, max_response_bytes)
        self.result_tokens = _checked_budget(result_tokens)
        self.timeout = Timeout.of(timeout)
        self.response_validation = validation_mode(response_validation)
        self.retries = RetryPolicy.of(retries)
        # The loop the agent last ran in, its cap of requests in flight (an asyncio.Semaphore is
        # bound to the loop it first waits in) and what closes the transport when it shuts down.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._in_flight = asyncio.Semaphore(self.limits.max_in_flight)
        self._plain_call = Call(None, None, None, self._in_flight)
        self._closer: AsyncGenerator[None, None] | None = None
        self.context = OCPContext(
            agent_type=agent_type, user=user, workspace=workspace, current_goal=agent_goal
        )
        self.registry_file = registry_file
        self.registry_url = registry_url
        self._apis: dict[str, RegisteredAPI] = {}
        self._catalog = ToolCatalog(self)
        # Opens its connections on the first call, inside the running loop.
        self.transport: Transport = (
            AiohttpTransport(self.limits.pool_size) if transport is None else transport
        )
        # The receiver whose store the progress tools read; set by status_callback_receiver.
        self.receiver: StatusCallbackReceiver | None = None
        self.progress_store, self._owns_store = progress_store_of(progress_store, redis_url)
        self._progress = ProgressRunner(self._progress_store_now)
        # createMessage and createCall: the ledger of recent sends, on the same Redis if any.
        self._sends = sends_of(sends, redis_url or read_environment().redis_url)
        # Every decision of the policy, newest last (bounded).
        self.audit = AuditLog()
        self._guard: PolicyGuard | None = None
        self._approver = approver
        if policy is not None:
            self._guard = PolicyGuard(_policy_of(policy), approver, self.audit)

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
        if self._sends.owned and isinstance(self._sends.ledger, _Closable):
            await self._sends.ledger.aclose()

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
        self._plain_call = Call(None, None, None, self._in_flight)
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
        client_id: str | None = None,
        client_secret: str | None = None,
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
        api_secret, token, client_id, client_secret), each of which must be set.

        ``token`` is a bearer token sent on every request of the API. ``client_id`` with
        ``client_secret`` (else TWILIO_CLIENT_ID and TWILIO_CLIENT_SECRET, where no Basic secret
        is set) are a Twilio OAuth app's client credentials: an access token is fetched from
        Twilio's token endpoint when a call first needs it, kept until shortly before it
        expires, and fetched again once when a call is refused with 401. Operations whose spec
        asks for a bearer token (Twilio's Organizations API) need one of these; operations whose
        spec's security is empty are sent without credentials.

        An API a registry entry defines takes what its ``auth_config`` names: nothing, HTTP
        Basic (the arguments above), a bearer ``token``, or an API key (``api_key``) in its
        header. Only you choose the values: an entry of a registry file (yours) may name the
        variables that hold them (never TWILIO_* ones), an entry from a registry URL never does.
        See the reference.

        ``status_callback`` is the URL createPayments and updatePayments send as StatusCallback,
        filled in by the library and no longer an argument of the model; without it an API
        served by Twilio uses the agent's receiver while one runs (see serve_status_callbacks).
        """
        options = APIOptions(
            name,
            spec=spec,
            services=services,
            tags=tags,
            base_url=base_url,
            region=region,
            edge=edge,
            credentials={
                "account_sid": account_sid,
                "auth_token": auth_token,
                "api_key": api_key,
                "api_secret": api_secret,
                "token": token,
                "client_id": client_id,
                "client_secret": client_secret,
            },
            credential_variables=credential_variables,
            timeout=timeout,
            response_validation=response_validation,
            retries=retries,
            max_response_bytes=max_response_bytes,
            ocp_headers=ocp_headers,
            environ=environ,
            status_callback=status_callback,
        )
        if (loop := asyncio.get_running_loop()) is not self._loop:
            await self._enter_loop(loop)
        defaults = CallSettings(
            self.timeout, self.response_validation, self.retries, self.max_response_bytes
        )
        registered, runners, sources = await register(
            options,
            defaults,
            registry_file=self.registry_file,
            registry_url=self.registry_url,
            transport=self.transport,
            context=self.context,
            progress=self._progress,
            sends=self._sends,
        )
        # First: it refuses names whose api_specs keys another API holds, before any change.
        self.context.add_api(name, sources)
        return self._install(registered, runners)

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

    @property
    def approver(self) -> Approver | None:
        """The operator's approver (given here or to :meth:`use_policy`): it answers the
        approvals the policy asks for where no framework's own approval step does."""
        return self._approver

    @property
    def policy(self) -> Policy | None:
        """The operator's policy in force (None: every tool runs as called)."""
        return self._guard.policy if self._guard is not None else None

    def use_policy(
        self, policy: Policy | str | Path | None, *, approver: Approver | None = None
    ) -> None:
        """Put ``policy`` (a Policy, or a YAML or TOML file's path) in force for every call,
        whatever the way in: ``call_tool``, the adapters, callTwilioTool, MCP, the CLI.

        Call it after registering the APIs: a rule that selects none of their tools is a
        PolicyError naming it. Pinned arguments leave the tools' schemas at once. ``approver``
        (default: the agent's) answers the approvals the policy asks for; without one, and
        without a framework's own approval step, such a call is refused. None lifts the policy.
        """
        if approver is not None:
            self._approver = approver
        if policy is None:
            self._guard = None
        else:
            guard = PolicyGuard(_policy_of(policy), self._approver, self.audit)
            tools = self._catalog.tools()
            if tools:  # else on the first call, as a policy given to the constructor
                guard.match(tools, self._catalog.compact())
            self._guard = guard
        for registered in list(self._apis.values()):
            self._install(registered)

    def approval_request(
        self, name: str, arguments: Mapping[str, Any] | None, *, api: str | None = None
    ) -> ApprovalRequest | None:
        """The approval a call of ``name`` with ``arguments`` would ask for (None: it runs, or is
        refused, without one): for a framework's approval step, which asks before the tool
        runs. callTwilioTool's is that of the tool it names."""
        if self._guard is None:
            return None
        tool, runner = self._catalog.lookup(name, api)
        return self._guard.preview(tool, runner, arguments or {})

    def _use_receiver(self, receiver: StatusCallbackReceiver | None) -> None:
        self.receiver = receiver
        for registered in list(self._apis.values()):
            self._install(registered)

    def _install(
        self, registered: RegisteredAPI, runners: Mapping[str, Runner] | None = None
    ) -> RegisteredAPI:
        """Make ``registered`` the API of its name (run by ``runners``; None: as before), its
        Pay, createMessage and createCall tools owning StatusCallback where a URL is known for
        them: the API's own status_callback (Pay's), else the running receiver's of their kind."""
        receiver = self.receiver
        serving = registered.by_twilio and receiver is not None and receiver.public_url is not None

        def url_of(tool: Tool) -> str | None:
            kind = tool.callback_kind
            if kind == PAY and registered.status_callback is not None:
                return registered.status_callback
            if kind is None or not serving or receiver is None:
                return None
            return receiver.url_for(kind)

        guard = self._guard
        tools = tuple(
            tool.owned(url_of(tool), guard.pins_for(tool) if guard is not None else {})
            for tool in registered.tools
        )
        if self._apis.get(registered.name) is registered and tools == registered.tools:
            return registered
        registered = replace(registered, tools=tools)
        self._apis[registered.name] = registered
        self._catalog.install(registered.name, tools, runners)
        if guard is not None:
            guard.forget()
        return registered

    def _progress_store_now(self) -> ProgressStore | None:
        """Where the progress tools read: the running receiver's store, else the agent's."""
        return self.receiver.store if self.receiver is not None else self.progress_store

    def list_tools(self, api: str | None = None) -> list[Tool]:
        return self._catalog.tools(api)

    def model_tools(self, api: str | None = None) -> list[Tool]:
        """The registered tools (of ``api``, or all) a model may be offered: all but those the
        operator's policy refuses whatever the arguments. The adapters offer these by default."""
        tools = self._catalog.tools(api)
        return tools if self._guard is None else [t for t in tools if self.offers(t)]

    def offers(self, tool: Tool) -> bool:
        """Whether a model may be offered ``tool``: the operator's policy does not refuse it
        whatever the arguments."""
        return self._guard is None or not self._guard.refuses(tool)

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
        return self._catalog.compact(api)

    def get_tool(self, name: str, *, api: str | None = None) -> Tool:
        """The tool called ``name``; ``api`` tells apart the tools of one spec registered twice."""
        return self._catalog.lookup(name, api)[0]

    def search_tools(self, query: str, limit: int = 10, *, api: str | None = None) -> list[Tool]:
        """Tools ranked for ``query`` (of one API, or all): an everyday request ("send a text",
        "buy a phone number") is matched to the operations' verbs, names, tags, paths and
        descriptions; see :mod:`ocp_twilio.tools.search`."""
        return self._catalog.search(query, limit, api=api)

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

        Tools the operator's policy refuses whatever the arguments are left out. The list is the
        model's offer: the agent remembers the last one per framework, and
        ``openai_tool_result`` and ``anthropic_tool_result`` run only the tools in it (see
        :meth:`offer_for`). One agent serving models with different lists passes each list to
        the helper as ``offered=`` instead.
        """
        offer = self._catalog.offer(api, services, tags, names, compact=compact)
        if self._guard is not None:  # one the policy always refuses is no use
            offer = Offer(tool for tool in offer.tools if self.offers(tool))
        from .adapters import tool_definitions

        definitions = tool_definitions(offer.tools, framework, strict=strict, shape=shape)
        self._catalog.remember_offer(framework, offer)
        return definitions

    def offer_for(self, framework: str) -> Offer:
        """The tools :meth:`tools_for` last listed for ``framework``: the only ones the
        framework's result helper runs for a model (empty before any list)."""
        return self._catalog.offer_for(framework)

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        api: str | None = None,
        timeout: float | None = None,
        tool_call_id: str | None = None,
        approver: Approver | None = None,
    ) -> Any:
        """Validate ``arguments``, call the tool's operation and return the checked JSON result.

        Any registered tool (or compact tool) is callable here: the caller is the application,
        which is trusted. A model's calls go through a result helper or an adapter instead, which
        runs only the tools that model was offered. The operator's policy, where one is in
        force, decides every call first (CallRefused: nothing was sent); ``approver`` answers
        this call's approval instead of the agent's (the adapters' framework approval steps).

        The call, and how it ended, is added to the context's history (never its arguments).
        With opentelemetry-api installed the call is a span (see :mod:`ocp_twilio._tracing`);
        ``tool_call_id`` is the model's id for the call, which the span carries.
        """
        # 1. Look up: the tool, and the runner its kind was paired with at registration.
        tool, runner = self._catalog.lookup(name, api)
        given = {} if arguments is None else arguments  # [] or "" must fail as "not an object"
        if (loop := asyncio.get_running_loop()) is not self._loop:
            await self._enter_loop(loop)
        call = self._plain_call  # one per loop, for the calls with no settings of their own
        if timeout is not None or tool_call_id is not None or approver is not None:
            call = Call(timeout, tool_call_id, None, self._in_flight, approver)
        # 2. Check, 3. run, and 4. record (the context's history and the span). The check is
        #    the operator's policy (allow, pins, limits, approval), in _guarded_run.
        if not runner.recorded:
            if self._guard is None:
                return await runner.run(tool, given, call)
            return await self._guarded_run(self._guard, tool, runner, given, call)
        traces = tracer()
        if traces is None:
            return await self._run_recorded(tool, runner, given, call)
        with call_span(traces, tool, tool_call_id) as attempts:
            call = Call(call.timeout, call.tool_call_id, attempts, call.in_flight, call.approver)
            return await self._run_recorded(tool, runner, given, call)

    async def records(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        api: str | None = None,
        timeout: float | None = None,
    ) -> AsyncIterator[Any]:
        """The records of a list tool (listMessage, listConversation...), page after page, for
        as long as the caller reads: ``async for message in agent.records("listMessage",
        {"To": "+15558675310"})``. Each page is a :meth:`call_tool` (validated, checked by the
        policy, retried as a GET is); a ``Cursor`` in ``arguments`` starts where it points.
        InvalidArguments for a tool that does not page, or with ``Limit`` (stop reading
        instead)."""
        tool = self.get_tool(name, api=api)
        paging = tool.paging
        given = dict(arguments or {})
        if paging is None or LIMIT in given:
            problem = (
                "records() reads list tools only; call this tool with call_tool"
                if paging is None
                else "records() reads until you stop: leave Limit out"
            )
            raise InvalidArguments(tool.name, [ArgumentError((), problem)])
        while True:
            answer = await self.call_tool(tool.name, given, api=tool.api or None, timeout=timeout)
            if not isinstance(answer, Mapping):  # only with response_validation="off"/"warn"
                raise ResponseValidationError(
                    tool.name, [ArgumentError((), "a page must be a JSON object")], answer
                )
            for record in answer.get(paging.records) or ():
                yield record
            cursor = answer.get(NEXT_CURSOR)
            if not cursor:
                return
            given[CURSOR] = cursor

    async def _guarded_run(
        self,
        guard: PolicyGuard,
        tool: Tool,
        runner: Runner,
        arguments: Mapping[str, Any],
        call: Call,
    ) -> Any:
        """The one place for what may run: the policy decides before any kind of tool runs."""
        if not guard.matched:  # given before the APIs were registered: checked on first use
            guard.match(self._catalog.tools(), self._catalog.compact())
        checked = await guard.check(tool, runner, arguments, call)
        if checked is None:
            return await runner.run(tool, arguments, call)
        if checked.dry_run:
            return checked.result
        try:
            result = await runner.run(tool, checked.arguments, call)
        except (InvalidArguments, TransportError, ConfigurationError) as exc:
            # Limits count calls that were sent: one refused before sending gives its turn back.
            if not isinstance(exc, TransportError) or exc.nothing_sent:
                guard.release(checked)
            raise
        if checked.remember_session:
            guard.remember(tool, tool.with_pins(checked.arguments), result)
        return result

    async def _run_recorded(
        self, tool: Tool, runner: Runner, arguments: Mapping[str, Any], call: Call
    ) -> Any:
        guard = self._guard
        try:
            if guard is None:
                result = await runner.run(tool, arguments, call)
            else:
                result = await self._guarded_run(guard, tool, runner, arguments, call)
        except BaseException as exc:
            status = exc.status if isinstance(exc, TwilioAPIError) else None
            self.context.record_call(tool.name, tool.api, tool.endpoint, type(exc).__name__, status)
            raise
        self.context.record_call(tool.name, tool.api, tool.endpoint, "success")
        return result


def _checked_budget(tokens: int) -> int:
    if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < _LEAST_RESULT_TOKENS:
        raise ConfigurationError(
            f"result_tokens must be a whole number of tokens, at least {_LEAST_RESULT_TOKENS}: "
            f"{tokens!r}."
        )
    return tokens


# Room for a note, a cursor and a record or two: a smaller budget could show nothing.
_LEAST_RESULT_TOKENS = 200


def _policy_of(policy: Policy | str | Path) -> Policy:
    return policy if isinstance(policy, Policy) else Policy.load(policy)


@runtime_checkable
class _Closable(Protocol):
    async def aclose(self) -> None: ...


async def _closes_at_loop_end(transport: Transport) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await transport.close()
