"""Logs, each tied to the request it belongs to, and a last line of defence.

Production writes one JSON object per line on standard error: time, level, logger, message,
the id of the request it belongs to, and the record's own fields. So does any run whose
standard error is not a terminal, or with TILPASS_LOG_FORMAT=json. A development run on a
terminal writes one short line a person can read instead (TILPASS_LOG_FORMAT=console forces
it). The request id is the client's
X-Request-ID when that is a plain token (as a load balancer sends), else a new one; it goes
back in the X-Request-ID response header.

Never logged: the Authorization header (tokens), request and response bodies (practice texts,
variables) and query strings (a GET request's variables). The access log line has the method,
path, status, duration and, for GraphQL, the operation and outcome of edge/metrics.py.

An exception that escapes everything else becomes a 500 whose body holds only a message and
the request id as reference, which the log line of the exception has too."""

from __future__ import annotations

import logging
import random
import re
import sys
import time
from contextvars import ContextVar
from typing import IO, Any

from pythonjsonlogger.orjson import OrjsonFormatter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edge.graphql_over_http import send_json
from edge.metrics import NOTE
from schema.errors import unexpected_message

REQUEST_ID: ContextVar[str | None] = ContextVar("tilpass_request_id", default=None)
REQUEST_ID_HEADER = b"x-request-id"
# Where a request's id is kept on its scope once made.
_SCOPE_KEY = "tilpass.request_id"
_PLAIN_ID = re.compile(rb"[A-Za-z0-9._-]{8,128}")
# Probes and scrapes come every few seconds; their lines would drown the rest.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

access_log = logging.getLogger("tilpass.access")
log = logging.getLogger("tilpass")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        # uvicorn's copy of its message with terminal colour codes, in neither format.
        record.__dict__.pop("color_message", None)
        return True


def json_handler(stream: IO[str] | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    # orjson writes a line in a fraction of the standard library's time: every request writes
    # one (tests/test_logs.py reads them back).
    handler.setFormatter(
        OrjsonFormatter(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )
    )
    handler.addFilter(RequestIdFilter())
    return handler


class ConsoleFormatter(logging.Formatter):
    """`15:24:10 INFO  POST /graphql 200 3.1 ms patientService ok  [a1b2c3d4]`: the access
    line reads as what happened; other lines are their message and own fields."""

    def format(self, record: logging.LogRecord) -> str:
        fields = {k: v for k, v in record.__dict__.items() if k not in _RECORD_ATTRIBUTES}
        request_id = fields.pop("request_id", None)
        if record.name == access_log.name:
            message = _access_line(fields)
        else:
            message = record.getMessage()
        parts = [self.formatTime(record, "%H:%M:%S"), f"{record.levelname:<5}", message]
        parts.extend(f"{key}={value}" for key, value in fields.items())
        if request_id:
            parts.append(f"[{request_id[:8]}]")
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


# What every record has; the rest are the record's own fields.
_RECORD_ATTRIBUTES = frozenset(
    {*logging.LogRecord("", 0, "", 0, "", None, None).__dict__, "message", "asctime", "taskName"}
)


def _access_line(fields: dict[str, Any]) -> str:
    line = f"{fields.pop('method')} {fields.pop('path')} {fields.pop('status')}"
    line += f" {fields.pop('duration_ms')} ms"
    if "operation" in fields:
        line += f" {fields.pop('operation')} {fields.pop('outcome')}"
    return line


class MigrationChatter(logging.Filter):
    """Alembic names its dialect at every start; only a migration that really runs is news."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage().startswith("Running ")


def console_handler(stream: IO[str] | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(ConsoleFormatter())
    handler.addFilter(RequestIdFilter())
    return handler


def wants_console(log_format: str, *, production: bool, stream: IO[str] | None = None) -> bool:
    """`console` and `json` are what they say; `auto` is readable lines only for a person:
    in development, on a terminal."""
    if log_format != "auto":
        return log_format == "console"
    stream = stream or sys.stderr
    return not production and hasattr(stream, "isatty") and stream.isatty()


def configure_logging(
    level: str = "INFO",
    stream: IO[str] | None = None,
    *,
    log_format: str = "json",
    production: bool = False,
    traced: bool = False,
) -> None:
    """Sends every logger's records, uvicorn's and Alembic's included, through one handler.
    `traced`: OpenTelemetry is on, and each line inside a trace names it (`trace_id`)."""
    root = logging.getLogger()
    console = wants_console(log_format, production=production, stream=stream)
    handler = console_handler(stream) if console else json_handler(stream)
    if traced:
        from edge.tracing import TraceIdFilter

        handler.addFilter(TraceIdFilter())
    root.handlers = [handler]
    root.setLevel(level)
    # No line names its source file, thread or process: looking them up cost every record a
    # walk of the stack and three lookups (the logging HOWTO's "Optimization").
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    migration = logging.getLogger("alembic.runtime.migration")
    migration.filters = [MigrationChatter()]
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    # aiosqlite traces every statement with its parameters (practice texts) at DEBUG.
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, logging.getLevelName(level)))


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER and _PLAIN_ID.fullmatch(value):
            return value.decode("ascii")
    return None


def request_id_for(scope: Scope) -> str:
    """The caller's X-Request-ID when it is a plain id, else a new one: 128 random bits as 32
    hex digits, the shape of a UUID's hex without the cost of building one on every hit. One
    request keeps one id, however many layers ask (the compiled path of edge/fast_reads.py
    asks before RequestContext does, when it leaves a request to the full path)."""
    found = scope.get(_SCOPE_KEY)
    if found is None:
        found = scope[_SCOPE_KEY] = _incoming_id(scope) or _new_id()
    return found


def _new_id() -> str:
    # An id names a request in logs and error answers; it guards nothing, so it need not be
    # unguessable. `random` (seeded from the OS, and again in every forked worker) makes one
    # without the system call os.urandom costs every request.
    return f"{random.getrandbits(128):032x}"


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_for(scope)
        reset = REQUEST_ID.set(request_id)
        status: int | None = None
        started = time.perf_counter()

        async def with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, with_id)
        except Exception:
            log.exception("unhandled error", extra={"reference": request_id})
            if status is not None:
                raise  # half a response is out; all we can do is let the server cut it
            await _internal_error(with_id, request_id)
        finally:
            log_access(scope, status, time.perf_counter() - started)
            REQUEST_ID.reset(reset)


def log_access(
    scope: Scope,
    status: int | None,
    seconds: float,
    *,
    operation: str | None = None,
    outcome: str | None = None,
) -> None:
    """The access log's line for one request, under the request's id. RequestContext writes it,
    and so do the layers that answer before the request reaches it, as it would have: the
    response cache for a hit (edge/cache.py), which names the operation and outcome itself, and
    the compiled path (edge/fast_reads.py)."""
    level = logging.DEBUG if scope["path"] in QUIET_PATHS else logging.INFO
    if not access_log.isEnabledFor(level):
        return  # (where the access log is off, building the line cost every request)
    fields: dict[str, Any] = {
        "method": scope["method"],
        "path": scope["path"],
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
    }
    note = scope.get(NOTE)
    if operation is not None:
        fields["operation"], fields["outcome"] = operation, outcome
    elif note is not None:
        fields["operation"], fields["outcome"] = note.operation, note.outcome
    # The layers before RequestContext have not set the id for log lines.
    reset = REQUEST_ID.set(request_id_for(scope))
    try:
        access_log.log(level, "request", extra=fields)
    finally:
        REQUEST_ID.reset(reset)


async def _internal_error(send: Send, reference: str) -> None:
    error = {
        "message": unexpected_message(reference),
        "extensions": {"code": "INTERNAL_SERVER_ERROR", "reference": reference},
    }
    await send_json(send, 500, {"errors": [error]})
