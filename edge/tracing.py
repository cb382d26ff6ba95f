"""OpenTelemetry traces, sent over OTLP/HTTP (protobuf) when an endpoint is configured.

On only when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set (and
OTEL_SDK_DISABLED is not true); otherwise nothing here runs, not even a no-op span, so the hot
path costs what it did. The SDK reads the rest of the standard settings itself
(OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION, OTEL_BSP_*, OTEL_TRACES_SAMPLER,
OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME, here defaulting to `tilpass`).

A traced request has, all in one trace joined to the caller's W3C `traceparent`:
- the server span of the ASGI instrumentation, outermost, so cache hits are traced too;
- strawberry's spans for the GraphQL operation (with `graphql.operation.type`,
  `graphql.operation.name` and `graphql.document.id`), parsing, validation and each
  resolver, without arguments;
- one span per SQL statement from the SQLAlchemy instrumentation (`db.system`,
  `db.statement` with placeholders: parameters are never recorded).

Spans carry no value a request sent (DOMAIN.md): not its arguments, and not its document
either, which may write values inline (a practice's text, a GP's HPR number). The operation
span names the document by `sha256:<hex>` instead, the id the persisted-document manifests
use. The query string is left out of the server span's URL, as it is left out of the logs: a
GET request's document and variables are in it. Exceptions leave named by type only
(edge/trace_redaction.py): their messages quote values."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.middleware import Middleware
from strawberry.extensions import LifecycleStep
from strawberry.extensions.tracing import OpenTelemetryExtension

from edge.documents import PREFIX, id_of

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

DEFAULT_SERVICE_NAME = "tilpass"
# Attributes of the server span that would carry the query string.
_URL_ATTRIBUTES = ("http.url", "url.full", "http.target")

_provider: TracerProvider | None = None


def tracer_provider(environ: Mapping[str, str] | None = None) -> TracerProvider:
    """The process's tracer provider, exporting in batches over OTLP/HTTP; made once, and
    made the global one so that every instrumentation finds it."""
    # The SDK, the exporter and the instrumentations are loaded only when traces are on.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from edge.trace_redaction import WithoutMessages

    global _provider
    if _provider is None:
        environ = os.environ if environ is None else environ
        name = environ.get("OTEL_SERVICE_NAME", "").strip() or DEFAULT_SERVICE_NAME
        _provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
        _provider.add_span_processor(BatchSpanProcessor(WithoutMessages(OTLPSpanExporter())))
        trace.set_tracer_provider(_provider)
    return _provider


@dataclass(frozen=True)
class Tracing:
    """Traces for one app: its server spans and its database's statements."""

    provider: TracerProvider

    @classmethod
    def start(cls) -> Tracing:
        return cls(tracer_provider())

    def server_spans(self) -> Middleware:
        """The ASGI instrumentation as a middleware: one server span per request."""
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

        return Middleware(
            OpenTelemetryMiddleware,
            tracer_provider=self.provider,
            server_request_hook=_without_query,
            # A span for each ASGI message says nothing an operator needs.
            exclude_spans=["receive", "send"],
        )

    def trace_statements(self, engine: AsyncEngine) -> None:
        """A span per SQL statement on this engine."""
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

        # The instrumentation declares SQLAlchemy < 2.1; the engine events it listens to are
        # the same in 2.1 (tests/test_tracing.py sees the statements' spans).
        SQLAlchemyInstrumentor().instrument(
            engine=engine.sync_engine, tracer_provider=self.provider, skip_dep_check=True
        )


def _without_query(span: trace.Span, scope: dict[str, Any]) -> None:
    if not span.is_recording():
        return
    attributes = getattr(span, "attributes", None) or {}
    for key in _URL_ATTRIBUTES:
        value = attributes.get(key)
        if isinstance(value, str) and "?" in value:
            span.set_attribute(key, value.split("?", 1)[0])
    if "url.query" in attributes:
        span.set_attribute("url.query", "")


def _no_arguments(arguments: dict[str, Any], info: Any) -> dict[str, Any]:
    # Arguments hold practice texts and patients' GPs: traces get the shape, not the content.
    return {}


class GraphQLSpans(OpenTelemetryExtension):
    """strawberry's OpenTelemetry extension, on the global provider, with no arguments in its
    resolver spans, and an operation span that holds the document's id, type and name where
    strawberry's holds the whole document (attribute `query`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(arg_filter=_no_arguments, **kwargs)

    def on_operation(self) -> Iterator[None]:
        # strawberry's own, less the document text: an attribute once set cannot be removed.
        context = self.execution_context
        named = context.operation_name
        span = self._tracer.start_span(
            f"GraphQL Query: {named}" if named else "GraphQL Query", kind=SpanKind.SERVER
        )
        self._span_holder[LifecycleStep.OPERATION] = span
        span.set_attribute("component", "graphql")
        if context.query:
            span.set_attribute("graphql.document.id", f"{PREFIX}{id_of(context.query)}")
        yield
        try:
            kind = context.operation_type.value
        except Exception:
            kind = None  # no document to tell (it did not parse)
        if kind is not None:
            span.set_attribute("graphql.operation.type", kind)
        if context.operation_name:
            span.set_attribute("graphql.operation.name", context.operation_name)
            if not named:  # the document's only operation, known once it is parsed
                span.update_name(f"GraphQL Query: {context.operation_name}")
        span.end()


class TraceIdFilter(logging.Filter):
    """Gives a log line written inside a trace its `trace_id` (32 hex digits) and `span_id`,
    so that the lines of a request can be found from its trace and the other way round."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_id = format(context.trace_id, "032x")
            record.span_id = format(context.span_id, "016x")
        return True
