"""Keeping the patient view fresh across instances: the change watcher.

Polls the database's change counter (models.changes) and makes the response cache and
the read model forget what other instances (or processes such as `tilpass
import-registry`) changed. Polling rather than LISTEN/NOTIFY: it works the same on SQLite
and PostgreSQL and needs no dedicated connection. While the database cannot be reached the
watcher keeps what is known, for a bounded time (see ChangeWatcher)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from models import changes
from models.database import Database
from models.outage import is_unavailable

log = logging.getLogger("tilpass.cache")

POLL_SECONDS = 0.25
# An answer may go to a shared cache only while the instance's last successful poll began
# at most this long ago: what a shared cache stores is then at most this much behind the
# database, and a purge repeated this long after a change (edge.purge) drops anything older.
SHARE_WINDOW_SECONDS = 1.0
# How long patients may be shown the last known state while the database cannot be reached.
DEFAULT_STALE_FOR_SECONDS = 300.0


class Forgets(Protocol):
    """What the change watcher keeps fresh: the response cache and the read model."""

    enabled: bool

    def invalidate(self, her_ids: Iterable[int]) -> None: ...

    def clear(self) -> None: ...


def _ignore(unreachable: bool) -> None:
    return None


def _no_one(her_ids: list[int]) -> None:
    return None


class ChangeWatcher:
    """Polls the change counter and forgets what other instances (or processes) changed.

    When a poll fails (the database is restarting, say) nothing is forgotten: patients keep
    getting the last known state from the cache and the read model, for at most `stale_for`
    seconds; after that both are emptied and turned off, so that no one is shown a view older
    than that. The first poll that succeeds catches up with the counter: whatever changed in
    between (a write whose commit was in doubt included) is forgotten, and everything when the
    counter went backwards (a database restored from a backup)."""

    def __init__(
        self,
        db: Database,
        *stores: Forgets,
        interval: float = POLL_SECONDS,
        stale_for: float = DEFAULT_STALE_FOR_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        on_unreachable: Callable[[bool], None] = _ignore,
        on_change: Callable[[list[int]], None] = _no_one,
    ) -> None:
        self.db, self.stores, self.interval = db, stores, interval
        self.stale_for, self.monotonic = stale_for, monotonic
        # Told True when polls begin to fail, False when one succeeds again.
        self.on_unreachable = on_unreachable
        # Told the practices every change since the last poll touched, after the stores have
        # forgotten them (the purger: a cache refilled from here then gets the new state).
        self.on_change = on_change
        self.seen: int | None = None
        # The counter as last told to `on_change`: kept through an outage (unlike `seen`), so
        # that what committed meanwhile is still told.
        self.told: int | None = None
        # When the last successful poll began (monotonic seconds).
        self.polled_at: float | None = None
        # When polls began to fail (monotonic seconds); None while they succeed.
        self.unreachable_since: float | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.poll()
        self._task = asyncio.create_task(self._run(), name="tilpass-change-watcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def poll(self) -> None:
        started = self.monotonic()
        async with self.db.read() as session:
            value = await changes.current_change(session=session)
            her_ids: list[int] | None = None
            if self.seen is None or value < self.seen:
                for store in self.stores:
                    store.clear()
            elif value != self.seen:
                her_ids = await changes.changed_since(session=session, change=self.seen)
                for store in self.stores:
                    store.invalidate(her_ids)
            if self.told is not None and value > self.told:
                if her_ids is None or self.seen != self.told:
                    her_ids = await changes.changed_since(session=session, change=self.told)
                self.on_change(her_ids)
        self.seen = self.told = value
        self.polled_at = started

    def current(self) -> bool:
        """Whether what this instance knows is recent enough to give to a shared cache."""
        return (
            self.unreachable_since is None
            and self.polled_at is not None
            and self.monotonic() - self.polled_at <= SHARE_WINDOW_SECONDS
        )

    async def tick(self) -> None:
        """One poll, and what follows from its success or failure."""
        try:
            await self.poll()
        except Exception as error:
            self._failed(error)
        else:
            self._succeeded()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.tick()

    def _failed(self, error: Exception) -> None:
        now = self.monotonic()
        if self.unreachable_since is None:
            self.unreachable_since = now
            self.on_unreachable(True)
            log.warning(
                "change poll failed; patients get the last known state for up to %s s",
                self.stale_for,
                # An outage is expected to happen; anything else is a bug worth its traceback.
                exc_info=None if is_unavailable(error) else error,
            )
        if now - self.unreachable_since >= self.stale_for and self.seen is not None:
            log.error(
                "no change poll for %s s; patient answers wait for the database", self.stale_for
            )
            for store in self.stores:
                store.clear()
                store.enabled = False
            self.seen = None

    def _succeeded(self) -> None:
        if self.unreachable_since is not None:
            log.info(
                "change poll succeeds again after %.1f s",
                self.monotonic() - self.unreachable_since,
            )
            self.unreachable_since = None
            self.on_unreachable(False)
        for store in self.stores:
            store.enabled = True
