"""JSON in and out of the GraphQL endpoint: orjson, with the standard library where it refuses.

Every answer is encoded here, on the full path and the compiled one alike, so that both send
the same bytes (UTF-8, no white space). orjson is several times faster than `json` at both
ends; it is also stricter, so what it refuses goes to `json`, which decides as it always has
(NaN and Infinity, lone surrogates and integers beyond 64 bits are JSON only to `json`)."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

# orjson reads an integer beyond 64 bits as a float; `json` keeps it whole (and GraphQL then
# names the very number it refuses). Twenty digits in a row, in a string or not, go to `json`.
_LONG_NUMBER = re.compile(r"\d{20}")
_LONG_NUMBER_BYTES = re.compile(rb"\d{20}")


def loads(data: bytes | str) -> Any:
    """The value of a JSON text; raises ValueError (or RecursionError) where `json` would."""
    long_number = _LONG_NUMBER_BYTES if isinstance(data, bytes) else _LONG_NUMBER
    if long_number.search(data) is None:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON of a GraphQL response."""
    try:
        return orjson.dumps(value)
    except TypeError:
        # What orjson has no rule for (an integer beyond 64 bits, a lone surrogate in a
        # string): `json` writes it, escaped to ASCII, so the bytes are valid UTF-8 still.
        return json.dumps(value, separators=(",", ":")).encode()
