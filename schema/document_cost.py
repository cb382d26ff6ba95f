"""What a document asks for once its fragments are put in where they are spread: the depth of
each operation, the aliases of the document, and how many fragment spreads each operation
expands.

Each definition is walked once, and what a fragment adds is kept by its name: a spread then
adds its fragment's numbers (a fragment spread twice, twice) instead of walking the fragment
again. So the work is linear in the document, where walking a fragment at every spread doubles
with every level of `fragment F2 on Query { ...F1 ...F1 }` (40 levels fit in 2 KB). Counts stop
at CEILING, so no document makes the arithmetic large.

Depth is counted as strawberry's QueryDepthLimiter counted it (Settings.max_depth was chosen
against it): a field with a selection set is one level, a leaf none, inline fragments and
spreads nothing of their own; an introspection field (`__schema`, `__type`) counts nothing, and
nor does anything below it. Aliases are counted as strawberry's MaxAliasesLimiter counted them:
everywhere, introspection included, in every operation of the document.

A cycle of fragments is cut where it closes, so the walk ends whatever the document (graphql-core's
NoFragmentCyclesRule refuses the document; it runs in the same pass as the limits, after them).
Nothing here recurses: a chain of a thousand fragments costs no stack."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

# Far above any limit; a count that reaches it stays there.
CEILING = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Cost:
    """Of one definition with every spread in it expanded."""

    depth: int
    aliases: int
    spreads: int


NOTHING = Cost(0, 0, 0)


@dataclass(frozen=True, slots=True)
class DocumentCost:
    operations: tuple[tuple[OperationDefinitionNode, Cost], ...]
    # Over all operations, as strawberry counted them (only one of them runs).
    aliases: int


@dataclass(slots=True)
class _Own:
    """What one definition holds itself, its spreads not followed."""

    depth: int = 0
    aliases: int = 0
    # Spreads by fragment name: how many there are, and the deepest level one sits at (absent
    # when every spread of the fragment is below an introspection field, where depth is not
    # counted).
    spreads: dict[str, int] = field(default_factory=dict)
    levels: dict[str, int] = field(default_factory=dict)


def measure(document: DocumentNode) -> DocumentCost:
    fragments: dict[str, _Own] = {}
    operations: list[tuple[OperationDefinitionNode, _Own]] = []
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            fragments[definition.name.value] = _own(definition.selection_set)
        elif isinstance(definition, OperationDefinitionNode):
            operations.append((definition, _own(definition.selection_set)))
    costs = _fragment_costs(fragments)
    measured = tuple((operation, _cost(own, costs)) for operation, own in operations)
    aliases = 0
    for _, cost in measured:
        aliases = _add(aliases, cost.aliases)
    return DocumentCost(measured, aliases)


def _own(selection_set: SelectionSetNode) -> _Own:
    own = _Own()
    # (selection set, its level, whether depth is counted there)
    stack = [(selection_set, 0, True)]
    while stack:
        selections, level, counted = stack.pop()
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                if selection.alias:
                    own.aliases += 1
                if selection.selection_set:
                    deeper = counted and not selection.name.value.startswith("__")
                    if deeper:
                        own.depth = max(own.depth, level + 1)
                    stack.append((selection.selection_set, level + 1 if deeper else level, deeper))
            elif isinstance(selection, InlineFragmentNode):
                stack.append((selection.selection_set, level, counted))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                own.spreads[name] = own.spreads.get(name, 0) + 1
                if counted:
                    own.levels[name] = max(own.levels.get(name, 0), level)
    return own


def _fragment_costs(fragments: Mapping[str, _Own]) -> dict[str, Cost]:
    """Each fragment's cost, every fragment it spreads costed before it (depth first, on a
    stack of our own). A spread that would close a cycle counts as an unknown fragment's."""
    costs: dict[str, Cost] = {}
    for root in fragments:
        if root in costs:
            continue
        path = [(root, iter(fragments[root].spreads))]
        on_path = {root}
        while path:
            name, spread = path[-1]
            for target in spread:
                if target in fragments and target not in costs and target not in on_path:
                    path.append((target, iter(fragments[target].spreads)))
                    on_path.add(target)
                    break
            else:
                path.pop()
                on_path.discard(name)
                costs[name] = _cost(fragments[name], costs)
    return costs


def _cost(own: _Own, costs: Mapping[str, Cost]) -> Cost:
    depth, aliases, spreads = own.depth, own.aliases, 0
    for name, count in own.spreads.items():
        # An unknown fragment (KnownFragmentNamesRule refuses it) adds only its spread.
        target = costs.get(name, NOTHING)
        aliases = _add(aliases, count * target.aliases)
        spreads = _add(spreads, count * (1 + target.spreads))
        level = own.levels.get(name)
        if level is not None:
            depth = max(depth, level + target.depth)
    return Cost(depth, aliases, spreads)


def _add(total: int, more: int) -> int:
    return min(CEILING, total + more)
