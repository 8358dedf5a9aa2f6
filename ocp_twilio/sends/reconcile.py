"""Looking up a send whose outcome is unknown: did the message or call come into being?

The send's own collection is listed (``operations.lookup_spec``: the same host and path, GET),
filtered by its To and From, one page of :data:`PAGE_SIZE` records, through the API's
dispatcher (its auth, host scope, timeout and retries: a GET is retried where safe). A record
matches when it is outbound, was created at most :data:`CLOCK_SKEW` seconds before the send
began (Twilio's clock against ours), its To, From and Messaging Service are the arguments', and
for a message its body is the one sent (or ends with it: a trial account prefixes its own words).

Not by DateSent or StartTime: Twilio fills those once a message leaves its queue or a call is
answered, so a filter on them would miss the very send that is still queued, and answer "not
sent" for it. "Not sent" is said only when a page listed every record of the filter (fewer than
PAGE_SIZE) and none matched, after :data:`DEFAULT_SEND_LOOKUPS` look-ups, one every interval (the
first after one interval: Twilio may still be working on the request that timed out). A look-up
that fails, or a full page without a match, leaves the outcome unknown.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from .._exceptions import OCPError, OutcomeUnknown
from ..http.dispatch import Dispatcher
from ..http.transport import Transport
from ..tools.tool import Tool
from .operations import SendKind

__all__ = ["CLOCK_SKEW", "LOOKUP_TIMEOUT", "PAGE_SIZE", "look_up"]

logger = logging.getLogger("ocp_twilio")

PAGE_SIZE = 50
# Twilio's clock may be this far behind or ahead of ours.
CLOCK_SKEW = 60.0
# One look-up's bound (the API's own timeout where shorter).
LOOKUP_TIMEOUT = 10.0


async def look_up(
    dispatcher: Dispatcher,
    transport: Transport,
    lookup: Tool,
    kind: SendKind,
    arguments: Mapping[str, Any],
    began: float,
    *,
    tool: str,
    reason: str,
    lookups: int,
    interval: float,
    in_flight: asyncio.Semaphore | None,
) -> OutcomeUnknown:
    """What ``lookups`` look-ups, ``interval`` seconds apart, find of the send made with
    ``arguments`` at ``began`` (time.time): the OutcomeUnknown of ``tool``, whose outcome is
    unknown for ``reason``."""
    cutoff = began - CLOCK_SKEW
    since = datetime.fromtimestamp(cutoff, timezone.utc).isoformat(timespec="seconds")
    query = {name: arguments[name] for name in kind.filters if name in arguments}
    if "AccountSid" in arguments:
        query["AccountSid"] = arguments["AccountSid"]
    query["PageSize"] = PAGE_SIZE
    started = time.monotonic()
    detail = ""
    made = 0
    complete = False
    for _ in range(lookups):
        await asyncio.sleep(interval)
        made += 1
        try:
            page = await dispatcher.call(
                transport,
                lookup,
                query,
                timeout=min(LOOKUP_TIMEOUT, dispatcher.timeout.attempt),
                in_flight=in_flight,
            )
        except OCPError as exc:
            # Its kind only: the message of a failed look-up may quote the filter (the numbers).
            complete, detail = False, f"the last look-up failed: {type(exc).__name__}"
            continue
        records = page.get(kind.records) if isinstance(page, Mapping) else None
        if not isinstance(records, list):
            complete, detail = False, "the last look-up's answer held no list of records"
            continue
        found = next((r for r in records if _matches(r, kind, arguments, cutoff)), None)
        if found is not None:
            return OutcomeUnknown(
                tool,
                reason,
                "sent",
                lookups=made,
                seconds=time.monotonic() - started,
                since=since,
                resource=found,
            )
        complete = len(records) < PAGE_SIZE
        detail = "" if complete else f"more than {PAGE_SIZE} records to look through"
        # Twilio may store a send otherwise than it was asked (a shortened link, a number in
        # another form): a recent send to that number that differs is no proof of "not sent".
        if complete and any(_is_recent_outbound(r, cutoff) for r in records):
            complete, detail = False, "a send to that number since then differs from this one"
    addresses = [query[name] for name in ("To", "From") if name in query]
    if not all(_PLAIN_ADDRESS.fullmatch(str(address)) for address in addresses):
        complete, detail = False, "the numbers were not given as Twilio lists them (E.164)"
    outcome = "not sent" if complete else "unknown"
    logger.warning("%s: outcome unknown; %d look-up(s) found it %s", lookup.name, made, outcome)
    return OutcomeUnknown(
        tool,
        reason,
        outcome,
        lookups=made,
        seconds=time.monotonic() - started,
        since=since,
        detail=detail,
    )


# An address as Twilio lists it: E.164 (+15558675310), maybe with a channel (whatsapp:+1...),
# a client or SIP name, or an alphanumeric sender: no spaces, dashes or brackets.
_PLAIN_ADDRESS = re.compile(r"(?:[a-z]+:)?\+?[A-Za-z0-9@._]+")


def _is_recent_outbound(record: Any, cutoff: float) -> bool:
    if not isinstance(record, Mapping):
        return False
    if not str(record.get("direction") or "outbound").startswith("outbound"):
        return False
    created = _timestamp(record.get("date_created"))
    return created is None or created >= cutoff


def _matches(record: Any, kind: SendKind, arguments: Mapping[str, Any], cutoff: float) -> bool:
    if not _is_recent_outbound(record, cutoff):
        return False
    assert isinstance(record, Mapping)
    for argument, field in kind.compared:
        if argument in arguments and record.get(field) != arguments[argument]:
            return False
    body = arguments.get("Body")
    if body is not None and kind.noun == "message":
        listed = record.get("body")
        if not isinstance(listed, str) or not (listed == body or listed.endswith(" - " + body)):
            return False
    return True


def _timestamp(value: Any) -> float | None:
    """Seconds of Twilio's RFC 2822 date (ISO 8601 also read); None where it is unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()
