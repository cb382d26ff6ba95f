"""Fuzzing: schemathesis reads the GraphQL schema from the app (introspection, development mode)
and sends generated queries and mutations for every root field, valid and invalid ones, to the
ASGI app with a practitioner's token. No answer may be a server error: no 5xx status and no
error masked as INTERNAL_SERVER_ERROR. The example count is bounded to keep the run short."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.python import asgi
from starlette.applications import Starlette

from app import create_app
from auth.tokens import development_tokens
from models.database import Database
from schema.root import schema as root_schema
from settings import Settings
from tests.conftest import (
    ASTRID,
    FJORDBYEN,
    JACOB,
    KRISTIAN,
    STORGATA,
    import_text,
    registry_text,
)

EXAMPLES_PER_FIELD = 50


async def prepare_database(settings_: Settings) -> str:
    """The test registry in a fresh database, and a token of Kristian (two practices)."""
    db = Database(settings_.database_url)
    try:
        await db.upgrade()
        await import_text(db, registry_text())
        return (await development_tokens(db, settings_)).issue(KRISTIAN)
    finally:
        await db.dispose()


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Starlette, str]]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    settings_ = Settings(database_url=f"sqlite+aiosqlite:///{folder / 'tilpass.db'}")
    token = asyncio.run(prepare_database(settings_))
    # Without services given, the app opens its own when schemathesis starts its lifespan.
    yield create_app(settings=settings_), token
    asgi.shutdown_lifespans()


@pytest.fixture(scope="module")
def graphql_schema(fuzzed: tuple[Starlette, str]) -> Any:
    app, _ = fuzzed
    return schemathesis.graphql.from_asgi("/graphql", app)


def root_fields() -> list[tuple[str, str]]:
    """(root type, field) for every field a query or mutation may start from."""
    graphql_schema = root_schema._schema
    return [
        (root.name, name)
        for root in (graphql_schema.query_type, graphql_schema.mutation_type)
        for name in root.fields
    ]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize(("root", "field"), root_fields(), ids="{0[0]}.{0[1]}".format)
def test_generated_requests_never_cause_a_server_error(graphql_schema, fuzzed, root, field, mode):
    _, token = fuzzed
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/graphql-response+json"}

    @given(
        case=graphql_schema[root][field].as_strategy(generation_mode=mode),
        her_id=st.sampled_from([None, STORGATA, FJORDBYEN]),
        hpr=st.sampled_from([None, ASTRID, KRISTIAN, JACOB]),
    )
    @settings(
        max_examples=EXAMPLES_PER_FIELD,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any, her_id: int | None, hpr: int | None) -> None:
        # Random numbers seldom name a practice or a practitioner of the registry: aim some
        # of the requests at real ones, so that they get past FORBIDDEN into the rules.
        if isinstance(case.body, str):
            if her_id is not None:
                case.body = re.sub(r"herId: -?\d+", f"herId: {her_id}", case.body)
            if hpr is not None:
                case.body = re.sub(r"(practitionerHpr|hprNumber): -?\d+", rf"\1: {hpr}", case.body)
        response = case.call(headers=headers)
        assert response.status_code < 500, response.text
        body = response.json()
        assert isinstance(body, dict), body
        codes = [(e.get("extensions") or {}).get("code") for e in body.get("errors", [])]
        assert "INTERNAL_SERVER_ERROR" not in codes, body

    check()
