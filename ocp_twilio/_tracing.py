"""OpenTelemetry spans for tool calls (the ``otel`` extra), after the GenAI semantic conventions
for tool execution: ``execute_tool {tool}``, with the operation, the HTTP method and status,
``error.type``, and Twilio's error code and request id and the retry count.

A span never holds an argument value, a credential or an error message (Twilio's messages may
quote the arguments): only names, numbers and ids. Until the application imports
opentelemetry-api, nothing is done beyond one look-up in ``sys.modules`` per call.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ._exceptions import TwilioAPIError
from ._version import __version__
from .http.dispatch import Attempts
from .tools.tool import Tool

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

__all__ = ["call_span", "tracer"]

# The attributes of this project, beside the conventions' own.
TWILIO_ERROR_CODE = "twilio.error_code"
TWILIO_REQUEST_ID = "twilio.request_id"
RETRY_COUNT = "ocp_twilio.retry_count"
API_NAME = "ocp_twilio.api"
POLICY_DECISION = "ocp_twilio.policy.decision"


def tracer() -> Tracer | None:
    """The library's tracer once the application has imported OpenTelemetry's API (setting up a
    tracer provider does), else None.

    The library never imports it itself: the import would block the running event loop on a
    first call (some 80 ms), and without the application's provider its spans would go nowhere.
    """
    if not _TRACER:
        trace = sys.modules.get("opentelemetry.trace")
        if trace is None:
            return None
        _TRACER.append(trace.get_tracer("ocp_twilio", __version__))
    return _TRACER[0]


_TRACER: list[Tracer] = []


@contextmanager
def call_span(tracer: Tracer, tool: Tool, call_id: str | None) -> Iterator[Attempts]:
    """A span around one call of ``tool``; the dispatcher fills in the Attempts it yields."""
    from opentelemetry.trace import SpanKind, Status, StatusCode

    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": tool.name,
        "gen_ai.tool.type": "function",
        API_NAME: tool.api,
    }
    if tool.method:  # a local tool (the progress tools) sends no HTTP request
        attributes["http.request.method"] = tool.method
    if call_id:
        attributes["gen_ai.tool.call.id"] = call_id
    attempts = Attempts()
    # Exceptions are not recorded as events: their messages may quote argument values.
    with tracer.start_as_current_span(
        f"execute_tool {tool.name}",
        kind=SpanKind.INTERNAL,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield attempts
        except BaseException as exc:
            span.set_attribute("error.type", type(exc).__name__)
            if isinstance(exc, TwilioAPIError) and exc.code is not None:
                span.set_attribute(TWILIO_ERROR_CODE, exc.code)
            span.set_status(Status(StatusCode.ERROR))
            raise
        finally:
            span.set_attribute(RETRY_COUNT, attempts.retries)
            if attempts.decision is not None:
                span.set_attribute(POLICY_DECISION, attempts.decision)
            if attempts.status is not None:
                span.set_attribute("http.response.status_code", attempts.status)
            if attempts.request_id:
                span.set_attribute(TWILIO_REQUEST_ID, attempts.request_id)
