"""What one GraphQL document may ask of the service, and what production tells about the schema.

Limits (every environment): the number of tokens (checked while parsing, so a huge document
costs little), the depth of nesting (Practitioner.practices and Practice.practitioners make
cycles), and the number of aliases (each a way to run a field again). Production also turns
off introspection and the "Did you mean …?" suggestions that would spell out the schema
anyway. Each is one of strawberry's extensions; none changes the schema itself."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

import strawberry
from graphql import ASTValidationRule
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from schema.root import Extension, build_schema
from settings import Settings

# graphql-core writes its suggestions as " Did you mean 'herId'?" (names hold no "?").
SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class HideSuggestions(SchemaExtension):
    """Strips suggestions from every error: unknown fields, arguments, types, enum values and
    input fields alike (strawberry's `disable_field_suggestions` covers the first only)."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in (result.errors if result is not None else None) or ():
            error.message = SUGGESTION.sub("", error.message)


def schema_for(settings: Settings) -> strawberry.Schema:
    return _schema(
        production=settings.production,
        max_depth=settings.max_depth,
        max_tokens=settings.max_tokens,
        max_aliases=settings.max_aliases,
    )


@cache
def _schema(
    *, production: bool, max_depth: int, max_tokens: int, max_aliases: int
) -> strawberry.Schema:
    # The rules are made once per schema, not per request: strawberry's validation cache keys
    # on them, and a fresh rule class per request would never hit it.
    rules: list[type[ASTValidationRule]] = [
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
    ]
    if production:
        rules.extend(DisableIntrospection().validation_rules)
    extensions: list[Extension] = [
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        lambda: AddValidationRules(rules),
    ]
    if production:
        extensions.append(HideSuggestions)
    return build_schema(extensions)
