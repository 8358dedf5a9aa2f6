"""The spans the library exports, caught by the OpenTelemetry SDK's InMemorySpanExporter."""

from __future__ import annotations

from functools import cache

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


@cache
def _exporter() -> InMemorySpanExporter:
    # The process has one tracer provider, set once: this one, unless the SDK's is already set.
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    return memory


def captured_spans() -> InMemorySpanExporter:
    """The exporter every span of the process goes to, emptied."""
    memory = _exporter()
    memory.clear()
    return memory


def tool_call_ids(memory: InMemorySpanExporter) -> list[object]:
    """The call ids of the library's spans (frameworks such as ADK export their own too)."""
    ours = [
        span
        for span in memory.get_finished_spans()
        if span.instrumentation_scope and span.instrumentation_scope.name == "ocp_twilio"
    ]
    return [(span.attributes or {}).get("gen_ai.tool.call.id") for span in ours]
