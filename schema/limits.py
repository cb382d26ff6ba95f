"""The limits on what one document may ask, checked before any other validation rule runs.

- Depth (Settings.max_depth) and aliases (Settings.max_aliases), counted through fragments as
  strawberry's QueryDepthLimiter and MaxAliasesLimiter counted them; theirs walked a fragment
  again at every spread, so that 40 levels of `fragment F2 on Query { ...F1 ...F1 }` (2 KB)
  never finished. Here schema.document_cost measures the document in one linear pass.
- Fragment spreads: an operation may expand at most MAX_FRAGMENT_SPREADS, counted as the
  executor expands them (a spread inside a fragment that is spread twice counts twice).
- graphql-core's OverlappingFieldsCanBeMergedRule compares every pair of fields with one
  response name at one place: 500 copies of `forms { id }` (2,000 tokens) took a second before
  its own budget ran out. It runs here on a fiftieth of that budget.

validate() runs all rules in one pass over the document, so a limit reported as an error would
not stop the costly rules from running; a document over a limit ends the validation at once
instead (graphql-core's own way out, ValidationAbortedError). Each refusal is a request error in
Norwegian with a stable `extensions.code`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    OverlappingFieldsCanBeMergedRule,
    ValidationContext,
    VisitorAction,
    specified_rules,
)
from graphql.language import SKIP
from graphql.validation.validate import ValidationAbortedError
from strawberry.extensions import SchemaExtension

from schema.document_cost import CEILING, measure

MAX_FRAGMENT_SPREADS = 200
# Units of graphql-core's budget for OverlappingFieldsCanBeMergedRule: 500,000 by default, a
# second of CPU here. A pair of fields with one response name costs 2 units, more when their
# sub-selections are compared; with this budget no document of 2,000 tokens took more than some
# 55 ms of CPU to validate, half of it the other rules. The pages' documents and GraphiQL's
# introspection use none of it, ten fragments selecting the same twelve fields at one place
# 2,585 units; one leaf field selected some hundred times at one place uses it up.
FIELD_MERGING_BUDGET = 10_000

QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
TOO_MANY_FRAGMENT_SPREADS = "TOO_MANY_FRAGMENT_SPREADS"
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"


class Refused(ValidationAbortedError):
    """A limit the document is over. The last one found is raised, which ends the validation
    (validate() adds it to the errors); any others are reported before it."""

    def __init__(self, message: str, code: str, nodes: Sequence[Any] | None = None) -> None:
        super().__init__(message, nodes, extensions={"code": code})


def _count(number: int) -> str:
    return f"minst {CEILING}" if number >= CEILING else str(number)


def too_deep(depth: int, max_depth: int) -> str:
    return f"Dokumentet er for dypt: {depth} nivåer, høyst {max_depth}."


def too_many_aliases(aliases: int, max_aliases: int) -> str:
    return (
        f"Dokumentet har for mange aliaser: {_count(aliases)}, høyst {max_aliases}. "
        "Aliaser i et fragment telles hver gang fragmentet brukes."
    )


def too_many_spreads(spreads: int) -> str:
    return (
        f"Dokumentet setter inn fragmenter for mange ganger: {_count(spreads)}, "
        f"høyst {MAX_FRAGMENT_SPREADS}. Et fragment telles hver gang det settes inn, også når "
        "det settes inn fra et annet fragment."
    )


TOO_COMPLEX = (
    "Dokumentet er for sammensatt til å kontrolleres: for mange felt med samme navn på samme "
    "sted må sammenlignes. Velg hvert felt én gang der det trengs."
)


def refusals(document: DocumentNode, *, max_depth: int, max_aliases: int) -> list[Refused]:
    """Each limit the document is over, in the words the client gets."""
    measured = measure(document)
    found = []
    for operation, cost in measured.operations:
        if cost.depth > max_depth:
            found.append(Refused(too_deep(cost.depth, max_depth), QUERY_TOO_DEEP, [operation]))
        if cost.spreads > MAX_FRAGMENT_SPREADS:
            found.append(
                Refused(too_many_spreads(cost.spreads), TOO_MANY_FRAGMENT_SPREADS, [operation])
            )
    if measured.aliases > max_aliases:
        found.append(Refused(too_many_aliases(measured.aliases, max_aliases), TOO_MANY_ALIASES))
    return found


def limits_rule(*, max_depth: int, max_aliases: int) -> type[ASTValidationRule]:
    """A rule that checks the whole document on entering it; first in the list, so that no
    other rule has started on the document's selections when it ends the validation."""

    class DocumentLimits(ASTValidationRule):
        def enter_document(self, node: DocumentNode, *_args: Any) -> VisitorAction:
            found = refusals(node, max_depth=max_depth, max_aliases=max_aliases)
            if found:
                *reported, last = found
                for refusal in reported:
                    self.report_error(refusal)
                raise last
            return SKIP  # nothing more to look at in this document

    return DocumentLimits


class BudgetedFieldMerging(OverlappingFieldsCanBeMergedRule):
    """graphql-core's rule with FIELD_MERGING_BUDGET, refusing in our words when spent."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.rule_context.remaining_complexity_budget = FIELD_MERGING_BUDGET

    def enter_selection_set(self, *args: Any) -> None:
        try:
            super().enter_selection_set(*args)
        except ValidationAbortedError:
            if self.rule_context.remaining_complexity_budget >= 0:
                raise  # too many errors: graphql-core's own abort
            raise Refused(TOO_COMPLEX, QUERY_TOO_COMPLEX) from None


def validation_rules(
    *, max_depth: int, max_aliases: int, extra: Sequence[type[ASTValidationRule]] = ()
) -> tuple[type[ASTValidationRule], ...]:
    """Every rule a document is validated with: the limits first, graphql-core's rules with
    the field-merging one on its budget, then `extra`."""
    standard = (
        BudgetedFieldMerging if rule is OverlappingFieldsCanBeMergedRule else rule
        for rule in specified_rules
    )
    return (limits_rule(max_depth=max_depth, max_aliases=max_aliases), *standard, *extra)


class ValidationRules(SchemaExtension):
    """Validates with `rules` in place of graphql-core's list, strawberry's default."""

    def __init__(self, rules: tuple[type[ASTValidationRule], ...]) -> None:
        self.rules = rules

    def on_operation(self) -> Iterator[None]:
        self.execution_context.validation_rules = self.rules
        yield
