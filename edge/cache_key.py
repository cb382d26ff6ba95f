"""What a patient read's answer depends on, as the response cache's key.

The key holds what decides the answer and nothing a client could pad: the document (its
SHA-256, or the id it was named by), the operation name, the variables in a canonical form
(keys sorted, no white space), the response media type, whether GraphiQL sent it, and the
date in Europe/Oslo. Fields the service ignores (extensions other than `persistedQuery`, extra
query-string parameters, white space in the body) are not part of it, so padding them makes
no new entry.

A request that cannot be keyed this way is neither looked up nor stored, and the app answers
it in full (and reports what is wrong with it): a body that is not a JSON object, fields of the
wrong type, a malformed id, a document sent together with its id (APQ's registration round:
the answer must go through the store, which learns the document), a media type we cannot
answer in, a streaming transport, or variables too large for any patient read."""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from datetime import date
from functools import lru_cache
from typing import Any

import orjson

from edge.documents import DocumentRefused, bare_id, named_id
from edge.negotiation import is_json_content, negotiate
from edge.request_fields import request_fields

# A patient read's variables are a few numbers and names; anything larger is not kept, so
# that no entry's key can be made large.
MAX_VARIABLES_BYTES = 1_024
MAX_OPERATION_NAME_CHARS = 256
GRAPHIQL_HEADER = b"x-tilpass-client"

# Working a key out (decoding the body, sorting the variables) cost a hit as much again as the
# rest of it; a request's raw parts decide its key, so keys of small requests are kept by
# those parts: at most MEMO_ENTRIES of at most MEMO_MAX_BYTES each (about 5 MB in all).
MEMO_ENTRIES = 2_048
MEMO_MAX_BYTES = 2_048
_NOT_KEPT = object()
_memo: OrderedDict[tuple[Any, ...], tuple[Any, ...] | None] = OrderedDict()

Key = tuple[Any, ...]


def request_key(
    method: str, headers: dict[bytes, bytes], query_string: bytes, body: bytes, today: date
) -> Key | None:
    """The cache key of a request to /graphql, or None when it is not to be cached."""
    return keyed_request(method, headers, query_string, body, today)[0]


def keyed_request(
    method: str, headers: dict[bytes, bytes], query_string: bytes, body: bytes, today: date
) -> tuple[Key | None, dict[str, Any] | None]:
    """The cache key, and the request's fields when working the key out decoded them (None
    when the key was remembered, or the request is not to be cached)."""
    accept = headers.get(b"accept", b"")
    content_type = headers.get(b"content-type", b"")
    graphiql = headers.get(GRAPHIQL_HEADER, b"")
    raw = (method, query_string, body, accept, content_type, graphiql)
    small = len(query_string) + len(body) + len(accept) + len(content_type) <= MEMO_MAX_BYTES
    found = _memo.get(raw, _NOT_KEPT) if small else _NOT_KEPT
    fields = None
    if found is _NOT_KEPT:
        found, fields = _undated_key(method, headers, query_string, body)
        if small:
            if len(_memo) >= MEMO_ENTRIES:
                _memo.popitem(last=False)
            _memo[raw] = found
    if found is None:
        return None, None
    return (*found, today), fields  # type: ignore[misc]


def _undated_key(
    method: str, headers: dict[bytes, bytes], query_string: bytes, body: bytes
) -> tuple[tuple[Any, ...] | None, dict[str, Any] | None]:
    accept = headers.get(b"accept", b"")
    if b"multipart/" in accept or b"event-stream" in accept:
        return None, None  # strawberry's streaming transports answer differently
    media_type = negotiate(accept.decode("latin-1") if accept else None)
    if media_type is None:
        return None, None
    if method == "POST":
        content_type = headers.get(b"content-type")
        if not is_json_content(content_type.decode("latin-1") if content_type else None):
            return None, None
    fields = request_fields(method, query_string, body)
    if fields is None:
        return None, None
    document = _document(fields)
    operation_name = fields.get("operationName")
    variables = _canonical(fields.get("variables"))
    if (
        document is None
        or variables is None
        or (operation_name is not None and len(operation_name) > MAX_OPERATION_NAME_CHARS)
    ):
        return None, None
    graphiql = headers.get(GRAPHIQL_HEADER) == b"graphiql"
    return (method, document, operation_name, variables, media_type, graphiql), fields


def key_size(key: Key) -> int:
    """What a key's own strings hold, in bytes (near enough), for the cache's byte bound."""
    _, document, operation_name, variables, *_ = key
    return len(document[1]) + len(operation_name or "") + len(variables)


def _document(fields: dict[str, Any]) -> tuple[str, bytes] | None:
    """("q", SHA-256) for a document sent whole; ("id", hex) for one named by documentId or
    by APQ's sha256Hash (both look up the same store, so both give the same answer)."""
    query = fields.get("query")
    try:
        named = named_id(fields.get("documentId"), fields.get("extensions"))
    except DocumentRefused:
        return None
    if named is not None:
        bare = bare_id(named)
        return None if query is not None or bare is None else ("id", bare)
    if not isinstance(query, str):
        return None
    return ("q", _digest(query))


# A few documents are sent whole again and again (an app's own, GraphiQL's): hashing one costs
# more than finding it.
@lru_cache(maxsize=256)
def _digest(query: str) -> bytes:
    return hashlib.sha256(query.encode("utf-8", "surrogatepass")).digest()


def _canonical(variables: dict[str, Any] | None) -> bytes | None:
    """The variables as JSON with sorted keys and no white space. Any faithful encoding will do,
    as long as one value always gets one text and two values never share one: orjson's, but
    where it has written null, which is also how it writes NaN and the infinities (`json`
    reads those; it writes them apart)."""
    if not variables:
        return b""
    try:
        text: bytes | None = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # an integer beyond 64 bits, a lone surrogate
        text = None
    if text is None or b"null" in text:
        text = json.dumps(
            variables, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8", "surrogatepass")
    return text if len(text) <= MAX_VARIABLES_BYTES else None
