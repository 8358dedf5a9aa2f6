"""HTTP and Twilio's conventions, for any operation: auth, host, timeout, error mapping.

The dispatcher knows nothing about particular operations; a Tool has already turned the
arguments into a PreparedRequest.
"""

from __future__ import annotations

import asyncio
import logging
import platform
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property, lru_cache
from typing import Any, Literal

from yarl import URL

from .._config import DEFAULT_MAX_RESPONSE_BYTES, MAX_JSON_DEPTH
from .._exceptions import (
    ArgumentError,
    ConfigurationError,
    RequestTimeout,
    ResponseTooLarge,
    ResponseValidationError,
    TransportError,
    TwilioAPIError,
)
from .._json import NotJSON, read_json
from .._version import __version__
from ..tools.encoding import PreparedRequest, query_string
from ..tools.headers import RESERVED_HEADERS
from ..tools.masking import MASK, masked_body, masked_text
from ..tools.tool import Tool
from .credentials import Credentials
from .hosts import TWILIO_ONLY, CredentialScope, resolve_base_url
from .oauth import TOKEN_PATH, TOKEN_SERVER, AccessTokens
from .retry import DEFAULT_RETRIES, RetryPolicy, parse_retry_after, retry_allowed_for_status
from .timeout import DEFAULT_TIMEOUTS, Timeout, checked_timeout
from .transport import Request, Response, Transport

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "USER_AGENT",
    "Attempts",
    "Dispatcher",
    "ResponseValidation",
]

logger = logging.getLogger("ocp_twilio")

USER_AGENT = f"ocp-twilio/{__version__} Python/{platform.python_version()}"

# What authorizes one operation's requests: the API's credentials as they are, the OAuth access
# token of its client credentials, or nothing (the operation's security is empty).
_Auth = Literal["credentials", "token", "none"]


class ResponseValidation(str, Enum):
    """What a success body that breaks the response schema does."""

    STRICT = "strict"  # raise ResponseValidationError
    WARN = "warn"  # log a warning, return the data
    OFF = "off"  # do not check


class Attempts:
    """How a call went on the wire, for its trace: the last answer's status and request id, and
    how many times it was sent again."""

    __slots__ = ("decision", "request_id", "retries", "status")

    def __init__(self) -> None:
        # The operator's policy's decision on the call, where a policy is in force.
        self.decision: str | None = None
        self.status: int | None = None
        self.request_id: str | None = None
        self.retries = 0

    def note(self, answer: Response | None, retries: int) -> None:
        self.retries = retries
        self.status = None if answer is None else answer.status
        self.request_id = None if answer is None else answer.request_id


@dataclass(frozen=True)
class Dispatcher:
    """Sends prepared requests of one registered API and turns the answers into results.

    ``timeout`` bounds one attempt and the connecting in it; ``retries`` decides which failed
    attempts are repeated and bounds the whole call (see :mod:`ocp_twilio.http.retry`).
    ``scope`` is where the credentials may go; every request is checked against it before it is
    sent. ``tokens``, for an API registered with OAuth client credentials, authorizes its
    requests with an access token fetched from Twilio's token endpoint (inside the same scope).
    """

    credentials: Credentials
    scope: CredentialScope = TWILIO_ONLY
    base_url: str | None = None
    region: str | None = None
    edge: str | None = None
    timeout: Timeout = DEFAULT_TIMEOUTS
    response_validation: ResponseValidation = ResponseValidation.WARN
    retries: RetryPolicy = DEFAULT_RETRIES
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    tokens: AccessTokens | None = field(default=None, repr=False, compare=False)

    async def call(
        self,
        transport: Transport,
        tool: Tool,
        arguments: Mapping[str, Any],
        *,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
        in_flight: asyncio.Semaphore | None = None,
        attempts: Attempts | None = None,
    ) -> Any:
        """Validate, send (retrying where safe) and check one call; every failure is an OCPError.

        ``headers`` are sent besides the request's own (the agent's OCP headers); they never
        replace the auth, content or user agent headers. ``in_flight`` is held during each
        attempt: the agent's cap on requests in flight. ``timeout`` given here bounds the whole
        call, retries included; the dispatcher's own bounds each attempt, its retry policy's
        deadline the call. ``attempts``, where given, is told how the call went on the wire.
        """
        if timeout is None:
            limit, deadline = self.timeout.attempt, self.retries.deadline
        else:
            limit = checked_timeout(timeout)
            deadline = min(limit, self.retries.deadline)
        request = tool.prepare(arguments, self._defaults)
        url = self.url_for(tool, request)
        answer = await _exchange(
            self,
            transport,
            tool.name,
            request,
            url,
            headers,
            limit,
            deadline,
            in_flight,
            attempts,
            self._auth_for(tool),
        )
        if not (200 <= answer.status < 300 or _documented_redirect(tool, answer.status)):
            raise _api_error(answer, tool.name)
        return self._checked_result(tool, answer)

    def render(
        self, tool: Tool, arguments: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """The request :meth:`call` would send first, with the credentials, secrets and card
        data masked: what an approval shows and a dry run answers. Validates as call does."""
        request = tool.prepare(arguments, self._defaults)
        url = self.url_for(tool, request)
        auth = self._auth_for(tool)
        shown = self._headers_for(request, headers, _AUTHORIZATION_SHOWN[auth])
        if auth == "credentials" and self.credentials.header:
            shown[self.credentials.header] = MASK
        return {
            "method": request.method,
            "url": masked_text(str(url)),
            "headers": shown,
            "body": masked_body(request.body, request.content_type),
        }

    def url_for(self, tool: Tool, request: PreparedRequest) -> URL:
        server = tool.spec.server
        base = self._bases.get(server)
        if base is None:
            base = self._bases[server] = resolve_base_url(
                server, override=self.base_url, region=self.region, edge=self.edge
            )
        path = request.path
        text = f"{base}{path}?{query_string(request.query)}" if request.query else base + path
        try:
            url = URL(text, encoded=True)
            url.explicit_port  # noqa: B018  # yarl parses lazily: a bad port fails here
        except ValueError:  # a path that changes the host part ("x/y" after the port)
            raise ConfigurationError(
                f"Refused to send {tool.name}: its path does not make a URL with {base}; "
                "nothing was sent."
            ) from None
        # A path from "/" on cannot change the base's scheme, host or port, nor leave its path
        # (``scope.check``'s tests): once the base has passed, such a URL is inside the scope too.
        from_root = path.startswith("/")
        if not (from_root and base in self._bases_in_scope):
            self.scope.check(url, tool.name)
            if from_root:
                self._bases_in_scope.add(base)
        return url

    def _auth_for(self, tool: Tool) -> _Auth:
        """What authorizes ``tool``'s requests, as its spec's security asks; a ConfigurationError
        (nothing sent) where it takes a bearer token and the API has only HTTP Basic."""
        kind = tool.spec.auth
        if kind == "none":
            return "none"
        if self.tokens is not None:
            return "token"
        if kind == "bearer" and self.credentials.is_basic:
            raise ConfigurationError(
                f"{tool.name} takes an OAuth bearer token, and its API was registered with "
                "HTTP Basic credentials: register it with client_id= and client_secret= of a "
                "Twilio OAuth app (or TWILIO_CLIENT_ID and TWILIO_CLIENT_SECRET), or token= "
                "with an access token; nothing was sent."
            )
        return "credentials"

    def _headers_for(
        self,
        request: PreparedRequest,
        extra: Mapping[str, str] | None,
        authorization: str | None = None,
    ) -> dict[str, str]:
        """The headers of one attempt; ``authorization`` (None: the credentials' own header)
        is the Authorization header's value, "" for none."""
        # Neither the agent's extra headers nor a header argument of the operation (a model fills
        # those in) may replace the auth, accept, user agent, content or framing headers, in any
        # letter case. A Tool leaves such parameters out; this also holds for Tools made with
        # another credentials header than this dispatcher's.
        own = self._own_headers if authorization is None else self._bare_headers
        headers = {**extra, **own} if extra else own.copy()
        if authorization:
            headers["Authorization"] = authorization
        if request.headers:
            reserved = self._reserved_headers
            headers.update((n, v) for n, v in request.headers if n.lower() not in reserved)
        if request.content_type:
            headers["Content-Type"] = request.content_type
        return headers

    # Made once per dispatcher: the same on every call (the dataclass is frozen).
    @cached_property
    def _own_headers(self) -> dict[str, str]:
        auth = self.credentials
        own = {auth.header: auth.authorization} if auth.header else {}
        return {**own, **self._bare_headers}

    @cached_property
    def _bare_headers(self) -> dict[str, str]:
        return {"Accept": "application/json", "User-Agent": USER_AGENT}

    @cached_property
    def _token_url(self) -> URL:
        """Twilio's token endpoint, on the host settings the API's calls use (a base URL you
        named included), and checked against the same scope as they are."""
        base = resolve_base_url(
            TOKEN_SERVER, override=self.base_url, region=self.region, edge=self.edge
        )
        url = URL(base + TOKEN_PATH, encoded=True)
        self.scope.check(url, "the OAuth token request")
        return url

    @cached_property
    def _reserved_headers(self) -> frozenset[str]:
        return RESERVED_HEADERS | {self.credentials.header.lower()} - {""}

    @cached_property
    def _defaults(self) -> Mapping[str, str]:
        account = self.credentials.account_sid
        return {"account_sid": account} if account else {}

    @cached_property
    def _bases(self) -> dict[str | None, str]:
        """Base URL by the operation's server: resolve_base_url once per host setting."""
        return {}

    @cached_property
    def _bases_in_scope(self) -> set[str]:
        """The base URLs with which a path from "/" on has passed the scope check."""
        return set()

    def _checked_result(self, tool: Tool, answer: Response) -> Any:
        data = _json_body(tool, answer)
        if self.response_validation is ResponseValidation.OFF:
            return data
        errors = tool.response_errors(data, decoded=True)
        if errors and self.response_validation is ResponseValidation.STRICT:
            raise ResponseValidationError(tool.name, errors, data)
        if errors:
            logger.warning(
                "Response of %s does not match its schema: %s",
                tool.name,
                "; ".join(str(e) for e in errors),
            )
        return data


async def _exchange(
    dispatcher: Dispatcher,
    transport: Transport,
    tool: str,
    request: PreparedRequest,
    url: URL,
    extra_headers: Mapping[str, str] | None,
    timeout: float,
    call_deadline: float,
    in_flight: asyncio.Semaphore | None,
    attempts: Attempts | None,
    auth: _Auth,
) -> Response:
    """One call's attempts: send, decide whether to try again, wait, within the deadline.

    A function of locals, not an object: it runs on every call. The headers, which hold the
    credentials, are made inside the Request (whose repr shows none) of each attempt, never
    kept in a local: error trackers record the locals of every frame an exception leaves (of an
    OAuth access token, only its generation number is).

    A call refused with 401 while it carried an access token drops the token; it is sent once
    more with a new one only where repeating it is harmless (an idempotent method, or an
    IdempotencyKey): Twilio answers 401 before it acts, but a proxy in front of it may answer
    401 after the request went through."""
    policy = dispatcher.retries
    # The deadline on time.monotonic, not the loop's clock: asyncio.get_running_loop()
    # makes a system call (getpid) on every call in Python 3.11, twice per attempt here.
    deadline = time.monotonic() + call_deadline
    retry = 0
    refreshed = False
    while True:
        failure: TransportError | None = None
        answer: Response | None = None
        generation: int | None = None
        # acquire/release rather than ``async with``: two coroutines less on every call.
        if in_flight is not None:
            await in_flight.acquire()
        started = time.monotonic()
        try:
            left = min(timeout, deadline - started)
            if left <= 0:
                raise RequestTimeout(
                    "The call's deadline passed before it could be sent; nothing sent.",
                    nothing_sent=True,
                )
            if auth == "token":
                generation = await _access_token(dispatcher, transport, left)
                # The token's fetch (rarely: once an hour) counts against the attempt's time.
                left = min(timeout - (time.monotonic() - started), deadline - time.monotonic())
                if left <= 0:
                    raise RequestTimeout(
                        "The call's time ran out while its access token was fetched; nothing sent.",
                        nothing_sent=True,
                    )
            answer = await transport.send(
                Request(
                    method=request.method,
                    url=url,
                    headers=dispatcher._headers_for(
                        request, extra_headers, _authorization(auth, dispatcher.tokens)
                    ),
                    body=request.body,
                    timeout=left,
                    connect_timeout=min(dispatcher.timeout.connect, left),
                    max_body=dispatcher.max_response_bytes,
                )
            )
        except TransportError as exc:
            failure = exc
        finally:
            if in_flight is not None:
                in_flight.release()
        if answer is not None and logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %d in %.0f ms",
                tool,
                request.method,
                answer.status,
                (time.monotonic() - started) * 1000,
            )
        if attempts is not None:
            attempts.note(answer, retry)
        if answer is not None and answer.status < 400:
            return answer  # the common case: nothing to retry (see _may_retry)
        if generation is not None and answer is not None and answer.status == 401 and not refreshed:
            assert dispatcher.tokens is not None
            dispatcher.tokens.expire(generation)
            refreshed = True
            # Sent again only where a repeat is harmless: a 401 may come from a proxy after the
            # request went through, so a POST without a key is not repeated (the next call
            # fetches a new token).
            if request.idempotent:
                logger.info("%s %s: HTTP 401; sent again with a new token", tool, request.method)
                continue
        retry_after = parse_retry_after(answer.retry_after) if answer else None
        if _may_retry(request, answer, failure):
            wait = policy.backoff(retry, retry_after)
            reason = f"HTTP {answer.status}" if answer else _failure_reason(failure)
            if retry < policy.max_retries and time.monotonic() + wait < deadline:
                retry += 1
                logger.warning(
                    "%s %s: %s; retry %d of %d in %.2f s",
                    tool,
                    request.method,
                    reason,
                    retry,
                    policy.max_retries,
                    wait,
                )
                await asyncio.sleep(wait)
                continue
            logger.warning(
                "%s %s: giving up after %d attempt(s); last: %s",
                tool,
                request.method,
                retry + 1,
                reason,
            )
        if failure is not None:
            raise failure
        assert answer is not None
        return answer


def _documented_redirect(tool: Tool, status: int) -> bool:
    """A 3xx that the operation documents with a body as its answer (bulkexports' FetchDay):
    that body is the result. The redirect itself is never followed: the credentials would go to
    the Location's host."""
    response = tool.spec.response
    return 300 <= status < 400 and response is not None and response.status == status


async def _access_token(dispatcher: Dispatcher, transport: Transport, timeout: float) -> int:
    assert dispatcher.tokens is not None
    return await dispatcher.tokens.ready(transport, dispatcher._token_url, timeout, USER_AGENT)


def _authorization(auth: _Auth, tokens: AccessTokens | None) -> str | None:
    """The Authorization header of an attempt (see _headers_for)."""
    if auth == "credentials":
        return None
    return tokens.authorization if auth == "token" and tokens is not None else ""


# What a rendered request shows of it.
_AUTHORIZATION_SHOWN: dict[_Auth, str | None] = {"credentials": None, "none": "", "token": MASK}


def _may_retry(
    request: PreparedRequest, answer: Response | None, failure: TransportError | None
) -> bool:
    if answer is not None:
        return retry_allowed_for_status(answer.status, request.idempotent)
    if failure is None or isinstance(failure, ResponseTooLarge):
        return False
    return request.idempotent or failure.nothing_sent


def _json_body(tool: Tool, answer: Response) -> Any:
    """The decoded success (or documented 3xx) body; one that is not JSON is a
    ResponseValidationError."""
    status, body = answer.status, answer.body
    if not body or body.isspace():  # as ``not body.strip()``, without copying the body
        if status == 204 or tool.output_schema is None:
            return {}
        raise _not_json_error(
            tool, f"HTTP {status} success body is empty; a JSON object was expected"
        )
    media_type = _media_type(answer.content_type)
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise _not_json_error(
            tool, f"HTTP {status} success body has Content-Type {media_type}, not JSON"
        )
    # Bounded before anything walks it: validators and json.dumps recurse once per level.
    try:
        return read_json(body)
    except NotJSON as exc:
        if exc.too_deep:
            raise _too_deep_error(tool, status) from None
        raise _not_json_error(tool, f"HTTP {status} success body is not valid JSON") from None


@lru_cache(maxsize=64)
def _media_type(content_type: str | None) -> str:
    """ "application/json" of "Application/JSON; charset=utf-8"; servers repeat theirs."""
    return (content_type or "application/json").split(";", 1)[0].strip().lower()


def _too_deep_error(tool: Tool, status: int) -> ResponseValidationError:
    return _not_json_error(
        tool, f"HTTP {status} success body is nested more than {MAX_JSON_DEPTH} levels deep"
    )


def _not_json_error(tool: Tool, message: str) -> ResponseValidationError:
    return ResponseValidationError(tool.name, [ArgumentError((), message)])


def _failure_reason(failure: TransportError | None) -> str:
    """The failure in ocp_twilio's own words, never a lower library's: those may carry URLs, and
    with them argument values."""
    return str(failure).rstrip(".") if failure is not None else "no answer"


def _api_error(answer: Response, tool: str) -> TwilioAPIError:
    """Twilio's error body ``{code, message, more_info, status}``, or the best that can be said:
    what came back, and its start, masked as a request body is (secrets by name, card numbers)."""
    status, body, request_id = answer.status, answer.body, answer.request_id
    try:
        document = read_json(body) if body.strip() else _NOTHING
    except NotJSON:
        document = _NOTHING
    if isinstance(document, dict) and ("message" in document or "code" in document):
        code = document.get("code")
        return TwilioAPIError(
            status,
            code if isinstance(code, int) else None,
            str(document.get("message") or "no message"),
            str(document["more_info"]) if document.get("more_info") else None,
            tool=tool,
            request_id=request_id,
        )
    if document is not _NOTHING:
        # JSON, but not from Twilio's API: a proxy's, a gateway's or an OAuth endpoint's.
        detail = f"error body is JSON but not in Twilio's error shape ({_json_kind(document)})"
        shown = masked_body(body, "application/json") or ""
    else:
        detail = "non-JSON error body"
        # A little more than is shown, so that a card number across the cut is masked whole.
        shown = masked_text(body[: _SHOWN_CHARACTERS + 64].decode("utf-8", "replace"))
    shown = shown.strip()
    if not shown:
        return TwilioAPIError(status, None, "empty error body", tool=tool, request_id=request_id)
    cut = "..." if len(shown) > _SHOWN_CHARACTERS else ""
    detail = f"{detail}: {shown[:_SHOWN_CHARACTERS]!r}{cut}"
    return TwilioAPIError(status, None, detail, tool=tool, request_id=request_id)


# How much of an error body that is not Twilio's the message shows: its start, never all of it.
_SHOWN_CHARACTERS = 200
_NOTHING = object()


def _json_kind(document: Any) -> str:
    if isinstance(document, dict):
        return "an object without code or message"
    if isinstance(document, list):
        return "an array"
    return "a lone " + ("string" if isinstance(document, str) else "value")
