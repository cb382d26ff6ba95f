"""JSON in and out of the GraphQL endpoint: orjson, with the standard library where it refuses.

Every answer is encoded here, on the full path and the compiled one alike, so that both send
the same bytes (UTF-8, no white space). orjson is several times faster than `json` at both
ends; it is also stricter, so what it refuses goes to `json`, which decides as it always has
(NaN and Infinity, lone surrogates and integers beyond 64 bits are JSON only to `json`)."""

from __future__ import annotations

import json
from typing import Any

import orjson

# orjson reads an integer beyond 64 bits (below -2**63 or above 2**64 - 1) as a float; `json`
# keeps it whole (and GraphQL then names the very number it refuses). A text with a float
# that large is read again by `json`; the bounds are open, since the integers just beyond
# them round to the bounds themselves.
_BEYOND_64_BITS = 2.0**63


def loads(data: bytes | str) -> Any:
    """The value of a JSON text; raises ValueError (or RecursionError) where `json` would."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)
    return json.loads(data) if _huge_float_in(value) else value


def _huge_float_in(value: Any) -> bool:
    """Whether a float beyond 64-bit integers is anywhere in the value (perhaps an integer)."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif kind is float and not -_BEYOND_64_BITS < item < 2 * _BEYOND_64_BITS:
            return True
    return False


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON of a GraphQL response."""
    try:
        return orjson.dumps(value)
    except TypeError:
        # What orjson has no rule for (an integer beyond 64 bits, a lone surrogate in a
        # string): `json` writes it, escaped to ASCII, so the bytes are valid UTF-8 still.
        return json.dumps(value, separators=(",", ":")).encode()
