"""OpenTelemetry: a real `tilpass serve` with OTEL_EXPORTER_OTLP_ENDPOINT set sends its traces
over OTLP/HTTP to a real receiver started here, which decodes them with opentelemetry-proto.
One request's trace joins the caller's `traceparent` and holds the server span, the GraphQL
operation's span and its SQL statements' spans; its log line names the trace. No value a
document writes inline reaches the receiver, only the document's hash. Without an endpoint,
nothing of it is in the app."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from app import create_app
from edge.documents import id_of
from edge.limits import schema_for
from settings import Settings, load_settings
from tests.servers import Server
from web.documents import page_operations

STORGATA = 8142519  # in the demo registry


class Receiver:
    """An OTLP/HTTP trace receiver on a free port: every span it is sent, with its resource."""

    def __init__(self) -> None:
        self.spans: list[tuple[dict[str, Any], Span]] = []
        # Every export request as received, decompressed: what a collector would store.
        self.bodies: list[bytes] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                request = ExportTraceServiceRequest.FromString(body)
                with receiver.lock:
                    receiver.bodies.append(body)
                    for resource_spans in request.resource_spans:
                        resource = attributes(resource_spans.resource.attributes)
                        for scope_spans in resource_spans.scope_spans:
                            receiver.spans.extend((resource, s) for s in scope_spans.spans)
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of_trace(self, trace_id: str) -> list[tuple[dict[str, Any], Span]]:
        with self.lock:
            return [(r, s) for r, s in self.spans if s.trace_id.hex() == trace_id]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def attributes(pairs: Any) -> dict[str, Any]:
    values = {}
    for pair in pairs:
        kind = pair.value.WhichOneof("value")
        values[pair.key] = getattr(pair.value, kind) if kind else None
    return values


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


def server_env(tmp_path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TILPASS_", "OTEL_"))}
    env["TILPASS_DATABASE_URL"] = f"sqlite:///{tmp_path / 'tilpass.db'}"
    env["TILPASS_LOG_FORMAT"] = "json"
    return {**env, **extra}


def test_a_request_is_traced_from_the_caller_to_each_sql_statement(tmp_path, receiver):
    # Given the demo registry and a server sending traces to the receiver, soon after each span
    env = server_env(
        tmp_path, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY="50"
    )
    subprocess.run(
        [sys.executable, "-m", "cli", "seed-demo"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    server = Server(cwd=tmp_path, env=env).start()
    trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
    panel = next(o for o in page_operations() if o.name == "PatientPanel")
    try:
        # When the patient preview's query comes from a caller already in a trace
        response = httpx.post(
            f"{server.base}/graphql?secret=1",
            json={"documentId": f"sha256:{id_of(panel.body)}", "variables": {"herId": STORGATA}},
            headers={"traceparent": f"00-{trace_id}-{parent_id}-01"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        assert "errors" not in response.json()
        spans = wait_for(receiver, trace_id)
    finally:
        server.stop()
    by_name = {span.name: (resource, span) for resource, span in spans}
    # Then the server span is the caller's child, named by the service's default name
    resource, root = next((r, s) for r, s in spans if s.parent_span_id.hex() == parent_id)
    assert root.kind == Span.SPAN_KIND_SERVER
    assert resource["service.name"] == "tilpass"
    root_attributes = attributes(root.attributes)
    assert all("secret" not in str(value) for value in root_attributes.values()), root_attributes
    # And GraphQL's operation span under it, with the operation's type and name
    operation = next(s for _, s in spans if s.name.startswith("GraphQL Query"))
    operation_attributes = attributes(operation.attributes)
    assert operation_attributes["graphql.operation.type"] == "query"
    assert operation_attributes["graphql.operation.name"] == "PatientPanel"
    assert operation_attributes["graphql.document.id"] == f"sha256:{id_of(panel.body)}"
    assert "query" not in operation_attributes
    assert descends_from(operation, root, spans)
    # And a span per SQL statement, with the database's attributes and no parameters
    statements = [s for _, s in spans if "db.statement" in attributes(s.attributes)]
    assert statements, sorted(by_name)
    for statement in statements:
        statement_attributes = attributes(statement.attributes)
        assert statement_attributes["db.system"] == "sqlite"
        assert str(STORGATA) not in statement_attributes["db.statement"]
        assert descends_from(statement, root, spans)
    # And the request's log line names the trace
    lines = [json.loads(line) for line in server.log.read_text().splitlines() if line[:1] == "{"]
    access = [line for line in lines if line.get("path") == "/graphql"]
    assert [line.get("trace_id") for line in access] == [trace_id]


def wait_for(receiver: Receiver, trace_id: str) -> list[tuple[dict[str, Any], Span]]:
    """The trace's spans once its server span and a statement's have arrived (batches come
    every 50 ms; the deadline is only there so that a broken exporter fails the test)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        spans = receiver.of_trace(trace_id)
        kinds = {s.kind for _, s in spans}
        statements = any("db.statement" in attributes(s.attributes) for _, s in spans)
        operation = any(s.name.startswith("GraphQL Query") for _, s in spans)
        if Span.SPAN_KIND_SERVER in kinds and statements and operation:
            time.sleep(0.2)  # the rest of the batch
            return receiver.of_trace(trace_id)
        time.sleep(0.05)
    raise AssertionError(f"no whole trace arrived: {[s.name for _, s in receiver.spans]}")


def descends_from(span: Span, ancestor: Span, spans: list[tuple[dict[str, Any], Span]]) -> bool:
    parents = {s.span_id: s.parent_span_id for _, s in spans}
    current = span.span_id
    while current in parents:
        if current == ancestor.span_id:
            return True
        current = parents[current]
    return current == ancestor.span_id


# Values written into documents, each of which a trace must not carry.
SECRET_TEXT = "Hemmelig-tekst-4711"
POSTED_HPR = "1810001"  # inline in a POSTed query
GET_HPR = "5550123"  # inline in a GET request's query string
FIRST = "987654"  # refused, by an error message that quotes it
INLINE_MUTATION = f"""mutation Lagre {{
  saveTexts(input: {{herId: {STORGATA}, texts: [{{slot: RESEPTFORNYELSE, text: "{SECRET_TEXT}"}}]}}) {{
    userErrors {{ code }}
  }}
}}"""
INLINE_QUERY = f"query Panel {{ patientPanel(herId: {STORGATA}, practitionerHpr: {POSTED_HPR}) {{ __typename }} }}"
GET_QUERY = f"{{ patientPanel(herId: {STORGATA}, practitionerHpr: {GET_HPR}) {{ __typename }} }}"
REFUSED_QUERY = f"query Logg {{ practice(herId: {STORGATA}) {{ auditLog(first: {FIRST}) {{ pageInfo {{ hasNextPage }} }} }} }}"
LITERALS = (SECRET_TEXT, POSTED_HPR, GET_HPR, FIRST)


def test_spans_carry_the_documents_hash_not_their_literal_values(tmp_path, receiver):
    # Given a server sending gzipped traces to the receiver, and a GP's token
    env = server_env(
        tmp_path,
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
        OTEL_EXPORTER_OTLP_COMPRESSION="gzip",
        OTEL_BSP_SCHEDULE_DELAY="50",
    )
    cli = [sys.executable, "-m", "cli"]
    run = {"cwd": tmp_path, "env": env, "check": True, "capture_output": True, "timeout": 60}
    subprocess.run([*cli, "seed-demo"], **run)
    token = subprocess.run([*cli, "token", "--hpr", "9144889"], **run, text=True)
    bearer = {"Authorization": f"Bearer {token.stdout.strip().splitlines()[-1]}"}
    server = Server(cwd=tmp_path, env=env).start()
    traced: dict[str, str] = {}  # trace id: the document the request sent

    def send(document: str, *, get: bool = False) -> dict[str, Any]:
        trace_id = secrets.token_hex(16)
        headers = {**bearer, "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}
        url = f"{server.base}/graphql"
        if get:
            response = httpx.get(url, params={"query": document}, headers=headers, timeout=10)
        else:
            response = httpx.post(url, json={"query": document}, headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        traced[trace_id] = document
        return response.json()

    try:
        # When documents with values written inline are sent, over POST and GET
        saved = send(INLINE_MUTATION)
        assert saved == {"data": {"saveTexts": {"userErrors": []}}}, saved
        assert "errors" not in send(INLINE_QUERY)
        assert "errors" not in send(GET_QUERY, get=True)
        refused = send(REFUSED_QUERY)
        assert [e["extensions"]["code"] for e in refused["errors"]] == ["BAD_USER_INPUT"]
        assert FIRST in refused["errors"][0]["message"]  # the value is in the answer only
        operations = {trace_id: operation_of(receiver, trace_id) for trace_id in traced}
    finally:
        server.stop()
    # Then no value written in any document is anywhere in what the collector got
    with receiver.lock:
        bodies, spans = list(receiver.bodies), [span for _, span in receiver.spans]
    assert bodies and spans
    for literal in LITERALS:
        assert all(literal.encode() not in body for body in bodies), literal
        for span in spans:
            texts = [span.name, *map(str, attributes(span.attributes).values())]
            for event in span.events:
                texts += [event.name, *map(str, attributes(event.attributes).values())]
            assert all(literal not in text for text in texts), (literal, span)
    # And each operation span names its document by hash, and holds no document text
    for trace_id, document in traced.items():
        operation = attributes(operations[trace_id].attributes)
        digest = hashlib.sha256(document.encode("utf-8")).hexdigest()
        assert operation["graphql.document.id"] == f"sha256:{digest}", operation
        assert all(document not in str(value) for value in operation.values()), operation
    assert attributes(operations[next(iter(traced))].attributes)["graphql.operation.name"] == (
        "Lagre"
    )


def operation_of(receiver: Receiver, trace_id: str) -> Span:
    """The GraphQL operation span of a trace, once the trace's server span has come too."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        spans = [span for _, span in receiver.of_trace(trace_id)]
        operation = [s for s in spans if s.name.startswith("GraphQL Query")]
        if operation and any(s.name.startswith(("GET", "POST")) for s in spans):
            time.sleep(0.2)  # the rest of the batch
            return operation[0]
        time.sleep(0.05)
    raise AssertionError(f"no operation span arrived: {[s.name for _, s in receiver.spans]}")


def test_without_an_endpoint_nothing_is_traced():
    assert not load_settings({}).tracing
    assert not load_settings(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"}
    ).tracing
    assert load_settings({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}).tracing
    app = create_app(object(), settings=Settings())  # type: ignore[arg-type]
    assert all("OpenTelemetry" not in m.cls.__name__ for m in app.user_middleware)
    extensions = schema_for(Settings()).extensions
    assert all("Spans" not in getattr(e, "__name__", repr(e)) for e in extensions)
