"""Structured logs, each tied to the request it belongs to, and a last line of defence.

Every log line is one JSON object on standard error: time, level, logger, message, the id of
the request it belongs to, and the record's own fields. The request id is the client's
X-Request-ID when that is a plain token (as a load balancer sends), else a new one; it goes
back in the X-Request-ID response header.

Never logged: the Authorization header (tokens), request and response bodies (practice texts,
variables) and query strings (a GET request's variables). The access log line has the method,
path, status, duration and, for GraphQL, the operation and outcome of metrics.py.

An exception that escapes everything else becomes a 500 whose body holds only a message and
the request id as reference, which the log line of the exception has too."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from metrics import NOTE
from schema.errors import unexpected_message

REQUEST_ID: ContextVar[str | None] = ContextVar("tilpass_request_id", default=None)
REQUEST_ID_HEADER = b"x-request-id"
_PLAIN_ID = re.compile(rb"[A-Za-z0-9._-]{8,128}")
# Probes and scrapes come every few seconds; their lines would drown the rest.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

access_log = logging.getLogger("tilpass.access")
log = logging.getLogger("tilpass")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


def json_handler(stream: IO[str] | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )
    )
    handler.addFilter(RequestIdFilter())
    return handler


def configure_logging(level: str = "INFO", stream: IO[str] | None = None) -> None:
    """Sends every logger's records, uvicorn's included, through one JSON handler."""
    root = logging.getLogger()
    root.handlers = [json_handler(stream)]
    root.setLevel(level)
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
    """The caller's X-Request-ID when it is a plain id, else a new one."""
    return _incoming_id(scope) or uuid.uuid4().hex


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
            _log_access(scope, status, time.perf_counter() - started)
            REQUEST_ID.reset(reset)


def _log_access(scope: Scope, status: int | None, seconds: float) -> None:
    fields: dict[str, Any] = {
        "method": scope["method"],
        "path": scope["path"],
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
    }
    note = scope.get(NOTE)
    if note is not None:
        fields["operation"], fields["outcome"] = note.operation, note.outcome
    level = logging.DEBUG if scope["path"] in QUIET_PATHS else logging.INFO
    access_log.log(level, "request", extra=fields)


async def _internal_error(send: Send, reference: str) -> None:
    body = json.dumps(
        {
            "errors": [
                {
                    "message": unexpected_message(reference),
                    "extensions": {"code": "INTERNAL_SERVER_ERROR", "reference": reference},
                }
            ]
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
