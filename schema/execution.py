"""How graphql-core runs an operation here: as strawberry does, without leaving a cycle.

graphql-core's execution context keeps its own bound methods (`async_helpers`), a
reference cycle that holds everything the request touched (context, request, scope, the
collected fields: over a hundred objects) until the garbage collector finds it. On the
patient page's cold path that made every collection of the youngest generation a pause of
milliseconds. Once the response is built nothing uses the helpers any more, so dropping
them lets reference counting free the request at once."""

from __future__ import annotations

from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class AcyclicExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def build_response(self, data: dict[str, Any] | None) -> Any:
        response = super().build_response(data)
        self.__dict__.pop("async_helpers", None)
        return response
