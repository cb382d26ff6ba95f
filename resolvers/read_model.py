"""The patient view's read model: each practice's snapshot kept in process memory, so that a
patient read needs no database round trip once a practice has been read.

A practice is loaded on its first read (two statements) and forgotten when it changes: at
once on the instance that took the change, within the change watcher's poll on every other
instance (edge/changes.py), including changes by `tilpass import-registry`. Snapshots hold no
date: scheduled texts and absences carry theirs, so midnight needs no reload. The least
recently read practices go first when more than `max_practices` are held.

While the database cannot be reached, what is held keeps being served, and a practice whose
snapshot was just invalidated is served as it was before (the last known state), until the
change watcher gives up on the database (its `stale_for`) and clears everything."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Iterable

from models import patient
from models.database import Database
from models.outage import is_unavailable
from models.patient import PracticeSnapshot

DEFAULT_MAX_PRACTICES = 20_000


def _nothing(her_id: int) -> None:
    return None


class ReadModel:
    def __init__(
        self,
        db: Database,
        max_practices: int = DEFAULT_MAX_PRACTICES,
        *,
        on_fallback: Callable[[int], None] = _nothing,
    ) -> None:
        self.db, self.max_practices = db, max_practices
        # Told when a practice is answered from its last known state, which is known to be
        # outdated: nothing built from it may be kept (the response cache).
        self.on_fallback = on_fallback
        self.enabled = True
        # Set by the change watcher while its polls fail: then a practice with a last known
        # state gets it at once, rather than after waiting for a connection that fails too.
        self.unreachable = False
        # Moves on at every invalidation: a snapshot read across one is not kept.
        self.epoch = 0
        self._snapshots: OrderedDict[int, PracticeSnapshot] = OrderedDict()
        # Practices' snapshots from before their last invalidation: what patients get when
        # loading anew fails because the database cannot be reached (the last known state).
        self._fallback: OrderedDict[int, PracticeSnapshot] = OrderedDict()
        # One load per practice at a time: at midnight every reader of a practice would
        # otherwise read it at once.
        self._loading: dict[int, asyncio.Task[PracticeSnapshot | None]] = {}

    def __len__(self) -> int:
        return len(self._snapshots)

    async def snapshot(self, her_id: int) -> PracticeSnapshot | None:
        """The practice as it stands; None when there is no such practice."""
        if self.enabled and (kept := self._snapshots.get(her_id)) is not None:
            self._snapshots.move_to_end(her_id)
            return kept
        known = self._fallback.get(her_id) if self.unreachable and self.enabled else None
        if known is not None:
            return self._stale(her_id, known)
        task = self._loading.get(her_id)
        if task is None:
            task = asyncio.ensure_future(self._load(her_id))
            self._loading[her_id] = task
            task.add_done_callback(lambda done: self._done(her_id, done))
        return await asyncio.shield(task)

    def _done(self, her_id: int, task: asyncio.Task[PracticeSnapshot | None]) -> None:
        if self._loading.get(her_id) is task:
            del self._loading[her_id]

    async def _load(self, her_id: int) -> PracticeSnapshot | None:
        epoch = self.epoch
        try:
            async with self.db.read() as session:
                loaded = await patient.snapshot_of(session=session, her_id=her_id)
        except Exception as error:
            fallback = self._fallback.get(her_id) if self.enabled else None
            if fallback is None or not is_unavailable(error):
                raise
            return self._stale(her_id, fallback)
        # Unknown practices are not kept: a registry import may add them without a stamp.
        if loaded is None or not self.enabled:
            self._fallback.pop(her_id, None)
        elif epoch == self.epoch:
            self._fallback.pop(her_id, None)
            self._snapshots[her_id] = loaded
            while len(self._snapshots) > self.max_practices:
                self._snapshots.popitem(last=False)
        else:
            # Read across an invalidation, so perhaps already outdated, but the newest known.
            self._remember(her_id, loaded)
        return loaded

    def invalidate(self, her_ids: Iterable[int]) -> None:
        self.epoch += 1
        for her_id in her_ids:
            old = self._snapshots.pop(her_id, None)
            if old is not None:
                self._remember(her_id, old)
            # A reader from now on must see the change: it starts a load of its own.
            self._loading.pop(her_id, None)

    def _stale(self, her_id: int, snapshot: PracticeSnapshot) -> PracticeSnapshot:
        self.on_fallback(her_id)
        return snapshot

    def _remember(self, her_id: int, snapshot: PracticeSnapshot) -> None:
        self._fallback[her_id] = snapshot
        self._fallback.move_to_end(her_id)
        while len(self._fallback) > self.max_practices:
            self._fallback.popitem(last=False)

    def clear(self) -> None:
        self.epoch += 1
        self._snapshots.clear()
        self._fallback.clear()
        self._loading.clear()
