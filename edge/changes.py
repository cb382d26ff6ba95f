"""Keeping the patient view fresh across instances: the change watcher.

Polls the database's change counter (models.changes) and makes the response cache and
the read model forget what other instances (or processes such as `tilpass
import-registry`) changed. Polling rather than LISTEN/NOTIFY: it works the same on SQLite
and PostgreSQL and needs no dedicated connection."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Protocol

from models import changes
from models.database import Database

log = logging.getLogger("tilpass.cache")

POLL_SECONDS = 0.25


class Forgets(Protocol):
    """What the change watcher keeps fresh: the response cache and the read model."""

    enabled: bool

    def invalidate(self, her_ids: Iterable[int]) -> None: ...

    def clear(self) -> None: ...


class ChangeWatcher:
    """Polls the change counter and forgets what other instances (or processes) changed."""

    def __init__(self, db: Database, *stores: Forgets, interval: float = POLL_SECONDS) -> None:
        self.db, self.stores, self.interval = db, stores, interval
        self.seen: int | None = None
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
        async with self.db.read() as session:
            value = await changes.current_change(session=session)
            if self.seen is None:
                for store in self.stores:
                    store.clear()
            elif value != self.seen:
                her_ids = await changes.changed_since(session=session, change=self.seen)
                for store in self.stores:
                    store.invalidate(her_ids)
        self.seen = value

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.poll()
            except Exception:
                log.exception("change poll failed; patient cache off until it succeeds")
                for store in self.stores:
                    store.clear()
                    store.enabled = False
                self.seen = None
            else:
                for store in self.stores:
                    store.enabled = True
