"""Spans leave the process with their exceptions named by type, never by message.

An exception's message quotes what it tripped over: BadUserInput the number a document wrote
(«first» må være mellom 1 og 100, ikke 987654), asyncpg the parameter it could not take, an
integrity error the key. strawberry's resolver spans, the SQL spans and the ASGI server span
each record one as an `exception` event (message and stack trace) and as the status's
description. Rather than patch each instrumentation, the exporter drops both, the one place
every span passes. Loaded only when traces are on (edge/tracing.py)."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import Status

# What an `exception` event keeps: the class and whether it left the span, no text.
_KEPT = ("exception.type", "exception.escaped")


class WithoutMessages(SpanExporter):
    """Exports through `exporter` the spans as recorded, less exception messages."""

    def __init__(self, exporter: SpanExporter) -> None:
        self.exporter = exporter

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.exporter.export([without_messages(span) for span in spans])

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.exporter.force_flush(timeout_millis)


def without_messages(span: ReadableSpan) -> ReadableSpan:
    """The span with no status description and `exception` events holding only the type."""
    if span.status.description is None and not any(e.name == "exception" for e in span.events):
        return span  # most spans: nothing to drop, nothing copied
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=span.attributes,
        events=[_event(event) for event in span.events],
        links=span.links,
        kind=span.kind,
        status=Status(span.status.status_code),
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


def _event(event: Event) -> Event:
    if event.name != "exception":
        return event
    kept = {key: value for key, value in (event.attributes or {}).items() if key in _KEPT}
    return Event(event.name, kept, timestamp=event.timestamp)
