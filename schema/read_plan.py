"""A patient document compiled once into what a request for it does.

A plan holds, for one document and operation:
- a variable coercer built from the operation's variable definitions: per variable its
  scalar's or enum's own `parse_value`, its default, and whether it may be null, so that a
  request's variables are coerced as graphql-core's `coerce_variable_values` coerces them,
  without walking type ASTs on every request;
- per root field, the resolver's arguments under their Python names: literals and defaults
  worked out here, variables looked up, as graphql-core's `get_argument_values` and
  strawberry's wrapper would hand them over;
- per root field, a completer (schema/read_completion.py): for each object selection a
  function generated from the merged selection (aliases, fragments and `__typename` as the
  executor merges them), which reads each attribute and completes it as its type requires,
  with the common leaves (strings, booleans, 32-bit ints, enum members) completed inline.

Only what behaves the same every time is planned: leaf arguments and variables, plain object
types without resolvers or arguments below the root, root resolvers that read nothing of
`info` but the context. Anything else raises NotPlain here, and the full path answers it.
Where a request's values would make the executor report something (a variable that does not
coerce, a null where the type forbids one, a value a scalar cannot serialize), the plan
declines (None, or NotPlain while completing) and the executor answers, and reports it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInt,
    GraphQLNonNull,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    VariableDefinitionNode,
    VariableNode,
    get_nullable_type,
    is_leaf_type,
    parse,
    type_from_ast,
    value_from_ast,
)
from graphql.pyutils import Undefined

from schema.read_completion import DEFINITION, INT_MAX, INT_MIN, Complete, NotPlain, Planner

# The root fields planned here: their resolvers read nothing of `info` but the context.
PLAIN_ROOT_FIELDS = frozenset({"patientService", "patientPanel"})
# The request's variables, coerced; None where graphql-core would refuse them.
Coerce = Callable[[Mapping[str, Any]], dict[str, Any] | None]
# The resolver's keyword arguments from the coerced variables; None where the executor would
# report an argument.
Arguments = Callable[[Mapping[str, Any]], dict[str, Any] | None]


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
    planner = Planner(schema, fragments)
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
        steps.append((definition.variable.name.value, _parser(named), non_null, default))

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


def _parser(named: Any) -> Callable[[Any], Any]:
    """The type's `parse_value`, with the common cases looked up rather than worked out: an
    Int that is a plain 32-bit int is itself, and an enum's names give the members its
    `parse_value` gave when planned (strawberry makes a Python enum member of the name, which
    cost more than the rest of the coercion). Anything else goes to `parse_value` itself."""
    parse_value = named.parse_value
    if named is GraphQLInt:

        def parse_int(value: Any) -> Any:
            if type(value) is int and INT_MIN <= value <= INT_MAX:
                return value
            return parse_value(value)

        return parse_int
    if isinstance(named, GraphQLEnumType):
        members = {name: parse_value(name) for name in named.values}

        def parse_enum(value: Any) -> Any:
            if type(value) is str:
                member = members.get(value, Undefined)
                if member is not Undefined:
                    return member
            return parse_value(value)

        return parse_enum
    return parse_value


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
