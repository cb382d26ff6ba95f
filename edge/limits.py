"""What one request may ask of the service, and what production tells about the schema.

The body: the largest request body the service reads, 413 above it, before anything is
parsed. A declared Content-Length over the limit is refused without reading a byte; a body
without one (chunked) is counted as it arrives and refused the moment it passes the limit,
so no client can make the service hold more than the limit in memory.

The document (every environment): the number of tokens (checked while parsing, so a huge
document costs little), then, before any other validation rule, the depth of nesting
(Practitioner.practices and Practice.practitioners make cycles), the number of aliases (each a
way to run a field again) and of fragment spreads expanded (schema.limits, which also puts
graphql-core's field-merging check on a budget). Production also turns off introspection and
the "Did you mean …?" suggestions that would spell out the schema anyway. Each is an extension;
none changes the schema itself."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import strawberry
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import DisableIntrospection, MaxTokensLimiter, SchemaExtension

from edge.graphql_over_http import error_body, send_json
from schema.limits import ValidationRules, validation_rules
from schema.root import Extension, build_schema
from settings import Settings

# graphql-core writes its suggestions as " Did you mean 'herId'?" (names hold no "?").
SUGGESTION = "Did you mean "


def without_suggestions(message: str) -> str:
    """The message without its suggestions, as `\\s*Did you mean [^?]*\\?` would have it, in
    linear time: that regular expression took 8 s of CPU over a message quoting a string literal
    of 60,000 spaces, each of them a new start for `\\s*`."""
    kept, position = [], 0
    while (start := message.find(SUGGESTION, position)) != -1:
        end = message.find("?", start)
        if end == -1:
            break  # no suggestion ends after here: each would have searched to the end again
        kept.append(message[position:start].rstrip())
        position = end + 1
    kept.append(message[position:])
    return "".join(kept)


class HideSuggestions(SchemaExtension):
    """Strips suggestions from every error: unknown fields, arguments, types, enum values and
    input fields alike (strawberry's `disable_field_suggestions` covers the first only)."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in (result.errors if result is not None else None) or ():
            error.message = without_suggestions(error.message)


def schema_for(settings: Settings) -> strawberry.Schema:
    return _schema(
        production=settings.production,
        max_depth=settings.max_depth,
        max_tokens=settings.max_tokens,
        max_aliases=settings.max_aliases,
        tracing=settings.tracing,
    )


@cache
def _schema(
    *, production: bool, max_depth: int, max_tokens: int, max_aliases: int, tracing: bool = False
) -> strawberry.Schema:
    # The rules are made once per schema, not per request: the validation cache keys on them,
    # and a fresh rule class per request would never hit it.
    rules = validation_rules(
        max_depth=max_depth,
        max_aliases=max_aliases,
        extra=DisableIntrospection().validation_rules if production else (),
    )
    extensions: list[Extension] = [
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        lambda: ValidationRules(rules),
    ]
    if production:
        extensions.append(HideSuggestions)
    if tracing:
        # Imported only when on: without an endpoint the SDK is not even loaded.
        from edge.tracing import GraphQLSpans

        extensions.append(GraphQLSpans)
    return build_schema(extensions)


class BodyTooLarge(Exception):
    pass


def too_large_message(limit: int) -> str:
    return f"Forespørselen er for stor: høyst {limit} byte."


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._declared(scope) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watch)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(send)

    @staticmethod
    def _declared(scope: Scope) -> int:
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return 0
        return 0

    async def _refuse(self, send: Send) -> None:
        body = error_body(too_large_message(self.max_bytes), 413)
        # The rest of the body is never read: the connection must not be reused.
        await send_json(send, 413, body, (b"connection", b"close"))
