"""User errors in payloads, and how exceptions become top-level GraphQL errors."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from models.outage import CommitOutcomeUnknown, is_unavailable
from resolvers.errors import Problem, Refusal, ServiceUnavailable
from schema.enums import UserErrorCode

log = logging.getLogger("tilpass")


@strawberry.type(
    description="A problem with a mutation's input that the GP can fix; nothing was changed."
)
class UserError:
    field: list[str] = strawberry.field(
        description='Path into the mutation\'s input, e.g. ["texts", "2", "text"].'
    )
    message: str = strawberry.field(description="What is wrong, in Norwegian bokmål, for the GP.")
    code: UserErrorCode = strawberry.field(description="Stable code to branch on.")


def user_errors(problems: list[Problem]) -> list[UserError]:
    return [
        UserError(field=list(p.field), message=p.message, code=UserErrorCode(p.code))
        for p in problems
    ]


class ErrorCodes(SchemaExtension):
    """Refusals keep their message and get `extensions.code`; anything unexpected is masked
    behind a reference that is also in the log, so no internals reach the client."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        context = self.execution_context.context
        if hasattr(context, "cache_note"):
            context.cache_note.cacheable = False
        result.errors = [present_error(error) for error in result.errors]


def unexpected_message(reference: str) -> str:
    return (
        f"Det oppstod en uventet feil. Oppgi referanse {reference} hvis du kontakter kundesenteret."
    )


def present_error(error: GraphQLError) -> GraphQLError:
    """The error as the client may see it; idempotent, so a second pass changes nothing."""
    original = error.original_error
    if not isinstance(original, Refusal) and is_unavailable(original):
        log.warning(
            "the database cannot be reached (%s) at %s", type(original).__name__, error.path
        )
        original = ServiceUnavailable(commit_unknown=isinstance(original, CommitOutcomeUnknown))
    if isinstance(original, Refusal):
        extensions: dict[str, object] = {"code": original.code}
        if isinstance(original, ServiceUnavailable) and original.commit_unknown:
            extensions["commitUnknown"] = True
        return GraphQLError(
            original.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=original,
            extensions=extensions,
        )
    if (
        original is None
        or isinstance(original, GraphQLError)
        or (error.path is None and error.nodes)
    ):
        # Syntax, validation and variable errors are the client's to read as they are (a
        # variable's error may carry the scalar's exception, but it points at the document).
        return error
    reference = uuid.uuid4().hex[:12]
    log.error(
        "unexpected error %s at %s",
        reference,
        error.path,
        exc_info=original,
        extra={"reference": reference},
    )
    return GraphQLError(
        unexpected_message(reference),
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": "INTERNAL_SERVER_ERROR", "reference": reference},
    )
