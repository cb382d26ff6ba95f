"""Patient reads answered without graphql-core's executor, exactly as it would answer them.

A cold patient read (one the response cache has not seen: after midnight, after a change, on
another instance) spent most of its time in the executor walking a tree it already knows:
per field it builds an info object, checks for awaitables, collects sub-selections and
looks up completion by type, though every field under `patientService` and `patientPanel`
is a plain attribute. Here a document is planned once: its fields collected and merged by
response key as the executor does, each with the getter strawberry made for it and the
completion its type needs (leaf coercion, lists, null checks). A request then coerces its
variables and the root field's arguments with graphql-core's own functions, calls the root
resolver through strawberry's wrapper (argument conversion and all), and walks the plan.

Only documents the full path has already run without an error are planned, so parsing,
validation and the limits have passed for that text. Whatever the plan does not cover
(directives, abstract types, fields with resolvers or arguments below the root, anything
but the patient reads at the root, tracing) takes the full path; so does any value that
would make the executor report an error (a null where the type forbids it, a value a
scalar cannot serialize), which then reports it as usual. A refusal by the root resolver
is reported the executor's way: the field is null and the error points at it. Anything else
raised on the way (a bug here, or a shape of document or value no test foresaw) is logged once,
without the document's values, and the document goes back to the full path for good.
"""

from __future__ import annotations

import inspect
import logging
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import strawberry
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_nullable_type,
    is_abstract_type,
    is_leaf_type,
    located_error,
    parse,
)
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.pyutils import Path, Undefined, is_iterable
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import ExecutionResult

# The root fields planned here: their resolvers read nothing of `info` but the context.
PLAIN_ROOT_FIELDS = frozenset({"patientService", "patientPanel"})
MAX_PLANS = 256
DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF

log = logging.getLogger("tilpass")

Complete = Callable[[Any], Any]


class NotPlain(Exception):
    """The document or the value needs the full executor."""


Resolve = Callable[[GraphQLResolveInfo, dict[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class RootField:
    key: str
    nodes: list[FieldNode]
    field: GraphQLField
    resolve: Resolve
    complete: Complete


@dataclass(frozen=True, slots=True)
class Plan:
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    roots: tuple[RootField, ...]


class PlainReads:
    """The plans of one schema's plain patient documents, keyed by text and operation name."""

    def __init__(self, schema: strawberry.Schema) -> None:
        self.strawberry_schema = schema
        self.schema: GraphQLSchema = schema._schema
        self._plans: OrderedDict[tuple[str, str | None], Plan | None] = OrderedDict()

    def learn(self, query: str, operation_name: str | None) -> None:
        """The full path has run this document without an error: plan it if it is plain."""
        key = (query, operation_name)
        if key in self._plans:
            return
        try:
            plan: Plan | None = self._plan(query, operation_name)
        except NotPlain:
            plan = None
        except Exception as exc:  # a plan is worth no failed request: the full path goes on
            _log_failure("plan", operation_name, exc)
            plan = None
        self._plans[key] = plan
        if len(self._plans) > MAX_PLANS:
            self._plans.popitem(last=False)

    def planned(self, query: str, operation_name: str | None) -> bool:
        return self._plans.get((query, operation_name)) is not None

    async def execute(
        self,
        query: str,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
        context: Any,
    ) -> ExecutionResult | None:
        """The result the full path would give, or None where only it can tell."""
        key = (query, operation_name)
        plan = self._plans.get(key)
        if plan is None:
            return None
        self._plans.move_to_end(key)
        try:
            return await self._run(plan, variables, context)
        except Exception as exc:  # never a 500 of ours: the full path answers, as it would have
            _log_failure("run", _name(plan.operation), exc)
            if key in self._plans:
                self._plans[key] = None
            return None

    async def _run(
        self, plan: Plan, variables: Mapping[str, Any] | None, context: Any
    ) -> ExecutionResult | None:
        # A document without variables has no definitions at all (None, not an empty tuple).
        definitions = plan.operation.variable_definitions or ()
        coerced = get_variable_values(self.schema, definitions, dict(variables or {}))
        if isinstance(coerced, list):
            return None
        query_type = self.schema.query_type
        data: dict[str, Any] = {}
        errors: list[GraphQLError] = []
        try:
            for root in plan.roots:
                path = Path(None, root.key, query_type.name)
                try:
                    args = get_argument_values(root.field, root.nodes[0], coerced)
                    info = GraphQLResolveInfo(
                        root.nodes[0].name.value,
                        root.nodes,
                        root.field.type,
                        query_type,
                        path,
                        self.schema,
                        plan.fragments,
                        None,
                        plan.operation,
                        coerced,
                        context,
                        inspect.isawaitable,
                        None,
                        None,
                    )
                    value = root.resolve(info, args)
                    if inspect.isawaitable(value):
                        value = await value
                except Exception as exc:  # reported as the executor reports it
                    if isinstance(root.field.type, GraphQLNonNull):
                        return None
                    errors.append(located_error(exc, root.nodes, path.as_list()))
                    data[root.key] = None
                    continue
                data[root.key] = root.complete(value)
        except NotPlain:
            return None
        return ExecutionResult(data=data, errors=errors or None)

    def _plan(self, query: str, operation_name: str | None) -> Plan:
        document = parse(query)
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        named = [o for o in operations if operation_name is None or _name(o) == operation_name]
        if len(named) != 1 or named[0].operation != OperationType.QUERY or named[0].directives:
            raise NotPlain
        operation = named[0]
        query_type = self.schema.query_type
        planner = _Planner(self.schema, fragments)
        roots = []
        for key, nodes in planner.collect(query_type, [operation.selection_set]).items():
            name = nodes[0].name.value
            if name not in PLAIN_ROOT_FIELDS:
                raise NotPlain
            field = query_type.fields[name]
            sub_selections = [n.selection_set for n in nodes if n.selection_set]
            complete = planner.completer(field.type, sub_selections)
            roots.append(RootField(key, nodes, field, self._resolver(field), complete))
        return Plan(operation, fragments, tuple(roots))

    def _resolver(self, field: GraphQLField) -> Resolve:
        """How to call the root field's resolver with graphql-core's argument values. For a
        plain function of leaf arguments (scalars, enums) and perhaps `info`, strawberry's
        wrapper comes down to this: the values as they are, under their Python names, which
        saves converting every argument by inspecting its type on every request."""
        definition = field.extensions.get(DEFINITION)
        resolver = getattr(definition, "base_resolver", None)
        if (
            resolver is None
            or definition.extensions  # type: ignore[union-attr]
            or self.strawberry_schema.exception_handlers
            or resolver.self_parameter is not None
            or resolver.parent_parameter is not None
            or resolver.root_parameter is not None
            or not all(_plain_argument(argument.type) for argument in field.args.values())
        ):
            return lambda info, args: field.resolve(None, info, **args)  # type: ignore[misc]
        config = self.strawberry_schema.config
        names = [
            (config.name_converter.from_argument(argument), argument.python_name)
            for argument in definition.arguments  # type: ignore[union-attr]
        ]
        info_name = resolver.info_parameter.name if resolver.info_parameter else None
        call = resolver.wrapped_func

        def resolve(info: GraphQLResolveInfo, args: dict[str, Any]) -> Any:
            kwargs = {python: args[name] for name, python in names if name in args}
            if info_name is not None:
                kwargs[info_name] = config.info_class(_raw_info=info, _field=definition)
            return call(**kwargs)

        return resolve


def _log_failure(stage: str, operation_name: str | None, exc: BaseException) -> None:
    """What went wrong and where, but not the exception's message: it may quote the document's
    literals or a variable's value (a patient's practice and GP), which the log must not hold."""
    where = "".join(traceback.format_tb(exc.__traceback__))
    log.error(
        "plain read failed to %s operation %s (%s); it takes the full path from now on\n%s",
        stage,
        operation_name or "(anonymous)",
        type(exc).__name__,
        where,
    )


def _plain_argument(type_: GraphQLInputType) -> bool:
    """Whether strawberry passes the argument's value on as graphql-core coerced it: so for
    scalars and enums, but IDs, which may be relay's GlobalID, it decodes."""
    named = get_nullable_type(type_)
    return is_leaf_type(named) and named.name != "ID"  # type: ignore[union-attr]


def _name(operation: OperationDefinitionNode) -> str | None:
    return operation.name.value if operation.name else None


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
        getters: list[tuple[str, Callable[[Any], Any]]] = []
        for key, nodes in self.collect(type_, selection_sets).items():
            name = nodes[0].name.value
            if name == "__typename":
                getters.append((key, _constant(type_.name)))
                continue
            field = type_.fields.get(name)
            if field is None or field.args or not getattr(field.resolve, "_is_default", False):
                raise NotPlain  # a resolver of its own, or arguments
            inner = [n.selection_set for n in nodes if n.selection_set]
            getters.append((key, _field(field, self.completer(field.type, inner))))
        return _object(type_.is_type_of, getters)


def _constant(value: str) -> Callable[[Any], Any]:
    return lambda source: value


def _field(field: GraphQLField, complete: Complete) -> Callable[[Any], Any]:
    definition = field.extensions.get(DEFINITION)
    if getattr(definition, "default_resolver", None) is getattr:
        # What strawberry's getter for a field without a resolver comes down to.
        read = attrgetter(definition.python_name)  # type: ignore[union-attr]
        return lambda source: complete(read(source))
    resolve = field.resolve
    return lambda source: complete(resolve(source, None))  # type: ignore[misc]


def _object(is_type_of: Any, getters: list[tuple[str, Callable[[Any], Any]]]) -> Complete:
    def complete(value: Any) -> dict[str, Any]:
        if is_type_of is not None and is_type_of(value, None) is not True:
            raise NotPlain
        return {key: get(value) for key, get in getters}

    return complete


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
