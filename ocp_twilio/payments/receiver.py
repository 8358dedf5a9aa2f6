"""The StatusCallback receiver: aiohttp.web handlers that check Twilio's signature and store
what Twilio reports, one path per kind of callback (kinds.py):

- ``pay``: Pay StatusCallbacks, at the receiver's ``path`` (default ``/twilio/pay-status``);
- ``message``: message status callbacks, at ``message-status`` beside it
  (``/twilio/message-status``);
- ``call``: call status callbacks, at ``call-status`` (``/twilio/call-status``);
- ``reply``: inbound messages, a number's or Messaging Service's incoming-message webhook, at
  ``inbound-message`` (``/twilio/inbound-message``), answered with empty TwiML (no reply sent).

The path decides the kind, never the fields: a callback signed for one path cannot be stored as
another kind.

The URL a signature is checked against is the public URL the receiver was given (where Twilio
calls it) followed by the path and query of the request exactly as received, never the Host
header or the scheme of the connection: a proxy that terminates TLS changes both. With
``trust_forwarded`` the scheme and host come from X-Forwarded-Proto and X-Forwarded-Host, as
the user's own proxies set them: a proxy appends its value to any the client sent, so the value
used is the one the outermost of the user's proxies added, counted from the right (``True``: one
proxy; a number: that many), never a value in front of it, which the client may have written.

Refused, and nothing stored: no or a wrong signature (403), a body that is no form (400), a body
over ``max_body_bytes`` (413), a malformed callback (400: no Sid of its kind, or a status that
is not Twilio's; logged without its values). A valid callback is stored and answered 204 at
once (an inbound message: 200 and empty TwiML); when the store cannot take it (Redis down) it
is answered 503, and Twilio sends it again. Log lines name the resource and the outcome, never
the body.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from aiohttp import web

from .._config import read_environment
from .._exceptions import ConfigurationError, OCPError
from .kinds import KINDS, PAY, event_of
from .signatures import SIGNATURE_HEADER, validate_signature
from .stores import ProgressStore

__all__ = [
    "CALLBACK_SEGMENTS",
    "DEFAULT_CALLBACK_PATH",
    "DEFAULT_MAX_CALLBACK_BYTES",
    "CallbackAnswer",
    "CallbackRequest",
    "StatusCallbackReceiver",
    "auth_token_for_signatures",
    "joined_lines",
    "serve_receiver",
]

logger = logging.getLogger("ocp_twilio.receiver")

DEFAULT_CALLBACK_PATH = "/twilio/pay-status"
# The last segment of each kind's path; the Pay path is the receiver's ``path`` itself.
CALLBACK_SEGMENTS = {
    "message": "message-status",
    "call": "call-status",
    "reply": "inbound-message",
}
# Twilio reads the answer to an incoming message as TwiML: an empty one sends no reply.
_EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
# A Pay callback is some thirty short fields, well under 4 KiB.
DEFAULT_MAX_CALLBACK_BYTES = 64 * 1024
_MAX_FIELDS = 200
_FORM = "application/x-www-form-urlencoded"
_MAX_PROXY_HOPS = 16
# A forwarded host is a name or an address, with an optional port: nothing that would move the
# signed URL's path.
_FORWARDED_HOST = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?"
)


def auth_token_for_signatures(
    auth_token: str | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """The Auth Token that checks signatures: the argument, else TWILIO_AUTH_TOKEN."""
    token = auth_token or read_environment(environ).auth_token
    if not token:
        raise ConfigurationError(
            "The status callback receiver needs the account's Auth Token to check Twilio's "
            "signatures, also when the REST calls use an API key (Twilio signs callbacks with "
            "the Auth Token only): pass auth_token= or set TWILIO_AUTH_TOKEN."
        )
    return token


class StatusCallbackReceiver:
    """Receives Twilio's callbacks and stores them in ``store``: the StatusCallbacks of Pay
    sessions at ``path``, and beside it (same folder) message status callbacks at
    ``message-status``, call status callbacks at ``call-status`` and inbound messages at
    ``inbound-message`` (:attr:`paths`).

    ``public_url`` is the scheme, host, port (and any path prefix a proxy strips) under which
    Twilio reaches this server, e.g. ``https://pay.example.com``; :attr:`url` is then the Pay
    URL to give Twilio, :meth:`url_for` that of another kind. Serve :meth:`application`, or
    add :meth:`routes` to an application of your own.
    ``trust_forwarded``: how many proxies of yours stand in front (``True``: one); the scheme
    and host of the signed URL are then the X-Forwarded-Proto and X-Forwarded-Host values the
    outermost of them added (counted from the right of each header).
    """

    def __init__(
        self,
        *,
        auth_token: str,
        store: ProgressStore,
        path: str = DEFAULT_CALLBACK_PATH,
        public_url: str | None = None,
        trust_forwarded: bool | int = False,
        max_body_bytes: int = DEFAULT_MAX_CALLBACK_BYTES,
    ) -> None:
        if not path.startswith("/") or "?" in path or "#" in path:
            raise ConfigurationError(f"The receiver's path must start with / (no query): {path!r}.")
        self._auth_token = auth_token
        self.store = store
        self.path = path
        folder = path.rsplit("/", 1)[0]
        self.paths = {PAY: path, **{k: f"{folder}/{s}" for k, s in CALLBACK_SEGMENTS.items()}}
        if len(set(self.paths.values())) < len(self.paths):
            raise ConfigurationError(
                f"The receiver's path {path!r} is one of the other kinds' paths "
                f"({', '.join(CALLBACK_SEGMENTS.values())}): name the Pay path otherwise."
            )
        self.public_url = _checked_public_url(public_url) if public_url is not None else None
        # The number of proxy hops trusted; 0: none, X-Forwarded-* are ignored.
        self.trust_forwarded = _proxy_hops(trust_forwarded)
        self.max_body_bytes = max_body_bytes
        # Where serve_receiver listens (http://127.0.0.1:PORT), while it does.
        self.served_at: str | None = None

    def __repr__(self) -> str:
        return f"<StatusCallbackReceiver {self.public_url or '(no public URL)'}{self.path}>"

    @property
    def url(self) -> str:
        """The URL Twilio must call: the public URL and the path."""
        return self.url_for(PAY)

    def url_for(self, kind: str) -> str:
        """The URL Twilio must call with callbacks of ``kind`` (``pay``, ``message``, ``call``,
        ``reply``)."""
        if self.public_url is None:
            raise ConfigurationError(
                "The receiver has no public URL yet: give public_url=, or serve it first."
            )
        return self.public_url + self.paths[_known(kind)]

    def routes(self) -> list[web.RouteDef]:
        return [web.post(self.paths[kind], self._handler(kind)) for kind in KINDS]

    def _handler(self, kind: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            return await self.handle(request, kind)

        return handle

    def application(self) -> web.Application:
        app = web.Application(client_max_size=self.max_body_bytes)
        app.add_routes(self.routes())
        return app

    async def handle(self, request: web.Request, kind: str = PAY) -> web.StreamResponse:
        """The aiohttp handler of ``kind``: reads the request (bounded) and answers as
        :meth:`answer` says."""
        body = await _body_within(request, self.max_body_bytes)
        answer = await self.answer(
            CallbackRequest(
                body=body,
                content_type=request.content_type,
                signature=request.headers.get(SIGNATURE_HEADER),
                raw_path=request.raw_path,
                forwarded_proto=joined_lines(request.headers.getall("X-Forwarded-Proto", [])),
                forwarded_host=joined_lines(request.headers.getall("X-Forwarded-Host", [])),
            ),
            kind,
        )
        if answer.status == 204:
            return web.Response(status=204)
        return web.Response(status=answer.status, text=answer.text, content_type=answer.media_type)

    async def answer(self, request: CallbackRequest, kind: str = PAY) -> CallbackAnswer:
        """Check and store one callback of ``kind``, whatever server framework read it."""
        _known(kind)
        body = request.body
        if body is None:
            return _refused(413, "the body is larger than the receiver accepts", request)
        if request.content_type != _FORM:
            return _refused(400, "the body is not a form", request)
        try:
            pairs = parse_qsl(
                body.decode("utf-8"),
                keep_blank_values=True,
                strict_parsing=bool(body),
                max_num_fields=_MAX_FIELDS,
            )
        except ValueError:  # UnicodeDecodeError included
            return _refused(400, "the body is not a valid UTF-8 form", request)
        if not request.signature:
            return _refused(403, f"no {SIGNATURE_HEADER} header", request)
        signed_url = self._signed_url(request)
        if signed_url is None:
            return _refused(403, "no public URL to check the signature on (public_url=)", request)
        if not validate_signature(self._auth_token, request.signature, signed_url, pairs):
            return _refused(403, "the signature does not match", request)
        event = event_of(kind, pairs)
        if isinstance(event, str):  # malformed: what is wrong, never a value, is logged
            return _refused(400, event, request)
        # A conversation's id holds phone numbers: the log names the message instead.
        named = event.fields.get("MessageSid", event.sid) if kind == "reply" else event.sid
        try:
            stored = await self.store.append(event)
        except OCPError as exc:  # the store failed (a shared one is out): Twilio tries again
            logger.warning("StatusCallback for %s not stored (503): %s", named, exc)
            return CallbackAnswer(503, "The progress store is unavailable; retry.\n")
        logger.info(
            "StatusCallback for %s %s", named, "stored" if stored else "already had (ignored)"
        )
        if kind == "reply":
            return CallbackAnswer(200, _EMPTY_TWIML, "text/xml")
        return CallbackAnswer(204, "")

    def _signed_url(self, request: CallbackRequest) -> str | None:
        if self.trust_forwarded:
            proto = _hop_value(request.forwarded_proto, self.trust_forwarded).lower()
            host = _hop_value(request.forwarded_host, self.trust_forwarded)
            if proto in ("http", "https") and _FORWARDED_HOST.fullmatch(host):
                return f"{proto}://{host}{request.raw_path}"
        return None if self.public_url is None else self.public_url + request.raw_path


@dataclass(frozen=True)
class CallbackRequest:
    """What the receiver reads of a request; a server framework fills it in."""

    body: bytes | None  # None: longer than max_body_bytes (read no further)
    content_type: str  # the media type alone, lower case, without parameters
    signature: str | None
    raw_path: str  # the path and query exactly as received
    # Every value of each header in order, comma-separated (repeated lines joined by commas).
    forwarded_proto: str | None = None
    forwarded_host: str | None = None


@dataclass(frozen=True)
class CallbackAnswer:
    status: int
    text: str
    media_type: str = "text/plain"


@asynccontextmanager
async def serve_receiver(
    receiver: StatusCallbackReceiver, host: str, port: int
) -> AsyncIterator[StatusCallbackReceiver]:
    """Serve ``receiver`` on ``host:port`` (0: a free port) until the block ends; without a
    public URL it is the address served on."""
    runner = web.AppRunner(receiver.application(), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0]
        shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
        receiver.served_at = f"http://{shown}:{bound[1]}"
        if receiver.public_url is None:
            receiver.public_url = receiver.served_at
        logger.info("StatusCallback receiver at %s", receiver.url)
        yield receiver
    finally:
        receiver.served_at = None
        await runner.cleanup()


async def _body_within(request: web.Request, limit: int) -> bytes | None:
    """The body, or None when it is longer than ``limit`` (read no further than that)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(min(65536, limit + 1))
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)


def _refused(status: int, reason: str, request: CallbackRequest) -> CallbackAnswer:
    # The path only: the query and the body are Twilio's, and stay out of the logs.
    path = request.raw_path.split("?", 1)[0]
    logger.warning("StatusCallback refused (%d) at %s: %s", status, path, reason)
    return CallbackAnswer(status, f"Refused: {reason}.\n")


def _known(kind: str) -> str:
    if kind not in KINDS:
        raise ConfigurationError(
            f"No callback kind {str(kind)[:40]!r}: the receiver takes {', '.join(KINDS)}."
        )
    return kind


def _proxy_hops(trust_forwarded: bool | int) -> int:
    if isinstance(trust_forwarded, bool):
        return int(trust_forwarded)
    if not isinstance(trust_forwarded, int) or not 0 <= trust_forwarded <= _MAX_PROXY_HOPS:
        raise ConfigurationError(
            "trust_forwarded must be True (one proxy of yours in front of the receiver), the "
            f"number of your proxies in front of it (at most {_MAX_PROXY_HOPS}), or False."
        )
    return trust_forwarded


def joined_lines(lines: Sequence[str]) -> str | None:
    """A header's repeated lines as one list: a proxy may add a line of its own rather than
    append to the client's, and the hop count reads from the right of all of them."""
    return ",".join(lines) if lines else None


def _hop_value(header: str | None, hops: int) -> str:
    """The value the outermost of ``hops`` proxies added: each appends its own to the right,
    so those further left came from before it (the client). Too few values: none."""
    values = [value.strip() for value in header.split(",")] if header else []
    return values[-hops] if len(values) >= hops else ""


def _checked_public_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigurationError(
            "public_url must be an absolute http(s) URL without query, such as "
            f"https://pay.example.com, not {url!r}."
        )
    return url.rstrip("/")
