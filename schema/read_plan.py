"""A patient document compiled once into what a request for it does.

A plan holds, for one document and operation:
- a variable coercer built from the operation's variable definitions: per variable its
  scalar's or enum's own `parse_value`, its default, and whether it may be null, so that a
  request's variables are coerced as graphql-core's `coerce_variable_values` coerces them,
  without walking type ASTs on every request;
- per root field, the resolver's arguments under their Python names: literals and defaults
  worked out here, variables looked up, as graphql-core's `get_argument_values` and
  strawberry's wrapper would hand them over;
- per root field, a completer: for each object selection a function generated from the merged
  selection (aliases, fragments and `__typename` as the executor merges them), which reads
  each attribute and completes it as its type requires, with the common leaves (strings,
  booleans, 32-bit ints, enum members) completed inline.

Only what behaves the same every time is planned: leaf arguments and variables, plain object
types without resolvers or arguments below the root, root resolvers that read nothing of
`info` but the context. Anything else raises NotPlain here, and the full path answers it.
Where a request's values would make the executor report something (a variable that does not
coerce, a null where the type forbids one, a value a scalar cannot serialize), the plan
declines (None, or NotPlain while completing) and the executor answers, and reports it."""

from __future__ import annotations

import keyword
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import strawberry
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
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    get_nullable_type,
    is_abstract_type,
    is_leaf_type,
    parse,
    type_from_ast,
    value_from_ast,
)
from graphql.pyutils import Undefined, is_iterable
from strawberry.schema.schema_converter import CustomGraphQLEnumType, GraphQLCoreConverter

# The root fields planned here: their resolvers read nothing of `info` but the context.
PLAIN_ROOT_FIELDS = frozenset({"patientService", "patientPanel"})
DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF
INT_MIN, INT_MAX = -(2**31), 2**31 - 1

Complete = Callable[[Any], Any]
# The request's variables, coerced; None where graphql-core would refuse them.
Coerce = Callable[[Mapping[str, Any]], dict[str, Any] | None]
# The resolver's keyword arguments from the coerced variables; None where the executor would
# report an argument.
Arguments = Callable[[Mapping[str, Any]], dict[str, Any] | None]


class NotPlain(Exception):
    """The document or the value needs the full executor."""


@dataclass(frozen=True, slots=True)
class RootField:
    key: str
    nodes: list[FieldNode]
    field: GraphQLField
    arguments: Arguments
    # The resolver's own function, and the name of its `info` parameter (None: it has none).
    call: Callable[..., Any]
    info_name: str | None
    definition: Any
    complete: Complete


@dataclass(frozen=True, slots=True)
class RootTypename:
    """`__typename` asked of the query type itself."""

    key: str
    name: str


@dataclass(frozen=True, slots=True)
class Plan:
    operation: OperationDefinitionNode
    coerce: Coerce
    roots: tuple[RootField | RootTypename, ...]


class ContextOnly:
    """What strawberry.Info reads of graphql-core's info for these resolvers: the context."""

    __slots__ = ("context",)

    def __init__(self, context: Any) -> None:
        self.context = context


def plan(strawberry_schema: strawberry.Schema, query: str, operation_name: str | None) -> Plan:
    schema: GraphQLSchema = strawberry_schema._schema
    document = parse(query)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    named = [o for o in operations if operation_name is None or _name(o) == operation_name]
    if len(named) != 1 or named[0].operation != OperationType.QUERY or named[0].directives:
        raise NotPlain
    operation = named[0]
    query_type = schema.query_type
    planner = _Planner(schema, fragments)
    roots: list[RootField | RootTypename] = []
    for key, nodes in planner.collect(query_type, [operation.selection_set]).items():
        name = nodes[0].name.value
        if name == "__typename":
            roots.append(RootTypename(key, query_type.name))
            continue
        if name not in PLAIN_ROOT_FIELDS:
            raise NotPlain
        field = query_type.fields[name]
        definition = field.extensions.get(DEFINITION)
        call, info_name = _resolver(strawberry_schema, field, definition)
        sub_selections = [n.selection_set for n in nodes if n.selection_set]
        roots.append(
            RootField(
                key,
                nodes,
                field,
                _arguments(strawberry_schema, field, definition, nodes[0]),
                call,
                info_name,
                definition,
                planner.completer(field.type, sub_selections),
            )
        )
    coerce = _variable_coercer(schema, operation.variable_definitions or ())
    return Plan(operation, coerce, tuple(roots))


def _name(operation: OperationDefinitionNode) -> str | None:
    return operation.name.value if operation.name else None


def _variable_coercer(
    schema: GraphQLSchema, definitions: Iterable[VariableDefinitionNode]
) -> Coerce:
    steps = []
    for definition in definitions:
        type_ = type_from_ast(schema, definition.type)
        named = get_nullable_type(type_) if type_ is not None else None
        if named is None or not is_leaf_type(named) or definition.directives:
            raise NotPlain  # lists and input objects take the executor's coercion
        default: Any = Undefined
        if definition.default_value:
            default = value_from_ast(definition.default_value, type_)
            if default is Undefined:
                raise NotPlain
        non_null = isinstance(type_, GraphQLNonNull)
        steps.append((definition.variable.name.value, named.parse_value, non_null, default))

    def coerce(variables: Mapping[str, Any]) -> dict[str, Any] | None:
        coerced: dict[str, Any] = {}
        for name, parse_value, non_null, default in steps:
            if name not in variables:
                if default is not Undefined:
                    coerced[name] = default
                elif non_null:
                    return None
                continue
            value = variables[name]
            if value is not None:
                try:
                    value = parse_value(value)
                except Exception:  # the executor words the refusal
                    return None
                if value is Undefined:
                    return None
            elif non_null:
                return None
            coerced[name] = value
        return coerced

    return coerce


def _resolver(
    strawberry_schema: strawberry.Schema, field: GraphQLField, definition: Any
) -> tuple[Callable[..., Any], str | None]:
    """The resolver's own function, where strawberry's wrapper comes down to calling it with
    the coerced values under their Python names: a plain function of leaf arguments (not IDs,
    which may be relay's GlobalID) and perhaps `info`, without extensions or handlers."""
    resolver = getattr(definition, "base_resolver", None)
    if (
        resolver is None
        or definition.extensions
        or strawberry_schema.exception_handlers
        or resolver.self_parameter is not None
        or resolver.parent_parameter is not None
        or resolver.root_parameter is not None
        or not all(_plain_argument(argument.type) for argument in field.args.values())
    ):
        raise NotPlain
    info_name = resolver.info_parameter.name if resolver.info_parameter else None
    return resolver.wrapped_func, info_name


def _plain_argument(type_: Any) -> bool:
    named = get_nullable_type(type_)
    return is_leaf_type(named) and named.name != "ID"


def _arguments(
    strawberry_schema: strawberry.Schema, field: GraphQLField, definition: Any, node: FieldNode
) -> Arguments:
    """graphql-core's get_argument_values for this one field node, worked out in advance."""
    convert = strawberry_schema.config.name_converter.from_argument
    python_names = {convert(argument): argument.python_name for argument in definition.arguments}
    given = {argument.name.value: argument.value for argument in node.arguments or ()}
    constants: dict[str, Any] = {}
    variables = []
    for name, argument in field.args.items():
        python = python_names.get(name)
        if python is None:
            raise NotPlain
        non_null = isinstance(argument.type, GraphQLNonNull)
        value_node = given.get(name)
        if value_node is None:
            if argument.default_value is not Undefined:
                constants[python] = argument.default_value
            elif non_null:
                raise NotPlain
            continue
        if isinstance(value_node, VariableNode):
            variables.append((python, value_node.name.value, non_null, argument.default_value))
            continue
        value = value_from_ast(value_node, argument.type)
        if value is Undefined:
            raise NotPlain
        constants[python] = value

    def arguments(coerced: Mapping[str, Any]) -> dict[str, Any] | None:
        values = dict(constants)
        for python, variable, non_null, default in variables:
            if variable not in coerced:
                if default is not Undefined:
                    values[python] = default
                elif non_null:
                    return None
                continue
            value = coerced[variable]
            if value is None and non_null:
                return None
            values[python] = value
        return values

    return arguments


class _Planner:
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
            return _list(self.completer(type_.of_type, selection_sets))
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
                names[f"c{n}"] = self.completer(type_, selection_sets)
                return [f"    {v} = c{n}({v})"]
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
        if not is_iterable(value):
            raise NotPlain
        return [item(element) for element in value]

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
