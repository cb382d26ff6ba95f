"""Patient reads answered without graphql-core's executor, exactly as it would answer them.

A cold patient read (one the response cache has not seen: after midnight, after a change, on
another instance) spent most of its time in the executor walking a tree it already knows:
per field it builds an info object, checks for awaitables, collects sub-selections and
looks up completion by type, though every field under `patientService` and `patientPanel`
is a plain attribute. Here a document is planned once (schema/read_plan.py): its variables'
coercion, the root resolver's arguments and a completer generated for its selection. A
request then coerces its variables, calls the root resolver's own function and completes
its value with that plan.

Only documents the full path has already run without an error are planned, so parsing,
validation and the limits have passed for that text. Whatever the plan does not cover
(directives, abstract types, fields with resolvers or arguments below the root, anything
but the patient reads at the root, tracing) takes the full path; so does any value that
would make the executor report an error (a variable that does not coerce, a null where
the type forbids it, a value a scalar cannot serialize), which then reports it as usual. A
refusal by the root resolver is reported the executor's way: the field is null and the error
points at it. Anything else raised on the way (a bug here, or a shape of document or value no
test foresaw) is logged once, without the document's values, and the document goes back to
the full path for good.
"""

from __future__ import annotations

import inspect
import logging
import traceback
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLNonNull, located_error
from strawberry.types import ExecutionResult

from schema.read_completion import NotPlain
from schema.read_plan import ContextOnly, Plan, RootTypename, plan

MAX_PLANS = 256

log = logging.getLogger("tilpass")


class PlainReads:
    """The plans of one schema's plain patient documents, keyed by text and operation name."""

    def __init__(self, schema: strawberry.Schema) -> None:
        self.strawberry_schema = schema
        self._info_class = schema.config.info_class
        self._plans: OrderedDict[tuple[str, str | None], Plan | None] = OrderedDict()

    def learn(self, query: str, operation_name: str | None) -> None:
        """The full path has run this document without an error: plan it if it is plain."""
        key = (query, operation_name)
        if key in self._plans:
            return
        try:
            planned: Plan | None = plan(self.strawberry_schema, query, operation_name)
        except NotPlain:
            planned = None
        except Exception as exc:  # a plan is worth no failed request: the full path goes on
            _log_failure("plan", operation_name, exc)
            planned = None
        self._plans[key] = planned
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
        plan_ = self._plans.get(key)
        if plan_ is None:
            return None
        self._plans.move_to_end(key)
        try:
            return await self._run(plan_, variables, context)
        except NotPlain:
            return None
        except Exception as exc:  # never a 500 of ours: the full path answers, as it would have
            name = plan_.operation.name
            _log_failure("run", name.value if name else None, exc)
            if key in self._plans:
                self._plans[key] = None
            return None

    async def _run(
        self, plan_: Plan, variables: Mapping[str, Any] | None, context: Any
    ) -> ExecutionResult | None:
        coerced = plan_.coerce(variables or {})
        if coerced is None:
            return None  # the executor words what does not fit
        info = ContextOnly(context)
        data: dict[str, Any] = {}
        errors: list[GraphQLError] = []
        for root in plan_.roots:
            if isinstance(root, RootTypename):
                data[root.key] = root.name
                continue
            kwargs = root.arguments(coerced)
            if kwargs is None:
                return None
            if root.info_name is not None:
                kwargs[root.info_name] = self._info_class(_raw_info=info, _field=root.definition)
            try:
                value = root.call(**kwargs)
                if inspect.isawaitable(value):
                    value = await value
            except Exception as exc:  # reported as the executor reports it
                if isinstance(root.field.type, GraphQLNonNull):
                    return None
                errors.append(located_error(exc, root.nodes, [root.key]))
                data[root.key] = None
                continue
            data[root.key] = root.complete(value)
        return ExecutionResult(data=data, errors=errors or None)


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
