"""Validation done once per document text.

strawberry's ValidationCache keys its cache on the parsed document, and hashing a document's
syntax tree walks every node of it: on a patient read that cost more than looking the
answer up. The text the client sent decides the tree (the parser cache keys on it too), so
the text and the rules in force are the key here."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

MAX_DOCUMENTS = 256

Key = tuple[str, tuple[type, ...]]
_validated: OrderedDict[Key, list[GraphQLError]] = OrderedDict()


class ValidationByText(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if context.query is None or document is None:
            # A document that came without its text (none does today) is validated as usual.
            yield
            return
        key = (context.query, tuple(context.validation_rules))
        errors = _validated.get(key)
        if errors is None:
            errors = validate_document(context.schema._schema, document, key[1])
            _validated[key] = errors
            if len(_validated) > MAX_DOCUMENTS:
                _validated.popitem(last=False)
        else:
            _validated.move_to_end(key)
        context.pre_execution_errors = errors
        yield
