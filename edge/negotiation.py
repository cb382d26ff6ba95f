"""Which media type a GraphQL response goes out in, and whether a request body is JSON."""

from __future__ import annotations

from functools import lru_cache

from strawberry.http.parse_content_type import parse_content_type

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


# Clients send a handful of Accept headers, and working one out is string work for every
# request; what is remembered is bounded (64 of at most a header's length).
@lru_cache(maxsize=64)
def negotiate(accept: str | None) -> str | None:
    """The media type to answer in, or None when the client accepts neither of ours.

    The highest quality wins, then the most specific match; a client that names
    application/graphql-response+json gets it, one that only accepts wildcards gets
    application/json, which every client from before the specification understands."""
    if accept is None or not accept.strip():
        return JSON
    ranges = _media_ranges(accept)
    best: tuple[float, int, int] | None = None
    chosen = None
    for candidate in (GRAPHQL_RESPONSE, JSON):
        quality, specificity = _quality(candidate, ranges)
        if quality <= 0:
            continue
        named = specificity == 3
        rank = (quality, specificity, int((candidate == GRAPHQL_RESPONSE) == named))
        if best is None or rank > best:
            best, chosen = rank, candidate
    return chosen


def _media_ranges(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        if "/" not in media:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        ranges.append((media.lower(), quality))
    return ranges


def _quality(media_type: str, ranges: list[tuple[str, float]]) -> tuple[float, int]:
    """The quality the most specific matching range gives `media_type`, and how specific
    that range is: 3 for the type itself, 2 for type/*, 1 for */*, 0 for no match."""
    kind = media_type.split("/")[0]
    best = (0.0, 0)
    for media, quality in ranges:
        if media == media_type:
            specificity = 3
        elif media == f"{kind}/*":
            specificity = 2
        elif media == "*/*":
            specificity = 1
        else:
            continue
        if specificity > best[1]:
            best = (quality, specificity)
    return best


def is_json_content(content_type: str | None) -> bool:
    if not content_type:
        return False
    return _is_json_content(content_type)


# Clients send a handful of spellings; parsing one takes the email package's header parser.
@lru_cache(maxsize=64)
def _is_json_content(content_type: str) -> bool:
    try:
        media, params = parse_content_type(content_type)
    except Exception:
        return False
    return media == JSON and params.get("charset", "utf-8").lower() in ("utf-8", "utf8")
