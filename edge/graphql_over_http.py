"""GraphQL over HTTP as the GraphQL-over-HTTP specification has it, on strawberry's ASGI view.

- The response is `application/graphql-response+json` when the Accept header names it, and
  `application/json` otherwise (also for `*/*` and for no Accept header); 406 when the client
  accepts neither.
- Under application/graphql-response+json a request error (a body that is no GraphQL request, a
  document that does not parse or validate, variables that do not fit) is a 400 whose body has
  `errors` and no `data`; field errors (UNAUTHENTICATED, FORBIDDEN, …) stay 200.
- Under application/json every request that reaches GraphQL gets 200, as clients from before
  the specification expect; the body says what went wrong. A body that is not JSON at all
  never reached GraphQL: it is a 400 under both media types, as the specification wants.
- Under application/graphql-response+json a result with no data only because the database
  cannot be reached (every error SERVICE_UNAVAILABLE) is a 503 with Retry-After.
- POST takes `Content-Type: application/json` in UTF-8 (415 otherwise); GET runs queries only
  (405 with `Allow: POST` for a mutation); batching is off, so a JSON array is a request error.
- Nothing the client sends can make it fail with a 500: what the parser trips over is a 400.
- A request may name its document instead of sending it (`documentId`, or Apollo's
  `extensions.persistedQuery`); edge.documents says which documents run. A refusal there is a
  request error like any other, with its own `extensions.code`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult

from edge.documents import PersistedDocuments
from edge.metrics import NAMED_DOCUMENT, note_outcome
from schema.context import NOTE_KEY, Context
from schema.errors import present_error
from schema.plain_reads import PlainReads

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
# Set on the request's scope when the result is a request error rather than field errors.
REQUEST_ERROR = "tilpass.request_error"
# GraphiQL (development only) marks its requests with this header, so that it keeps working
# when trusted documents are required: it sends the documents a developer types.
GRAPHIQL_HEADER = "x-tilpass-client"
GRAPHIQL = "graphiql"
# When to try again, on a 503 because the database cannot be reached.
RETRY_AFTER_SECONDS = "5"

NOT_ACCEPTABLE = (
    f"Svaret kan bare leveres som {GRAPHQL_RESPONSE} eller {JSON}; sjekk Accept-headeren."
)
UNSUPPORTED_MEDIA_TYPE = (
    "En GraphQL-forespørsel med POST må ha Content-Type: application/json (UTF-8)."
)
MUTATION_OVER_GET = "Endringer (mutation) må sendes med POST."
NOT_A_REQUEST = "Forespørselen må være et JSON-objekt med en GraphQL-forespørsel."
BAD_OPERATION_NAME = "operationName må være en tekst eller null."
NOT_JSON = "Forespørselen er ikke gyldig JSON."

CODES = {
    400: "BAD_REQUEST",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def error_body(message: str, status: int, code: str | None = None) -> dict[str, Any]:
    """A GraphQL response holding one request error, for the refusals made outside GraphQL."""
    code = code or CODES.get(status, "ERROR")
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


async def send_json(
    send: Send, status: int, payload: dict[str, Any], *headers: tuple[bytes, bytes]
) -> None:
    """A whole JSON response, for the layers that answer before or around the app."""
    body = json.dumps(payload).encode()
    start_headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *headers,
    ]
    await send({"type": "http.response.start", "status": status, "headers": start_headers})
    await send({"type": "http.response.body", "body": body})


def negotiate(accept: str | None) -> str | None:
    """The media type to answer in, or None when the client accepts neither of ours.

    The highest quality wins, then the most specific match; a client that names
    application/graphql-response+json gets it, one that only accepts wildcards gets
    application/json, which every client from before the specification understands."""
    if accept is None or not accept.strip():
        return JSON
    ranges = _media_ranges(accept)
    best: tuple[float, int, int] | None = None
    chosen = None
    for candidate in (GRAPHQL_RESPONSE, JSON):
        quality, specificity = _quality(candidate, ranges)
        if quality <= 0:
            continue
        named = specificity == 3
        rank = (quality, specificity, int((candidate == GRAPHQL_RESPONSE) == named))
        if best is None or rank > best:
            best, chosen = rank, candidate
    return chosen


def _media_ranges(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        if "/" not in media:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        ranges.append((media.lower(), quality))
    return ranges


def _quality(media_type: str, ranges: list[tuple[str, float]]) -> tuple[float, int]:
    """The quality the most specific matching range gives `media_type`, and how specific
    that range is: 3 for the type itself, 2 for type/*, 1 for */*, 0 for no match."""
    kind = media_type.split("/")[0]
    best = (0.0, 0)
    for media, quality in ranges:
        if media == media_type:
            specificity = 3
        elif media == f"{kind}/*":
            specificity = 2
        elif media == "*/*":
            specificity = 1
        else:
            continue
        if specificity > best[1]:
            best = (quality, specificity)
    return best


def is_json_content(content_type: str | None) -> bool:
    if not content_type:
        return False
    return _is_json_content(content_type)


# Clients send a handful of spellings; parsing one takes the email package's header parser.
@lru_cache(maxsize=64)
def _is_json_content(content_type: str) -> bool:
    try:
        media, params = parse_content_type(content_type)
    except Exception:
        return False
    return media == JSON and params.get("charset", "utf-8").lower() in ("utf-8", "utf8")


class NotJSON(HTTPException):
    """A POST body that is not JSON: 400 whatever the media type."""

    def __init__(self) -> None:
        super().__init__(400, NOT_JSON)


class GraphQLOverHTTP(GraphQL[Context, None]):
    def __init__(
        self,
        *args: Any,
        documents: PersistedDocuments | None = None,
        graphiql_free_form: bool = False,
        plain_reads: bool = True,
        **kwargs: Any,
    ) -> None:
        """`documents`: the persisted documents and whether only they may run;
        `graphiql_free_form`: whether GraphiQL's requests may run any document all the same
        (development); `plain_reads`: whether patient reads skip graphql-core's executor once
        their document has run (schema.plain_reads; off where extensions must see every
        execution, as traces do)."""
        super().__init__(*args, **kwargs)
        self.documents = documents if documents is not None else PersistedDocuments()
        self.graphiql_free_form = graphiql_free_form
        self.plain_reads = PlainReads(self.schema._schema) if plain_reads else None

    @property
    def graphql_ide_html(self) -> str:
        html = super().graphql_ide_html
        marked = f'const defaultHeaders = {{"{GRAPHIQL_HEADER}": "{GRAPHIQL}"}};'
        return html.replace("const defaultHeaders = {};", marked, 1)

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET naming its document by id has no `query` either, and is no browser visit.
        if not super().should_render_graphql_ide(request):
            return False
        params = request.query_params
        return "documentId" not in params and "extensions" not in params

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        if request.method == "GET" and self.should_render_graphql_ide(
            self.request_adapter_class(request)
        ):
            # GraphiQL for a browser in development; 404 where it is off.
            await super().__call__(scope, receive, send)
            return
        response = await self._respond(request, negotiate(request.headers.get("accept")))
        await response(scope, receive, send)

    async def _respond(self, request: Request, media_type: str | None) -> Response:
        if media_type is None:
            return self._refuse(request, 406, NOT_ACCEPTABLE, JSON)
        if request.method == "POST" and not is_json_content(request.headers.get("content-type")):
            return self._refuse(request, 415, UNSUPPORTED_MEDIA_TYPE, media_type)
        try:
            response = await self.run(request)
        except HTTPException as exc:
            status = exc.status_code
            not_json = isinstance(exc, NotJSON) and request.method == "POST"
            if status == 400 and media_type == JSON and not not_json:
                status = 200
            return self._refuse(request, status, exc.reason, media_type, getattr(exc, "code", None))
        response.headers["content-type"] = f"{media_type}; charset=utf-8"
        failure = request.scope.get(REQUEST_ERROR)
        if media_type == GRAPHQL_RESPONSE and failure is not None:
            response.status_code = failure
            if failure == 503:
                response.headers["retry-after"] = RETRY_AFTER_SECONDS
        return response

    def _refuse(
        self,
        request: Request,
        status: int,
        message: str,
        media_type: str,
        code: str | None = None,
    ) -> Response:
        note = request.scope.get(NOTE_KEY)
        if note is not None:
            note.cacheable = False
        body = error_body(message, status, code)
        note_outcome(
            request.scope, [GraphQLError(message, extensions=body["errors"][0]["extensions"])]
        )
        headers = {}
        if status == 405:
            headers["Allow"] = "POST" if request.method == "GET" else "GET, POST"
        return JSONResponse(
            body,
            status_code=status,
            headers=headers,
            media_type=f"{media_type}; charset=utf-8",
        )

    def decode_json(self, data: str | bytes) -> object:
        try:
            value = json.loads(data)
        except (RecursionError, ValueError) as exc:
            # ValueError also covers bytes that are not UTF-8 and an empty body; too deep a
            # nesting is no request we could serve either.
            raise NotJSON from exc
        if not isinstance(value, dict | list):
            raise HTTPException(400, NOT_A_REQUEST)
        return value

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        parsed = await super().parse_http_body(request)
        if isinstance(parsed, GraphQLRequestData) and not isinstance(
            parsed.operation_name, str | None
        ):
            raise HTTPException(400, BAD_OPERATION_NAME)
        if isinstance(parsed, GraphQLRequestData):
            parsed.query = self.documents.resolve(
                parsed.query,
                document_id=await self._document_id(request, parsed),
                extensions=parsed.extensions,
                free_form=self.graphiql_free_form
                and request.headers.get(GRAPHIQL_HEADER) == GRAPHIQL,
            )
        return parsed

    async def _document_id(self, request: Any, parsed: GraphQLRequestData) -> object:
        if request.method == "GET":
            return request.query_params.get("documentId")
        body = await request.get_body()
        if b'"documentId"' not in body:
            # The common case, a document sent whole, is not decoded a second time.
            return None
        value = self.decode_json(body)
        return value.get("documentId") if isinstance(value, dict) else None

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        request, data = kwargs.get("request"), kwargs.get("request_data")
        plain = None
        if isinstance(request, Request) and isinstance(data, GraphQLRequestData) and data.query:
            # The metrics name the operation from this: a request may have sent only an id.
            request.scope[NAMED_DOCUMENT] = (data.query, data.operation_name)
            if self.plain_reads is not None and isinstance(data.variables, dict | None):
                plain = self.plain_reads
                result = await plain.execute(
                    data.query, data.operation_name, data.variables, kwargs.get("context")
                )
                if result is not None:
                    return result
        try:
            result = await super().execute_single(*args, **kwargs)
        except HTTPException as exc:
            if isinstance(exc.__cause__, InvalidOperationTypeError):
                raise HTTPException(405, MUTATION_OVER_GET) from exc
            raise
        if plain is not None and not result.errors and data is not None:
            plain.learn(data.query, data.operation_name)  # type: ignore[arg-type]
        return result

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        if result.errors:
            # What failed outside the error extension (in another extension, say) is masked too.
            result.errors = [present_error(error) for error in result.errors]
            note = request.scope.get(NOTE_KEY)
            if note is not None:
                note.cacheable = False
        note_outcome(request.scope, result.errors)
        body = await super().process_result(request, result)
        if result.data is None and result.errors and all(e.path is None for e in result.errors):
            # Nothing was executed: a request error, which has no `data` entry at all.
            body.pop("data", None)
            internal = any(
                (e.extensions or {}).get("code") == "INTERNAL_SERVER_ERROR" for e in result.errors
            )
            request.scope[REQUEST_ERROR] = 500 if internal else 400
        elif _unavailable(result):
            request.scope[REQUEST_ERROR] = 503
        return body


def _unavailable(result: ExecutionResult) -> bool:
    """Nothing could be answered, only because the database cannot be reached right now."""
    return (
        bool(result.errors)
        and all((e.extensions or {}).get("code") == "SERVICE_UNAVAILABLE" for e in result.errors)
        and all(value is None for value in (result.data or {}).values())
    )
