"""Prometheus metrics at /metrics: GraphQL requests by operation and outcome, their latency,
and the patient view's response-cache hits.

`operation` is the operation type and the root fields it asks for ("query:patientPanel"),
checked against the schema, never the client's operation name or anything else a client can
make up: the number of series stays bounded by the schema. `outcome` is one of ok, refused
(UNAUTHENTICATED or FORBIDDEN), invalid (the request's fault, a limit included) and error
(ours, the database being unreachable included). A response the cache answered (200 with
its ETag, or 304) never reaches GraphQL: it counts as ok and as a cache hit."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs

import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry
from prometheus_client.exposition import generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edge.request_metrics import RequestMetrics

NOTE = "tilpass.metrics"
# The document and operation name GraphQL ran, left in the scope by the GraphQL view: the
# request may have named its document by id only (documentId, Apollo's persisted queries).
NAMED_DOCUMENT = "tilpass.named_document"
GRAPHQL_PATH = "/graphql"
META_FIELDS = frozenset({"__typename"})
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
REFUSALS = frozenset({"UNAUTHENTICATED", "FORBIDDEN"})
SERVER_FAULTS = frozenset({"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"})


@dataclass
class RequestNote:
    """What the GraphQL view found out about one request; unset when it never ran."""

    outcome: str | None = None
    operation: str | None = None


def note_outcome(scope: Scope, errors: Iterable[GraphQLError] | None) -> None:
    """Records, for the request in `scope`, how its GraphQL answer went."""
    note = scope.get(NOTE)
    if note is not None:
        note.outcome = outcome_of(errors)


def outcome_of(errors: Iterable[GraphQLError] | None) -> str:
    codes = {(error.extensions or {}).get("code") for error in errors or ()}
    if not codes:
        return "ok"
    if codes & SERVER_FAULTS:
        return "error"
    if codes <= REFUSALS:
        return "refused"
    return "invalid"


def root_fields(schema: strawberry.Schema) -> dict[str, frozenset[str]]:
    """The field names each operation type may start from."""
    graphql_schema = schema._schema
    fields = {}
    for kind, root in (
        ("query", graphql_schema.query_type),
        ("mutation", graphql_schema.mutation_type),
    ):
        if root is not None:
            fields[kind] = frozenset(root.fields) | META_FIELDS
    if "query" in fields:
        fields["query"] |= INTROSPECTION_FIELDS
    return fields


class Metrics:
    def __init__(self, schema: strawberry.Schema, *, max_tokens: int) -> None:
        self.registry = CollectorRegistry()
        # The request counts and latencies (edge/request_metrics.py).
        self.requests = RequestMetrics()
        self.registry.register(self.requests)
        self._fields = root_fields(schema)
        self._max_tokens = max_tokens
        # Repeated documents (the patient page's) are named without parsing them again; bounded
        # like strawberry's own parser cache.
        self._named = lru_cache(maxsize=256)(self._name)

    async def endpoint(self, request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

    def record(self, operation: str, outcome: str, seconds: float, *, cache_hit: bool) -> None:
        self.requests.record(operation, outcome, seconds, cache_hit=cache_hit)

    def operation(self, method: str, query_string: bytes, body: bytes) -> str:
        """The `operation` label of a request as it was sent."""
        document, name = _document(method, query_string, body)
        return "none" if document is None else self._named(document, name)

    def named(self, document: str, name: str | None) -> str:
        """The `operation` label of the document GraphQL ran (which may have come by id)."""
        return self._named(document, name)

    def _name(self, document: str, name: str | None) -> str:
        try:
            parsed = parse(document, max_tokens=self._max_tokens, no_location=True)
        except Exception:
            return "invalid"
        return self._label(parsed, name)

    def _label(self, document: DocumentNode, name: str | None) -> str:
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if name is not None:
            operations = [op for op in operations if op.name and op.name.value == name]
        if len(operations) != 1:
            return "invalid"
        operation = operations[0]
        kind = operation.operation.value
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        names = set(_field_names(operation.selection_set, fragments, set()))
        if not names or not names <= self._fields.get(kind, frozenset()):
            return f"{kind}:unknown"
        return f"{kind}:{'+'.join(sorted(names))}"


def _document(method: str, query_string: bytes, body: bytes) -> tuple[str | None, str | None]:
    try:
        if method == "GET":
            params = parse_qs(query_string.decode("latin-1"))
            data: Any = {key: values[-1] for key, values in params.items()}
        else:
            data = json.loads(body)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(data, dict) or not isinstance(data.get("query"), str):
        return None, None
    name = data.get("operationName")
    return data["query"], name if isinstance(name, str) else None


def _field_names(
    selections: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: set[str],
) -> Iterator[str]:
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            yield selection.name.value
        elif isinstance(selection, InlineFragmentNode):
            yield from _field_names(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:
                seen.add(name)
                yield from _field_names(fragments[name].selection_set, fragments, seen)


class GraphQLMetrics:
    """Times and counts the requests to /graphql, whatever answers them: GraphQL, the response
    cache, or a limit in front of them. Reads the body as the app reads it, never more."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != GRAPHQL_PATH:
            await self.app(scope, receive, send)
            return
        note = scope[NOTE] = RequestNote()
        chunks: list[bytes] = []
        response: dict[str, Any] = {"status": 500, "etag": False, "html": False}

        async def tee() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
            return message

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                response["status"] = message["status"]
                response["etag"] = b"etag" in headers
                response["html"] = headers.get(b"content-type", b"").startswith(b"text/html")
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, tee, watch)
        finally:
            if not response["html"]:  # GraphiQL's page is no GraphQL request
                elapsed = time.perf_counter() - started
                status = response["status"]
                cache_hit = note.outcome is None and (
                    status == 304 or (status == 200 and response["etag"])
                )
                outcome = note.outcome or _outcome_of_status(status, cache_hit)
                named = scope.get(NAMED_DOCUMENT)
                operation = (
                    self.metrics.operation(scope["method"], scope["query_string"], b"".join(chunks))
                    if named is None
                    else self.metrics.named(*named)
                )
                note.outcome, note.operation = outcome, operation
                self.metrics.record(operation, outcome, elapsed, cache_hit=cache_hit)


def _outcome_of_status(status: int, cache_hit: bool) -> str:
    if cache_hit:
        return "ok"
    return "error" if status >= 500 else "invalid"
