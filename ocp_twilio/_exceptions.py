"""Everything ocp_twilio raises, under :class:`OCPError`::

    OCPError                      retryable  exit_code
    ├── ConfigurationError        no         CONFIGURATION
    │   ├── SpecError             no         CONFIGURATION
    │   └── PolicyError           no         CONFIGURATION  the rule, its line and the fix
    ├── CallRefused               no         REFUSED        the operator's policy; nothing sent
    ├── APINotFound (LookupError) no         BAD_INPUT
    ├── ToolNotFound (LookupError) no        BAD_INPUT
    │   ├── AmbiguousToolName     no         BAD_INPUT
    │   └── ToolNotOffered        no         BAD_INPUT      nothing was sent
    ├── InvalidArguments (ValueError) no     BAD_INPUT      nothing was sent
    │   └── RepeatedSend          no         BAD_INPUT      an identical send within the window
    ├── TwilioAPIError            429, 5xx   API_ERROR      status, code, request_id
    ├── ResponseValidationError   no         API_ERROR      the call was made
    └── TransportError            yes        TRANSPORT_ERROR
        ├── RequestTimeout (TimeoutError) yes TRANSPORT_ERROR
        ├── ResponseTooLarge      no         TRANSPORT_ERROR
        ├── OutcomeUnknown        "not sent" TRANSPORT_ERROR  a send that may have left, looked up
        ├── SendLedgerUnavailable yes        TRANSPORT_ERROR  the send ledger (Redis) is down
        └── ProgressStoreUnavailable yes     TRANSPORT_ERROR  the progress store (Redis) is down
            └── TooManyWaits      yes        TRANSPORT_ERROR  the store's bound on waits is reached

Each error carries what callers branch on, so none needs an ``isinstance`` ladder:
``retryable`` (may the same call, repeated, succeed? Not whether a repeat is safe: the
dispatcher has already retried what Twilio would deduplicate), ``hint`` (the next step, in a
sentence a model can act on, "" where the message says it already) and ``exit_code`` (the
CLI's).

A lower library's exceptions are translated in exactly one place each: aiohttp's in
``http/transport.py``, jsonschema's in ``tools/validation.py`` (``specs/model.check_document``
only words the problems jsonschema yields for the project's own file formats), yaml's in
``specs/documents.py``, json's in ``_json.py`` and redis-py's in ``payments/redis_store.py`` and
``sends/redis_ledger.py``;
so callers only ever need ``except OCPError``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    """The exit codes of the ``ocp-twilio`` command."""

    OK = 0
    NOT_COMPLETED = 1  # demo: the payment did not complete
    BAD_INPUT = 2  # unknown tool, malformed or invalid arguments (nothing was sent)
    API_ERROR = 3  # Twilio (or the sandbox) answered with an error, or a malformed success
    TRANSPORT_ERROR = 4  # no answer: connection refused, timeout, port in use
    CONFIGURATION = 5  # missing or malformed credentials, base URL or other settings
    REFUSED = 6  # the operator's policy refused the call, or its approval was not given


class OCPError(Exception):
    """Base class of every error raised by ocp_twilio."""

    exit_code: ExitCode = ExitCode.BAD_INPUT

    @property
    def retryable(self) -> bool:
        """Whether repeating the same call may succeed (only a safe repeat is ever suggested)."""
        return False

    @property
    def hint(self) -> str:
        """What to do next, for a model; "" where the message says it already."""
        return ""


class ConfigurationError(OCPError):
    """The agent or an API is set up wrongly (missing credentials, bad option, bad spec file)."""

    exit_code = ExitCode.CONFIGURATION

    @property
    def hint(self) -> str:
        return "This is a setup problem for the operator; changing the arguments will not help."


class SpecError(ConfigurationError):
    """An operation spec cannot be loaded; the message names the file and the field."""


class PolicyError(ConfigurationError):
    """A policy cannot be used: the message names the rule (and its line, from a file) and the
    fix."""


class CallRefused(OCPError):
    """The operator's policy refused the call, or the approval it needs was not given; nothing
    was sent. ``rule`` names the rule that decided; the message says what the policy allows."""

    exit_code = ExitCode.REFUSED

    def __init__(self, tool: str, rule: str, detail: str) -> None:
        self.tool = tool
        self.rule = rule
        super().__init__(f"{tool} was refused by the operator's policy ({rule}): {detail}")

    @property
    def hint(self) -> str:
        return (
            "Nothing was sent. Do not try another tool or other argument names to the same end; "
            "do what the policy allows, or tell the user that the operator must allow it."
        )


class APINotFound(OCPError, LookupError):
    """No API is registered, installed or listed under this name."""

    def __init__(self, name: str, suggestions: Sequence[str] = ()) -> None:
        self.name = name
        self.suggestions = tuple(suggestions)
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"No API named {_shown(name)!r}.{hint}")


class ToolNotFound(OCPError, LookupError):
    """No registered tool has this name (``suggestions`` lists close names)."""

    def __init__(self, name: str, suggestions: Sequence[str] = (), detail: str = "") -> None:
        self.name = name
        self.suggestions = tuple(suggestions)
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(detail or f"No tool named {_shown(name)!r}.{hint}")


class AmbiguousToolName(ToolNotFound):
    """A short tool name matches tools of several services; ``suggestions`` lists them."""

    def __init__(self, name: str, choices: Sequence[str]) -> None:
        super().__init__(
            name,
            choices,
            f"Tool name {name!r} is ambiguous; use one of: {', '.join(choices)}.",
        )


class ToolNotOffered(ToolNotFound):
    """A model named a tool that is not in the list it was given (``offered``, their names);
    nothing was sent. The result helpers and adapters answer it as an error result."""

    def __init__(self, name: str, offered: Sequence[str], suggestions: Sequence[str] = ()) -> None:
        self.offered = tuple(offered)
        if not self.offered:
            detail = (
                f"No tools were offered to the model, so {_shown(name)!r} was not run and nothing "
                "was sent. The application offers tools with tools_for(...), or passes them to "
                "the result helper as offered=."
            )
        else:
            close = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
            listed = ", ".join(self.offered[:_LISTED_NAMES])
            more = len(self.offered) - _LISTED_NAMES
            listed += f" and {more:,} more" if more > 0 else ""
            detail = (
                f"{_shown(name)!r} is not one of the tools you were given, so nothing was sent."
                f"{close} Your tools: {listed}."
            )
        super().__init__(name, suggestions, detail)


@dataclass(frozen=True)
class ArgumentError:
    """One problem with one argument, phrased so that a model can fix its call."""

    path: tuple[str | int, ...]
    message: str
    validator: str = ""

    @property
    def json_path(self) -> str:
        return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.path)

    def __str__(self) -> str:
        where = ".".join(_shown(str(p)) for p in self.path) or "(arguments)"
        return f"{where}: {self.message}"


def _shown(key: str) -> str:
    """A key as a message shows it: cut (a model's key can be megabytes long) and with unpaired
    surrogates escaped (the message goes out as UTF-8)."""
    cut = key if len(key) <= _LONGEST_SHOWN_KEY else key[:_LONGEST_SHOWN_KEY] + "..."
    return cut if cut.isascii() else cut.encode("utf-8", "backslashreplace").decode("utf-8")


_LONGEST_SHOWN_KEY = 64
# Problems listed in an error's message; ``errors`` keeps them all.
_LISTED_PROBLEMS = 20
# Offered tools named in ToolNotOffered's message; ``offered`` keeps them all.
_LISTED_NAMES = 20


def _listed(errors: Sequence[ArgumentError]) -> str:
    lines = "\n".join(f"- {e}" for e in errors[:_LISTED_PROBLEMS])
    more = len(errors) - _LISTED_PROBLEMS
    return lines + (f"\n- and {more:,} more problems" if more > 0 else "")


class InvalidArguments(OCPError, ValueError):
    """The arguments do not match the tool's input schema; nothing was sent.

    ``errors`` holds every problem found, not only the first.
    """

    def __init__(self, tool: str, errors: Iterable[ArgumentError]) -> None:
        self.tool = tool
        self.errors = tuple(errors)
        lines = _listed(self.errors)
        super().__init__(f"Invalid arguments for {tool}; nothing was sent. Fix:\n{lines}")


class RepeatedSend(InvalidArguments):
    """A send (createMessage, createCall) identical to one made ``age`` seconds ago, within the
    send ledger's window: refused, nothing was sent. ``key`` names the argument that makes a
    new send on purpose. The message holds no number and no body."""

    def __init__(self, tool: str, key: str, age: float, window: float) -> None:
        self.key = key
        self.age = age
        self.window = window
        problem = (
            f"an identical send was made {_duration(age)} ago; the library refuses a repeat "
            f"within {_duration(window)}. To send it again on purpose, call again with {key} "
            "set to a value you have not used for it"
        )
        super().__init__(tool, [ArgumentError((key,), problem)])

    @property
    def hint(self) -> str:
        return (
            "If the first one is what the user wanted, do not send again. Only if a second, "
            f"identical one is wanted, call again with {self.key} set to a new value."
        )


def _duration(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:.0f} min"
    return f"{max(seconds, 0):.0f} s"


class TwilioAPIError(OCPError):
    """Twilio (or a server speaking its protocol) answered with an error status."""

    def __init__(
        self,
        status: int,
        code: int | None,
        message: str,
        more_info: str | None = None,
        *,
        tool: str = "",
        request_id: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.more_info = more_info
        self.tool = tool
        # Twilio-Request-Id: the first thing Twilio's support asks for.
        self.request_id = request_id
        code_text = f" (Twilio error {code})" if code is not None else ""
        # The link after a full stop and a space, so that terminals find where it starts.
        end = "" if message.endswith((".", "!", "?")) else "."
        info = f"{end} See {more_info}" if more_info else ""
        prefix = f"{tool}: " if tool else ""
        request = f" (request {request_id})" if request_id else ""
        super().__init__(f"{prefix}HTTP {status}{code_text}: {message}{info}{request}")

    exit_code = ExitCode.API_ERROR

    @property
    def retryable(self) -> bool:
        return self.status == 429 or self.status >= 500

    @property
    def hint(self) -> str:
        if self.retryable:
            return "This is temporary: call again later with the same arguments."
        return "Twilio refused the request: change the arguments as the message says."


class ResponseValidationError(OCPError):
    """A success response does not match the operation's response schema (strict mode), or
    cannot be read at all. Twilio has acted on the call already: repeating it may act twice."""

    def __init__(self, tool: str, errors: Iterable[ArgumentError], body: Any = None) -> None:
        self.tool = tool
        self.errors = tuple(errors)
        self.body = body
        lines = _listed(self.errors)
        super().__init__(
            f"The call was made, but the response of {tool} does not match its schema:\n{lines}"
        )

    exit_code = ExitCode.API_ERROR

    @property
    def hint(self) -> str:
        if self.body is None:
            return "Do not repeat it blindly: check its effect first."
        body = json.dumps(self.body, ensure_ascii=False, separators=(",", ":"))
        shown = body if len(body) <= _SHOWN_BODY else body[:_SHOWN_BODY] + "... (cut)"
        return f"Its answer, not of the documented shape, was: {shown}"


# Characters of an off-schema answer shown to a model: enough to act on, not a whole page.
_SHOWN_BODY = 4000


class TransportError(OCPError):
    """The request could not be completed: connection failure, bad framing, unreadable body.

    ``nothing_sent`` is True where the request surely never reached the server (no connection
    could be made): repeating it cannot do anything twice.
    """

    def __init__(self, message: str, *, nothing_sent: bool = False) -> None:
        super().__init__(message)
        self.nothing_sent = nothing_sent

    exit_code = ExitCode.TRANSPORT_ERROR

    @property
    def retryable(self) -> bool:
        return True

    @property
    def hint(self) -> str:
        return (
            "The request may not have reached Twilio: call again with the same arguments "
            "(the same IdempotencyKey makes a repeat safe)."
        )


class RequestTimeout(TransportError, TimeoutError):
    """The call did not finish within its timeout."""


class ResponseTooLarge(TransportError):
    """The response body is larger than the dispatcher accepts (``max_response_bytes``)."""

    @property
    def retryable(self) -> bool:
        return False  # the same call gets the same answer

    @property
    def hint(self) -> str:
        return "The answer is too large to read: ask for less (a smaller PageSize, a filter)."


class ProgressStoreUnavailable(TransportError):
    """The shared store of payment progress (Redis) cannot be reached or refused the command.

    Nothing of the payment is lost by it: a callback not stored is answered 503, so Twilio sends
    it again, and the progress already stored is read again once the store is back.
    """

    @property
    def hint(self) -> str:
        return (
            "The payment progress cannot be read right now: call the same tool again in a few "
            "seconds; no progress is lost meanwhile."
        )


class TooManyWaits(ProgressStoreUnavailable):
    """A wait for payment progress was refused: the store already holds as many waits as it
    allows at once (``RedisProgressStore(max_waits=)``), each on a Redis connection of its own.
    Nothing else is refused: callbacks are stored and getPaymentStatus answers meanwhile."""

    @property
    def hint(self) -> str:
        return (
            "Call getPaymentStatus for the current state (it answers at once), or wait again "
            "in a few seconds, when other waits have ended."
        )


class OutcomeUnknown(TransportError):
    """A send (createMessage, createCall) whose request left but whose answer never came, or came
    as a 5xx: it may have gone out. It was not sent again; the library looked it up.

    ``outcome`` is what the look-up found: ``"sent"`` (``sid``, ``status`` and ``resource``, the
    record Twilio listed), ``"not sent"`` (nothing matched: sending again is safe) or
    ``"unknown"`` (the look-ups could not tell). ``lookups`` were made over ``seconds``, among
    the records since ``since`` (ISO 8601). The message and hint hold no number and no body.
    """

    def __init__(
        self,
        tool: str,
        reason: str,
        outcome: str,
        *,
        lookups: int,
        seconds: float,
        since: str,
        resource: Any = None,
        detail: str = "",
    ) -> None:
        self.tool = tool
        self.reason = reason
        self.outcome = outcome
        self.lookups = lookups
        self.seconds = seconds
        self.since = since
        self.resource = resource
        found = resource if isinstance(resource, dict) else {}
        self.sid: str | None = found.get("sid") if isinstance(found.get("sid"), str) else None
        self.status: str | None = (
            found.get("status") if isinstance(found.get("status"), str) else None
        )
        looked = f"{lookups} look-up(s) over {seconds:.1f} s of the records created since {since}"
        if outcome == "sent":
            status = f", status {self.status}" if self.status else ""
            said = f"sent ({self.sid}{status})"
        elif outcome == "not sent":
            said = "not sent"
        else:
            said = "still unknown" + (f" ({detail})" if detail else "")
        super().__init__(
            f"{tool}: outcome unknown ({reason.rstrip('.')}); it was not sent again. "
            f"Reconciled by {looked}: {said}."
        )

    @property
    def retryable(self) -> bool:
        return self.outcome == "not sent"

    @property
    def hint(self) -> str:
        if self.outcome == "sent":
            return (
                f"It went out: use {self.sid}. Do not send it again, or the person gets it twice."
            )
        if self.outcome == "not sent":
            return "Nothing went out: calling again with the same arguments is safe."
        return (
            "Do not send it again blindly: look for it (list the messages or calls to that "
            "number) or ask the user first; an identical send is refused for a while unless it "
            "carries a new SendKey."
        )


class SendLedgerUnavailable(TransportError):
    """The shared send ledger (Redis) cannot be reached or refused the command. Nothing was
    sent: without the ledger, a repeat could not be told from a first send."""

    def __init__(self, message: str) -> None:
        super().__init__(message, nothing_sent=True)

    @property
    def hint(self) -> str:
        return "Nothing was sent: call again with the same arguments in a few seconds."
