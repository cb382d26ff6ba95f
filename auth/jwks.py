"""HelseID's signing keys: a JWKS fetched over https:// (or read from a file://), kept in memory.

Fetched when the service starts, again when a token names a key id we do not have (HelseID
rolls its keys) and when the set has grown old; but never more often than once per
`min_interval`, so that a flood of tokens with made-up key ids can neither turn this service
into a load on HelseID nor keep it waiting on the network. Fetching runs in a thread: checking
a token never blocks the event loop."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

import jwt

log = logging.getLogger("tilpass.jwks")

ALGORITHMS = ("RS256", "ES256")
MAX_AGE_SECONDS = 3600.0
MIN_INTERVAL_SECONDS = 60.0
FETCH_TIMEOUT_SECONDS = 5.0


def signing_keys(jwks: Any) -> dict[str, jwt.PyJWK]:
    """The usable keys of a JWKS document by key id: signing keys for RS256 or ES256 only."""
    if not isinstance(jwks, dict):
        return {}
    try:
        keys = jwt.PyJWKSet.from_dict(jwks).keys
    except jwt.PyJWTError:
        return {}
    return {
        key.key_id: key
        for key in keys
        if isinstance(key.key_id, str)
        and key.algorithm_name in ALGORITHMS
        and key.public_key_use in (None, "sig")
    }


def fetcher(url: str) -> Callable[[], Any]:
    """Reads the JWKS document: PyJWKClient over https://, the file itself for file:// (which
    PyJWKClient refuses: in its hands a URL could come from a token)."""
    if url.startswith("file://"):
        path = Path(url2pathname(urlparse(url).path))
        return lambda: json.loads(path.read_text(encoding="utf-8"))
    # Only its fetching is used; the caching and its bound are ours.
    client = jwt.PyJWKClient(
        url, cache_jwk_set=False, cache_keys=False, timeout=FETCH_TIMEOUT_SECONDS
    )
    return client.fetch_data


class KeySet:
    def __init__(
        self,
        url: str,
        *,
        max_age: float = MAX_AGE_SECONDS,
        min_interval: float = MIN_INTERVAL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.max_age, self.min_interval, self.monotonic = max_age, min_interval, monotonic
        self._fetch = fetcher(url)
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._tried_at: float | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0

    def get(self, kid: str) -> jwt.PyJWK | None:
        return self._keys.get(kid)

    def _wants_refresh(self, kid: str | None) -> bool:
        now = self.monotonic()
        if self._tried_at is not None and now - self._tried_at < self.min_interval:
            return False
        old = self._fetched_at is None or now - self._fetched_at >= self.max_age
        return old or (kid is not None and kid not in self._keys)

    async def refresh(self, kid: str | None = None) -> None:
        """Fetches the set if `kid` is unknown or the set is old, within the bound above."""
        if not self._wants_refresh(kid):
            return
        async with self._lock:
            # Requests that waited here for the same key find it fetched already.
            if not self._wants_refresh(kid):
                return
            self._tried_at = self.monotonic()
            self.fetches += 1
            try:
                keys = signing_keys(await asyncio.to_thread(self._fetch))
            except Exception:
                # Whatever went wrong, the keys we have stay in use; it is tried again later.
                log.warning("could not fetch the JWKS from %s", self.url, exc_info=True)
                return
            if not keys:
                log.warning("the JWKS at %s has no RS256 or ES256 signing keys", self.url)
                return
            self._keys = keys
            self._fetched_at = self._tried_at
