"""What every resolver gets: the database, the catalogue, the clock and who is asking.

The layers above hand in what only they know: `identify` checks the request's bearer token
(auth), `forget` drops a changed practice from the response cache (edge). What execution
finds out about its response is left in the request's scope as a `ResponseNote`, which the
edge reads to decide whether the response may be shared."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from models.catalog import Catalog
from models.database import Database
from resolvers.dates import Clock, oslo_date
from resolvers.errors import Problem, Unauthenticated
from resolvers.read_model import ReadModel

NOTE_KEY = "tilpass.response"
# The date in Europe/Oslo a request was keyed by in the response cache (edge/cache.py): the
# answer stored under that key must be of that date, even when midnight passes meanwhile.
TODAY_KEY = "tilpass.today"


@dataclass
class ResponseNote:
    """What one request's execution found out about whether its response may be kept."""

    cacheable: bool = True
    her_ids: set[int] = field(default_factory=set)


def no_actor() -> int | None:
    return None


def forget_nothing(her_id: int) -> None:
    return None


@dataclass
class Context:
    request: HTTPConnection
    db: Database
    catalog: Catalog
    clock: Clock
    # The patient view's snapshots of practices (resolvers/read_model.py).
    read_model: ReadModel
    # The HPR number the request's bearer token speaks for; None without a valid one.
    identify: Callable[[], int | None] = no_actor
    # Called when a change to a practice has committed.
    forget: Callable[[int], None] = forget_nothing
    _actor: int | None = field(default=None, init=False)
    _actor_known: bool = field(default=False, init=False)

    @property
    def cache_note(self) -> ResponseNote:
        """This request's note for the response cache (a throwaway one outside HTTP)."""
        note = self.request.scope.get(NOTE_KEY)
        if note is None:
            note = self.request.scope[NOTE_KEY] = ResponseNote(cacheable=False)
        return note

    def reads_practice(self, her_id: int) -> None:
        """The response depends on this practice's settings."""
        self.cache_note.her_ids.add(her_id)

    def changed_practice(self, her_id: int) -> None:
        """A change to the practice has committed: this instance forgets it at once."""
        self.forget(her_id)

    async def apply(
        self, her_id: int, change: Callable[[AsyncSession], Awaitable[list[Problem]]]
    ) -> list[Problem]:
        """Runs `change` in one write transaction: committed when it finds no problem, rolled
        back otherwise; a committed change is forgotten by this instance's cache at once."""
        async with self.db.write() as session:
            problems = await change(session)
            if problems:
                await session.rollback()
        if not problems:
            self.changed_practice(her_id)
        return problems

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        keyed = self.request.scope.get(TODAY_KEY)
        return keyed if keyed is not None else oslo_date(self.clock())

    def actor_hpr(self) -> int | None:
        """The HPR number of a valid bearer token, else None."""
        # Anything that depends on who asks must never be shared through the cache.
        self.cache_note.cacheable = False
        if not self._actor_known:
            self._actor = self.identify()
            self._actor_known = True
        return self._actor

    def require_actor(self) -> int:
        actor = self.actor_hpr()
        if actor is None:
            raise Unauthenticated()
        return actor
