"""Values kept within a count and a byte bound, the oldest going first: the one mechanism
behind the caches a client could otherwise fill (the response cache, the APQ store)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Bounded(Generic[K, V]):
    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        # What the values hold now, as their sizes were given to `put`.
        self.bytes = 0
        # Oldest first: dropping the oldest of a plain dict scans past every slot freed
        # before it, which grew to microseconds per call once a cache was full.
        self._values: OrderedDict[K, V] = OrderedDict()
        self._sizes: dict[K, int] = {}

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def get(self, key: K) -> V | None:
        return self._values.get(key)

    def touch(self, key: K) -> None:
        """Counts the key as the newest, so that it goes last (least recently used)."""
        self._values.move_to_end(key)

    def put(self, key: K, value: V, size: int) -> list[tuple[K, V]]:
        """Keeps the value, unless it alone is over the byte bound; what had to go for it (the
        value it replaces included), oldest first."""
        if size > self.max_bytes:
            return []
        gone = self._pop(key)
        while self._values and (
            len(self._values) >= self.max_entries or self.bytes + size > self.max_bytes
        ):
            gone.extend(self._pop(next(iter(self._values))))
        self._values[key] = value
        self._sizes[key] = size
        self.bytes += size
        return gone

    def pop(self, key: K) -> V | None:
        gone = self._pop(key)
        return gone[0][1] if gone else None

    def clear(self) -> None:
        self._values.clear()
        self._sizes.clear()
        self.bytes = 0

    def _pop(self, key: K) -> list[tuple[K, V]]:
        if key not in self._values:
            return []
        self.bytes -= self._sizes.pop(key)
        return [(key, self._values.pop(key))]
