"""Cold patient reads from request bytes to response bytes, past the layers they would cross.

A patient read the response cache has not seen (after midnight, after a change, on a new
instance, a CDN's miss) went through every layer below the cache: security headers, request
id and access log, CORS, metrics, the body limit, Starlette's routing, strawberry's request
handling, then the plan of schema/plain_reads.py and strawberry's `process_result`. For a
request the cache has already decoded, whose document has a plan, none of those layers does
anything that depends on the request but what is done here:

- the body is not read again: the cache decoded it once (edge/cache_key.py);
- the document is looked up as the view looks it up (sent whole, or by id);
- the plan coerces the variables, calls the root resolver and completes its value;
- the answer is encoded with edge/json_codec.py, as the view encodes it, so the bytes are
  the same;
- the headers are those the full stack gave the last answer of this media type (content type
  and security headers; the cache adds the per-answer ones as for any answer);
- the request id is set for log lines, the access log gets its line and the metrics their
  count, as RequestContext and GraphQLMetrics would have done.

It is taken only where those layers would have done nothing else: no credentials (the
answer is the same for everyone and the identity is never asked), no Origin header (CORS)
and no GraphiQL, which the cache already leaves to the full path. Anything the plan declines
(an error to report, a value only the executor completes) goes the full way, which answers
and reports it; nothing is sent before that is known."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from starlette.types import Scope

from edge.documents import PersistedDocuments
from edge.json_codec import dumps
from edge.logs import REQUEST_ID, log_access, request_id_for
from edge.metrics import NOTE, Metrics, RequestNote
from edge.request_fields import DECLINED
from schema.plain_reads import PlainReads

Headers = tuple[tuple[bytes, bytes], ...]


class FastReads:
    def __init__(
        self,
        *,
        documents: PersistedDocuments,
        plain_reads: PlainReads,
        metrics: Metrics,
    ) -> None:
        self.documents, self.plain_reads, self.metrics = documents, plain_reads, metrics
        # The headers the full stack gave the last stored answer, by media type.
        self._headers: dict[str, Headers] = {}

    def learn(self, media_type: str, headers: Headers) -> None:
        """An answer of the full path that the cache stores, without its per-answer headers."""
        self._headers[media_type] = headers

    async def answer(
        self,
        scope: Scope,
        fields: dict[str, Any],
        media_type: str,
        context_for: Callable[[Scope], Any],
    ) -> tuple[Headers, bytes, str] | None:
        """The answer's headers, body and operation label; None for the full path.
        `context_for`: the resolvers' context for a request without credentials."""
        started = time.perf_counter()
        headers = self._headers.get(media_type)
        if headers is None:
            return None
        resolved = self.documents.of_fields(fields)
        operation_name = fields.get("operationName")
        if (
            resolved is None  # the view refuses it, in its words
            or resolved.query is None
            or resolved.register_as is not None
            or not self.plain_reads.planned(resolved.query, operation_name)
        ):
            return None
        query = resolved.query
        reset = REQUEST_ID.set(request_id_for(scope))
        try:
            context = context_for(scope)
            result = await self.plain_reads.execute(
                query, operation_name, fields.get("variables"), context
            )
        finally:
            REQUEST_ID.reset(reset)
        if result is None:
            scope[DECLINED] = True  # only the executor can tell: the view need not try again
            return None
        if result.errors:
            # A refusal by the resolver (the database out of reach, say): the view's short way
            # reports it as the executor would, through the error handling of the whole stack.
            return None
        data = result.data
        body = dumps({"data": data})
        operation = self.metrics.named(query, operation_name)
        seconds = time.perf_counter() - started
        self.metrics.record(operation, "ok", seconds, cache_hit=False)
        scope[NOTE] = RequestNote(outcome="ok", operation=operation)
        log_access(scope, 200, seconds)
        return headers, body, operation
