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
- GraphiQL (development): a browser's GET gets the page of edge.graphiql, whose files come
  from this service and not from a CDN.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError, GraphQLSyntaxError, OperationDefinitionNode, parse
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult

from edge.documents import PersistedDocuments
from edge.graphiql import ASSETS, GraphiQLAssets
from edge.json_codec import dumps, loads
from edge.metrics import NAMED_DOCUMENT, note_outcome
from edge.negotiation import GRAPHQL_RESPONSE, JSON, is_json_content, negotiate
from edge.request_fields import DECLINED, request_fields
from schema.context import NOTE_KEY, Context
from schema.errors import present_error
from schema.plain_reads import PlainReads

# Set on the request's scope when the result is a request error rather than field errors.
REQUEST_ERROR = "tilpass.request_error"
# Set on the request's scope by auth/identity.py (auth.dpop.CHALLENGE_KEY) when a token or DPoP
# proof was refused: the response's WWW-Authenticate (RFC 9449 §7.1).
WWW_AUTHENTICATE = "tilpass.www_authenticate"
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
# A browser sends the session cookie with another site's form posts too: only JSON, which a
# form cannot send without the page's own script, is taken on the cookie's word.
COOKIE_WITHOUT_JSON = (
    "Forespørsler med innloggingsøkten må sendes som application/json fra Tilpass Helsenorges "
    "egne sider."
)
NOT_A_REQUEST = "Forespørselen må være et JSON-objekt med en GraphQL-forespørsel."
BAD_OPERATION_NAME = "operationName må være en tekst eller null."
NOT_JSON = "Forespørselen er ikke gyldig JSON."

CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


# strawberry's own refusals of a request, in the words the rest of the API uses.
STRAWBERRY_REFUSALS = {
    "No GraphQL query found in the request": (
        "Forespørselen har ingen GraphQL-spørring: send query eller documentId."
    ),
    "The GraphQL operation's `query` must be a string or null, if provided.": (
        "query må være en tekst eller null."
    ),
    "The GraphQL operation's `variables` must be an object or null, if provided.": (
        "variables må være et JSON-objekt eller null."
    ),
    "The GraphQL operation's `extensions` must be an object or null, if provided.": (
        "extensions må være et JSON-objekt eller null."
    ),
    "Batching is not enabled": (
        "Én forespørsel kan bare ha én GraphQL-operasjon (batching er slått av)."
    ),
    "Too many operations": "Én forespørsel kan bare ha én GraphQL-operasjon.",
    "Can't get GraphQL operation type": (
        "Dokumentet har ikke nøyaktig én operasjon: oppgi operationName."
    ),
    "Not Found": "GraphiQL er ikke slått på her; send GraphQL-forespørsler med POST eller GET.",
}
UNKNOWN_OPERATION = re.compile(r'Unknown operation named "(.*)"\.', re.DOTALL)


def in_norwegian(reason: str) -> str:
    """A refusal's message for the client: strawberry's English ones translated."""
    known = STRAWBERRY_REFUSALS.get(reason)
    if known is not None:
        return known
    unknown = UNKNOWN_OPERATION.fullmatch(reason)
    if unknown is not None:
        return f"Dokumentet har ingen operasjon som heter «{unknown.group(1)}»."
    return reason


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


@dataclass
class RegisteringRequestData(GraphQLRequestData):
    """A request whose document came with an id the service does not know yet: the document
    is registered under it once it has run without a request error."""

    register_as: str | None = None


OPERATION_NAME_REQUIRED = (
    "Dokumentet har flere operasjoner: oppgi operationName for den som skal kjøres."
)


class OperationNameRequired(HTTPException):
    """A document of several operations without operationName: a request error (GraphQL over
    HTTP), where strawberry would quietly run the first."""

    code = "OPERATION_NAME_REQUIRED"

    def __init__(self) -> None:
        super().__init__(400, OPERATION_NAME_REQUIRED)


# Above the document limits (TILPASS_MAX_TOKENS), which the executor's path then reports.
COUNT_MAX_TOKENS = 20_000
# Documents repeat (the pages send a handful): short ones are remembered, at most 512 of
# 4 KB, since parsing one again costs more than a lookup.
REMEMBERED_DOCUMENT_CHARS = 4_096


def operation_count(query: str) -> int:
    """How many operations the document defines; 1 when it does not parse (the executor then
    reports the syntax error, or the limit, as it always has)."""
    if len(query) <= REMEMBERED_DOCUMENT_CHARS:
        return _remembered_count(query)
    return _count(query)


@lru_cache(maxsize=512)
def _remembered_count(query: str) -> int:
    return _count(query)


def _count(query: str) -> int:
    try:
        document = parse(query, no_location=True, max_tokens=COUNT_MAX_TOKENS)
    except (GraphQLSyntaxError, RecursionError):
        return 1
    return sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)


class NotJSON(HTTPException):
    """A POST body that is not JSON: 400 whatever the media type."""

    def __init__(self) -> None:
        super().__init__(400, NOT_JSON)


class GraphQLOverHTTP(GraphQL[Context, None]):
    # GraphiQL's page and the files it loads (served by edge.graphiql.graphiql_routes).
    graphiql_assets: GraphiQLAssets = ASSETS

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
        self.plain_reads = PlainReads(self.schema) if plain_reads else None

    def cookie_authenticated(self, request: Request) -> bool:
        """Whether the request would be authenticated by a session cookie (no Authorization
        header); the app knows the cookie, this layer does not."""
        return False

    @property
    def graphql_ide_html(self) -> str:
        if self.graphql_ide != "graphiql":
            return super().graphql_ide_html
        return self.graphiql_assets.page({GRAPHIQL_HEADER: GRAPHIQL})

    async def render_graphql_ide(self, request: Request) -> Response:
        # GraphiQL's page and files come from this service (edge/graphiql.py), under a
        # policy that allows nothing else; strawberry's page loads them from unpkg.com.
        if self.graphql_ide != "graphiql":
            return await super().render_graphql_ide(request)
        return self.graphiql_assets.page_response({GRAPHIQL_HEADER: GRAPHIQL})

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
            if self.cookie_authenticated(request):
                return self._refuse(
                    request, 403, COOKIE_WITHOUT_JSON, media_type, "UNAUTHENTICATED"
                )
            return self._refuse(request, 415, UNSUPPORTED_MEDIA_TYPE, media_type)
        try:
            response = await self._plain(request)
            if response is None:
                response = await self.run(request)
        except HTTPException as exc:
            status = exc.status_code
            # The code follows what was wrong, not the status application/json reports it with.
            code = getattr(exc, "code", None) or CODES.get(status)
            not_json = isinstance(exc, NotJSON) and request.method == "POST"
            if status == 400 and media_type == JSON and not not_json:
                status = 200
            return self._refuse(request, status, in_norwegian(exc.reason), media_type, code)
        response.headers["content-type"] = f"{media_type}; charset=utf-8"
        challenge = request.scope.get(WWW_AUTHENTICATE)
        if challenge is not None:
            response.headers["www-authenticate"] = challenge
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

    def encode_json(self, data: object) -> bytes:
        # The compiled path (edge/fast_reads.py) encodes with the same function: one answer,
        # the same bytes, whichever path gave it.
        return dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        try:
            value = loads(data)
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
            resolved = self.documents.resolve(
                parsed.query,
                document_id=await self._document_id(request, parsed),
                extensions=parsed.extensions,
                free_form=self._free_form(request),
            )
            parsed.query = resolved.query
            if resolved.register_as is not None:
                parsed = RegisteringRequestData(
                    query=parsed.query,
                    variables=parsed.variables,
                    operation_name=parsed.operation_name,
                    extensions=parsed.extensions,
                    protocol=parsed.protocol,
                    register_as=resolved.register_as,
                )
        return parsed

    def _free_form(self, request: Any) -> bool:
        return self.graphiql_free_form and request.headers.get(GRAPHIQL_HEADER) == GRAPHIQL

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
        if (
            isinstance(data, GraphQLRequestData)
            and data.query
            and data.operation_name is None
            and operation_count(data.query) > 1
        ):
            raise OperationNameRequired()
        named = isinstance(request, Request) and isinstance(data, GraphQLRequestData) and data.query
        if named:
            # The metrics name the operation from this: a request may have sent only an id.
            request.scope[NAMED_DOCUMENT] = (data.query, data.operation_name)
        try:
            result = await super().execute_single(*args, **kwargs)
        except HTTPException as exc:
            if isinstance(exc.__cause__, InvalidOperationTypeError):
                raise HTTPException(405, MUTATION_OVER_GET) from exc
            raise
        if named and self.plain_reads is not None and not result.errors:
            self.plain_reads.learn(data.query, data.operation_name)
        if isinstance(data, RegisteringRequestData) and data.register_as and data.query:
            if not _request_error(result):
                self.documents.register(data.register_as, data.query)
        return result

    async def _plain(self, request: Request) -> Response | None:
        """A patient read whose document is planned (schema/plain_reads.py), answered without
        strawberry's request handling, which cost as much as the read itself; None for
        anything else, which `run` then handles in full, and reports if it is wrong."""
        plain = self.plain_reads
        accept = request.headers.get("accept", "")
        if plain is None or "multipart/" in accept or "event-stream" in accept:
            return None  # the last two are strawberry's streaming transports
        if request.scope.get(DECLINED):
            return None  # the compiled path tried this very request (edge/fast_reads.py)
        body = await request.body() if request.method == "POST" else b""
        data = request_fields(request.method, request.scope["query_string"], body)
        if data is None:
            return None
        resolved = self.documents.of_fields(data, free_form=self._free_form(request))
        if resolved is None:
            return None
        query, register_as = resolved
        operation_name = data.get("operationName")
        if query is None or not plain.planned(query, operation_name):
            return None
        if register_as is not None:
            # A planned document has already run without an error.
            self.documents.register(register_as, query)
        request.scope[NAMED_DOCUMENT] = (query, operation_name)
        context = await self.get_context(request, await self.get_sub_response(request))
        result = await plain.execute(query, operation_name, data.get("variables"), context)
        if result is None:
            return None
        body = await self.process_result(request, result)
        return Response(self.encode_json(body), media_type=JSON)

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
        if _request_error(result):
            # Nothing was executed: a request error, which has no `data` entry at all.
            body.pop("data", None)
            internal = any(
                (e.extensions or {}).get("code") == "INTERNAL_SERVER_ERROR" for e in result.errors
            )
            request.scope[REQUEST_ERROR] = 500 if internal else 400
        elif _unavailable(result):
            request.scope[REQUEST_ERROR] = 503
        return body


def _request_error(result: ExecutionResult) -> bool:
    """Nothing was executed: the document did not parse or validate, or the variables did
    not fit."""
    return (
        result.data is None and bool(result.errors) and all(e.path is None for e in result.errors)
    )


def _unavailable(result: ExecutionResult) -> bool:
    """Nothing could be answered, only because the database cannot be reached right now."""
    return (
        bool(result.errors)
        and all((e.extensions or {}).get("code") == "SERVICE_UNAVAILABLE" for e in result.errors)
        and all(value is None for value in (result.data or {}).values())
    )
