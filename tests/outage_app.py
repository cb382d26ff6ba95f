"""An instance of the app on a database of the test's choosing, for the outage tests: the
services as `tilpass serve` makes them, on httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from app import Services, create_app
from auth.tokens import development_tokens
from models.catalog import load_catalog
from models.database import Database
from settings import Settings
from tests.conftest import ASTRID, Clock, import_text, registry_text

GRAPHQL_RESPONSE = "application/graphql-response+json"


@dataclass
class Instance:
    services: Services
    client: httpx.AsyncClient
    token: str

    async def post(
        self, document: str, variables: dict[str, Any], *, admin: bool = False
    ) -> httpx.Response:
        headers = {"Accept": GRAPHQL_RESPONSE}
        if admin:
            headers["Authorization"] = f"Bearer {self.token}"
        return await self.client.post(
            "/graphql", json={"query": document, "variables": variables}, headers=headers
        )


@asynccontextmanager
async def instance(url: str, *, timeout: float = 2.0) -> AsyncIterator[Instance]:
    """The app on `url` with the test registry, as `tilpass serve` would run it."""
    db = Database(url, timeout=timeout, statement_timeout=timeout)
    await db.upgrade()
    await import_text(db, registry_text())
    tokens = await development_tokens(db, Settings(database_url=url))
    services = Services(db=db, catalog=load_catalog(), verifier=tokens, clock=Clock())
    await services.start()
    app = create_app(services, settings=Settings(database_url=url))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver", timeout=30
        ) as client:
            yield Instance(services, client, tokens.issue(ASTRID))
    finally:
        await services.stop()
        await db.dispose()
