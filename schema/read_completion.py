"""Completing a plain patient value as graphql-core's executor would, by functions generated
for each selection (schema/read_plan.py plans; this completes).

The fields of a selection are collected and merged by response key as the executor merges
them (aliases, named and inline fragments, `__typename`). For each object selection one
function is generated that reads every field's attribute and completes it as its type
requires: strings, booleans, 32-bit ints and enum members inline, the rest through the type's
own completion. One call per object, where completing field by field through closures took
four or five per leaf. A value the executor would report (a null where the type forbids one,
a value a scalar cannot serialize) raises NotPlain, and the executor answers instead."""

from __future__ import annotations

import keyword
from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    InlineFragmentNode,
    SelectionSetNode,
    get_nullable_type,
    is_abstract_type,
    is_leaf_type,
)
from graphql.pyutils import Undefined, is_iterable
from strawberry.schema.schema_converter import CustomGraphQLEnumType, GraphQLCoreConverter

DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF
INT_MIN, INT_MAX = -(2**31), 2**31 - 1

Complete = Callable[[Any], Any]


class NotPlain(Exception):
    """The document or the value needs the full executor."""


class Planner:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.schema, self.fragments = schema, fragments

    def collect(
        self, parent: GraphQLObjectType, selection_sets: Iterable[SelectionSetNode]
    ) -> dict[str, list[FieldNode]]:
        """The fields by response key, in the executor's order, fragments merged in."""
        fields: dict[str, list[FieldNode]] = {}
        for selection_set in selection_sets:
            for selection in selection_set.selections:
                if selection.directives:
                    raise NotPlain
                if isinstance(selection, FieldNode):
                    key = selection.alias.value if selection.alias else selection.name.value
                    fields.setdefault(key, []).append(selection)
                    continue
                if isinstance(selection, FragmentSpreadNode):
                    fragment = self.fragments[selection.name.value]
                    if fragment.directives or fragment.variable_definitions:
                        raise NotPlain
                    condition, inner = fragment.type_condition, fragment.selection_set
                elif isinstance(selection, InlineFragmentNode):
                    condition, inner = selection.type_condition, selection.selection_set
                else:
                    raise NotPlain
                if condition is not None and not self._applies(condition.name.value, parent):
                    continue
                for key, nodes in self.collect(parent, [inner]).items():
                    fields.setdefault(key, []).extend(nodes)
        return fields

    def _applies(self, condition: str, parent: GraphQLObjectType) -> bool:
        conditional = self.schema.get_type(condition)
        if conditional is parent:
            return True
        return is_abstract_type(conditional) and self.schema.is_sub_type(conditional, parent)

    def completer(
        self, type_: GraphQLOutputType, selection_sets: list[SelectionSetNode]
    ) -> Complete:
        if isinstance(type_, GraphQLNonNull):
            return _non_null(self.completer(type_.of_type, selection_sets))
        return _nullable(self._completer(type_, selection_sets))

    def _completer(
        self, type_: GraphQLOutputType, selection_sets: list[SelectionSetNode]
    ) -> Complete:
        if isinstance(type_, GraphQLList):
            item = type_.of_type
            if isinstance(item, GraphQLNonNull):
                return _list_of_non_null(self._completer(item.of_type, selection_sets))
            return _list(self.completer(item, selection_sets))
        if is_leaf_type(type_):
            return _leaf(type_.coerce_output_value)  # type: ignore[union-attr]
        if isinstance(type_, GraphQLObjectType):
            return self._object(type_, selection_sets)
        raise NotPlain  # interfaces and unions need the executor's type resolution

    def _object(self, type_: GraphQLObjectType, selection_sets: list[SelectionSetNode]) -> Complete:
        """A function generated for this selection of the type: one call per object where
        completing field by field through closures took four or five per leaf."""
        names: dict[str, Any] = {"NotPlain": NotPlain, "is_type_of": type_.is_type_of}
        lines = ["def complete(value):"]
        if type_.is_type_of is not None:
            lines.append("    if is_type_of(value, None) is not True: raise NotPlain")
        keys = []
        for n, (key, nodes) in enumerate(self.collect(type_, selection_sets).items()):
            keys.append(key)
            name = nodes[0].name.value
            if name == "__typename":
                lines.append(f"    v{n} = {type_.name!r}")
                continue
            field = type_.fields.get(name)
            if field is None or field.args or not getattr(field.resolve, "_is_default", False):
                raise NotPlain  # a resolver of its own, or arguments
            lines.append(f"    v{n} = {_read(field, n, names)}")
            inner = [node.selection_set for node in nodes if node.selection_set]
            lines.extend(self._complete_lines(field.type, inner, n, names))
        pairs = ", ".join(f"{key!r}: v{n}" for n, key in enumerate(keys))
        lines.append(f"    return {{{pairs}}}")
        exec("\n".join(lines), names)
        return names["complete"]

    def _complete_lines(
        self, type_: GraphQLOutputType, selection_sets: list[SelectionSetNode], n: int, names: dict
    ) -> list[str]:
        v = f"v{n}"
        non_null = isinstance(type_, GraphQLNonNull)
        named = get_nullable_type(type_)
        if isinstance(named, CustomGraphQLEnumType):
            # A member becomes its name, as strawberry's enum type completes it.
            names[f"e{n}"], names[f"m{n}"] = named.wrapped_cls, _member_names(named)
            names[f"c{n}"] = _leaf(named.coerce_output_value)
            convert = [
                f"t = m{n}.get({v}) if type({v}) is e{n} else None",
                f"{v} = c{n}({v}) if t is None else t",
            ]
        else:
            check = _inline_check(named, n)
            if check is None:
                # Null is dealt with here, as for the leaves: one call less per object.
                names[f"c{n}"] = self._completer(named, selection_sets)
                convert = [f"{v} = c{n}({v})"]
            else:
                names[f"c{n}"] = _leaf(named.coerce_output_value)  # type: ignore[union-attr]
                convert = [f"if {check}: {v} = c{n}({v})"]
        if non_null:
            return [f"    if {v} is None: raise NotPlain", *(f"    {line}" for line in convert)]
        return [f"    if {v} is not None:", *(f"        {line}" for line in convert)]


def _read(field: GraphQLField, n: int, names: dict) -> str:
    """The expression reading the field's value from `value`."""
    definition = field.extensions.get(DEFINITION)
    python_name = getattr(definition, "python_name", None)
    if getattr(definition, "default_resolver", None) is getattr:
        if python_name.isidentifier() and not keyword.iskeyword(python_name):
            return f"value.{python_name}"
        names[f"r{n}"] = attrgetter(python_name)
        return f"r{n}(value)"
    names[f"r{n}"] = field.resolve
    return f"r{n}(value, None)"


def _inline_check(named: Any, n: int) -> str | None:
    """When a leaf's value needs its type's own completion (None: it always does, or the type
    is no leaf); what passes is complete as it is, as the type's serializer would leave it."""
    v = f"v{n}"
    if named is GraphQLString or named is GraphQLID:
        return f"type({v}) is not str"
    if named is GraphQLBoolean:
        return f"type({v}) is not bool"
    if named is GraphQLInt:
        return f"type({v}) is not int or not {INT_MIN} <= {v} <= {INT_MAX}"
    return None


def _member_names(enum: CustomGraphQLEnumType) -> dict[Any, str]:
    """Each member's name in the schema: the first whose value equals the member's value."""
    members: dict[Any, str] = {}
    for member in enum.wrapped_cls:
        for name, value in enum.values.items():
            if member.value == value.value:
                members[member] = name
                break
    return members


def _non_null(inner: Complete) -> Complete:
    def complete(value: Any) -> Any:
        if value is None:
            raise NotPlain
        return inner(value)

    return complete


def _nullable(inner: Complete) -> Complete:
    return lambda value: None if value is None else inner(value)


def _list(item: Complete) -> Complete:
    def complete(value: Any) -> list[Any]:
        # A list is what the resolvers give; graphql-core's own test (an ABC check) is kept
        # for anything else.
        if type(value) is not list and not is_iterable(value):
            raise NotPlain
        return [item(element) for element in value]

    return complete


def _list_of_non_null(item: Complete) -> Complete:
    def complete(value: Any) -> list[Any]:
        if type(value) is not list and not is_iterable(value):
            raise NotPlain
        completed = []
        for element in value:
            if element is None:
                raise NotPlain
            completed.append(item(element))
        return completed

    return complete


def _leaf(coerce: Callable[[Any], Any]) -> Complete:
    def complete(value: Any) -> Any:
        try:
            coerced = coerce(value)
        except Exception as exc:  # the executor reports it
            raise NotPlain from exc
        if coerced is None or coerced is Undefined:
            raise NotPlain
        return coerced

    return complete
