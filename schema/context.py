"""What every resolver gets: the database, the catalogue, the clock and who is asking."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from starlette.requests import HTTPConnection

from auth import TokenVerifier
from models.catalog import Catalog
from models.database import Database
from resolvers.dates import Clock, oslo_date
from resolvers.errors import Unauthenticated


@dataclass
class Context:
    request: HTTPConnection
    db: Database
    catalog: Catalog
    verifier: TokenVerifier
    clock: Clock
    _actor: int | None = field(default=None, init=False)
    _actor_known: bool = field(default=False, init=False)

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return oslo_date(self.clock())

    def actor_hpr(self) -> int | None:
        """The HPR number of a valid bearer token, else None."""
        if not self._actor_known:
            self._actor = self._verify()
            self._actor_known = True
        return self._actor

    def require_actor(self) -> int:
        actor = self.actor_hpr()
        if actor is None:
            raise Unauthenticated()
        return actor

    def _verify(self) -> int | None:
        header = self.request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self.verifier.practitioner_hpr(token.strip())
