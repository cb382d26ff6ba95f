"""A GraphQL request's fields, read from its raw parts as strawberry reads them.

Both the response cache (edge/cache_key.py, before the app runs) and the view's short way for
planned reads (edge/graphql_over_http.py) read them; reading them in one place keeps the
cache's idea of a request the same as the app's."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from edge.json_codec import loads

# Set on a request's scope when the compiled path (edge/fast_reads.py) tried its fields and
# declined: the view's own short way for planned reads then does not try them again.
DECLINED = "tilpass.compiled_declined"

FIELD_TYPES = {"query": str, "variables": dict, "operationName": str, "extensions": dict}


def request_fields(method: str, query_string: bytes, body: bytes) -> dict[str, Any] | None:
    """The fields of a POST body or a GET query string, when they have the types GraphQL over
    HTTP asks for; None when not (strawberry's own parsing then reports what is wrong)."""
    if method == "POST":
        try:
            data = loads(body)
        except (RecursionError, ValueError):
            return None
    else:
        # The last value of a repeated parameter wins, as in Starlette's QueryParams.
        data = dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
        for name in ("variables", "extensions"):
            if data.get(name):
                try:
                    data[name] = loads(data[name])
                except (RecursionError, ValueError):
                    return None
    if not isinstance(data, dict):
        return None
    for name, kind in FIELD_TYPES.items():
        value = data.get(name)
        if value is not None and not isinstance(value, kind):
            return None
    return data
