"""The OCP agent context, its history of calls, and the OCP headers that carry it.

Field names follow the Open Context Protocol's context schema (``ocp-context.json``); header
names and the ``OCP-Session`` encoding (UTF-8 JSON, gzip where it pays, Base64, at most 8 KB)
follow its HTTP protocol. Unlike OCP's reference client, the history is bounded, holds no
argument values, and free text is percent-encoded so that any language survives the wire.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import logging
import re
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, unquote

from .._exceptions import ConfigurationError
from .._json import read_json
from ..specs.names import API_NAME

__all__ = [
    "HISTORY_LIMIT",
    "OCP_HEADER_NAMES",
    "OCP_SPEC_VERSION",
    "SESSION_LIMIT",
    "CallRecord",
    "OCPContext",
    "decode_header_text",
    "decode_session",
    "encode_session",
]

logger = logging.getLogger("ocp_twilio")

OCP_SPEC_VERSION = "1.0"
SESSION_LIMIT = 8192  # bytes of the Base64 OCP-Session value
HISTORY_LIMIT = 20  # calls kept; older ones are forgotten
OCP_HEADER_NAMES = (
    "OCP-Context-ID",
    "OCP-Agent-Type",
    "OCP-Version",
    "OCP-User",
    "OCP-Workspace",
    "OCP-Current-Goal",
    "OCP-Session",
)

_AGENT_TYPE = re.compile(r"[a-zA-Z0-9_\-.]{1,128}")
_CONTEXT_ID = re.compile(r"ocp-[a-f0-9]{8,60}")
# OCP's header lengths, counted in characters of the text before encoding.
_MAX_LENGTH = {"user": 64, "workspace": 128, "current_goal": 256}
# Visible ASCII and space pass unchanged; "%" and everything else is UTF-8 percent-encoded.
_HEADER_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")
_GZIP_FROM = 1024  # bytes of JSON below which compression is not tried (OCP's threshold)


@dataclass(slots=True)
class CallRecord:
    """One tool call as the history keeps it: what, when and how it ended; never its arguments.

    ``result`` is ``"success"`` or the class name of the error raised; ``status`` is the HTTP
    status where an answer came back; ``at`` is when it ended, in seconds since the epoch.
    (Made on every call: a plain slotted class and a float cost a fifth of a frozen dataclass and
    a datetime.)
    """

    tool: str
    api: str
    endpoint: str
    result: str
    at: float
    status: int | None = None

    @property
    def timestamp(self) -> datetime:
        return datetime.fromtimestamp(self.at, timezone.utc)

    def to_dict(self) -> dict[str, Any]:
        """An item of the context schema's ``history`` array."""
        metadata: dict[str, Any] = {"api": self.api}
        if self.status is not None:
            metadata["status"] = self.status
        return {
            "timestamp": self.timestamp.isoformat(),
            "action": self.tool,
            "api_endpoint": self.endpoint,
            "result": self.result,
            "metadata": metadata,
        }


@dataclass
class OCPContext:
    """What an OCP agent knows about its session, sent along to APIs that speak OCP."""

    agent_type: str = "ai_agent"
    user: str | None = None
    workspace: str | None = None
    current_goal: str | None = None
    context_id: str = field(default_factory=lambda: f"ocp-{uuid.uuid4().hex}")
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    _updated_at: float = field(init=False, repr=False)
    interaction_count: int = field(default=0, init=False)
    # API name -> URI of where its operations came from (the schema's ``api_specs``): one URI
    # per key, so an API of several spec files has its second under "{name}-2", and so on.
    api_specs: dict[str, str] = field(default_factory=dict)
    history: deque[CallRecord] = field(
        default_factory=lambda: deque(maxlen=HISTORY_LIMIT), init=False
    )
    _spec_keys: dict[str, tuple[str, ...]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if not _CONTEXT_ID.fullmatch(self.context_id):
            raise ConfigurationError(
                f"context_id {self.context_id!r} must be 'ocp-' and 8 to 60 lower-case hex digits."
            )
        if not _AGENT_TYPE.fullmatch(self.agent_type):
            raise ConfigurationError(
                f"agent_type {self.agent_type!r} must be 1 to 128 letters, digits, '_', '-' or "
                "'.' (for example ide_coding_assistant)."
            )
        for name in _MAX_LENGTH:
            _check_length(name, getattr(self, name))
        self._updated_at = self.created_at.timestamp()

    def update_goal(self, goal: str | None) -> None:
        _check_length("current_goal", goal)
        self.current_goal = goal
        self._touch()

    def add_api(self, name: str, sources: str | Sequence[str]) -> None:
        """Record where API ``name`` came from, replacing what it had: a URI, or one per file."""
        if not API_NAME.fullmatch(name):
            raise ConfigurationError(
                f"API name {name!r} must match OCP's pattern {API_NAME.pattern} (letters, "
                "digits, '_' and '-')."
            )
        uris = (sources,) if isinstance(sources, str) else tuple(sources)
        keys = (name, *(f"{name}-{n}" for n in range(2, len(uris) + 1)))
        owners = {k: api for api, held in self._spec_keys.items() if api != name for k in held}
        taken = [k for k in keys if k in owners]
        if taken:
            raise ConfigurationError(
                f"API {name!r} would list its spec files as {', '.join(taken)} in the context's "
                f"api_specs, which API {owners[taken[0]]!r} holds: choose another name."
            )
        for key in self._spec_keys.pop(name, ()):
            self.api_specs.pop(key, None)
        self.api_specs.update(zip(keys, uris, strict=True))
        self._spec_keys[name] = keys
        self._touch()

    def record_call(
        self, tool: str, api: str, endpoint: str, result: str, status: int | None = None
    ) -> None:
        now = time.time()
        self.history.append(CallRecord(tool, api, endpoint, result, now, status))
        self.interaction_count += 1
        self._updated_at = now

    @property
    def last_updated(self) -> datetime:
        return datetime.fromtimestamp(self._updated_at, timezone.utc)

    def to_dict(self) -> dict[str, Any]:
        """The context as the OCP context schema defines it."""
        return {
            "context_id": self.context_id,
            "agent_type": self.agent_type,
            "user": self.user,
            "workspace": self.workspace,
            "current_goal": self.current_goal,
            "session": {
                "start_time": self.created_at.isoformat(),
                "interaction_count": self.interaction_count,
                "agent_type": self.agent_type,
            },
            "history": [record.to_dict() for record in self.history],
            "api_specs": dict(self.api_specs),
            "created_at": self.created_at.isoformat(),
            "last_updated": self.last_updated.isoformat(),
        }

    def headers(self) -> dict[str, str]:
        """The OCP request headers; OCP-Session holds as much recent history as fits 8 KB."""
        headers = {
            "OCP-Context-ID": self.context_id,
            "OCP-Agent-Type": self.agent_type,
            "OCP-Version": OCP_SPEC_VERSION,
        }
        optional = {
            "OCP-User": self.user,
            "OCP-Workspace": self.workspace,
            "OCP-Current-Goal": self.current_goal,
        }
        headers.update({k: _header_text(v) for k, v in optional.items() if v})
        session = self._session_header()
        if session is not None:
            headers["OCP-Session"] = session
        return headers

    def _session_header(self) -> str | None:
        document = self.to_dict()
        history = document["history"]
        while True:
            encoded = encode_session(document)
            if len(encoded) <= SESSION_LIMIT:
                return encoded
            if not history:
                # Only a huge api_specs table gets here; OCP says to leave such a header out.
                logger.warning("OCP-Session left out: the context is over 8 KB without history.")
                return None
            # Drop the oldest half of what is left: a few encodings at most, even for long entries.
            del history[: max(1, len(history) // 2)]

    def _touch(self) -> None:
        self._updated_at = time.time()


def encode_session(document: dict[str, Any]) -> str:
    """UTF-8 JSON, gzip when that saves a fifth or more, then standard Base64 (OCP's rules)."""
    raw = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if len(raw) > _GZIP_FROM:
        packed = gzip.compress(raw, mtime=0)
        if len(packed) < len(raw) * 0.8:
            raw = packed
    return base64.b64encode(raw).decode("ascii")


def decode_session(value: str) -> dict[str, Any]:
    """The context document of an OCP-Session value (gzip is recognised by its magic bytes)."""
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
        if raw.startswith(b"\x1f\x8b"):
            raw = gzip.decompress(raw)
        document = read_json(raw.decode("utf-8"))
    except (ValueError, binascii.Error, OSError, EOFError) as exc:  # NotJSON among them
        raise ValueError(f"Not an OCP-Session value: {exc}") from exc
    if not isinstance(document, dict):
        raise ValueError("Not an OCP-Session value: the JSON is not an object.")
    return document


def decode_header_text(value: str) -> str:
    """The text of a free-text OCP header (user, workspace, goal) as the agent set it."""
    return unquote(value, encoding="utf-8", errors="strict")


def _header_text(text: str) -> str:
    return quote(text, safe=_HEADER_SAFE, encoding="utf-8")


def _check_length(name: str, value: str | None) -> None:
    limit = _MAX_LENGTH[name]
    if value is not None and not 1 <= len(value) <= limit:
        raise ConfigurationError(
            f"{name} must be 1 to {limit} characters long (OCP's limit); it has {len(value)}."
        )
