"""Fixtures: a fresh database per test with the test registry imported, the ASGI app on
httpx's ASGI transport, a clock the test can set, and tokens for any HPR number.

Every test that uses a database runs twice: on SQLite, and on PostgreSQL when
TILPASS_TEST_DATABASE_URL names a server (each test then gets a database of its own, created
and dropped around it). `make test` sets it when PostgreSQL answers on 127.0.0.1:5432."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import make_url

from app import Services, create_app
from auth.tokens import DevelopmentTokens, development_tokens
from models.catalog import load_catalog
from models.database import Database
from resolvers.registry import import_registry, parse_registry
from settings import Settings, normalise_database_url
from tests.browser import demo_server

TESTS = Path(__file__).resolve().parent
OSLO = ZoneInfo("Europe/Oslo")

# The test registry (tests/registry.json).
STORGATA = 8142519  # offers all four services
FJORDBYEN = 8142520  # offers all but E_KONSULTASJON
ASTRID = 9144889  # Storgata only
KRISTIAN = 1810001  # Storgata and Fjordbyen
JACOB = 5550123  # Fjordbyen only
STRANGER = 7654321  # a valid token, but not in the registry

# "Today" in every test unless the test moves the clock: Monday 10 June 2024, Europe/Oslo.
TODAY = date(2024, 6, 10)


class Clock:
    """The app's clock, settable by the test (a real dependency, not a mock)."""

    def __init__(self, today: date = TODAY) -> None:
        self.set(today)

    def set(self, today: date, at: time = time(10, 0)) -> None:
        self.moment = datetime.combine(today, at, tzinfo=OSLO).astimezone(UTC)
        self._next: list[datetime] = []

    def then(self, today: date, at: time) -> None:
        """Time passes once the clock has been read once more: every later reading is this."""
        self._next = [datetime.combine(today, at, tzinfo=OSLO).astimezone(UTC)]

    def __call__(self) -> datetime:
        now = self.moment
        if self._next:
            self.moment = self._next.pop()
        return now


@dataclass
class Api:
    """Posts GraphQL documents the way a client does and unpacks the answer."""

    client: httpx.AsyncClient
    tokens: DevelopmentTokens
    services: Services | None = None

    def token(self, hpr: int) -> str:
        return self.tokens.issue(hpr)

    async def post(
        self,
        document: str,
        variables: dict[str, Any] | None = None,
        *,
        hpr: int | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        """The whole response body (data and errors); the HTTP status must be 200."""
        headers = {}
        if hpr is not None:
            token = self.token(hpr)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = await self.client.post(
            "/graphql", json={"query": document, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def data(
        self, document: str, variables: dict[str, Any] | None = None, *, hpr: int | None = None
    ) -> dict[str, Any]:
        """The data of a response that must have no top-level errors."""
        body = await self.post(document, variables, hpr=hpr)
        assert "errors" not in body, body["errors"]
        return body["data"]


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors", [])]


def registry_text(name: str = "registry.json") -> str:
    return (TESTS / name).read_text(encoding="utf-8")


async def import_text(db: Database, text: str) -> None:
    entries = parse_registry(load_catalog(), text)
    async with db.write() as session:
        await import_registry(session=session, entries=entries)


@pytest.fixture
def clock() -> Clock:
    return Clock()


POSTGRES_ENV = "TILPASS_TEST_DATABASE_URL"


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for one test; dropped afterwards."""
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.skip(f"PostgreSQL: set {POSTGRES_ENV} (make test does when a server answers)")
    server_url = make_url(normalise_database_url(server))
    name = f"tilpass_test_{uuid.uuid4().hex[:16]}"
    admin_dsn = server_url.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield server_url.set(database=name).render_as_string(hide_password=False)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def settings(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Settings]:
    if request.param == "sqlite":
        yield Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'tilpass.db'}")
        return
    async with postgres_database() as url:
        yield Settings(database_url=url)


@pytest.fixture
async def db(settings: Settings):
    database = Database(settings.database_url)
    await database.upgrade()
    await import_text(database, registry_text())
    yield database
    await database.dispose()


@pytest.fixture
async def api(db: Database, settings: Settings, clock: Clock):
    tokens = await development_tokens(db, settings)
    services = Services(db=db, catalog=load_catalog(), verifier=tokens, clock=clock)
    await services.start()
    app = create_app(services, settings=settings)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Api(client=client, tokens=tokens, services=services)
    finally:
        await services.stop()


# --- set things up through the admin mutations, as a GP does ---------------------------

SAVE_TEXTS = """
mutation SaveTexts($input: SaveTextsInput!) {
  saveTexts(input: $input) { userErrors { field code message } }
}
"""

CHOOSE_FORM = """
mutation ChooseForm($input: ChooseFormInput!) {
  chooseForm(input: $input) { userErrors { field code message } }
}
"""

ADD_ABSENCE = """
mutation AddAbsence($input: AddAbsenceInput!) {
  addAbsence(input: $input) { absence { id } userErrors { field code message } }
}
"""


async def save_texts(api, her_id: int, texts: dict[str, str | None], hpr: int = KRISTIAN):
    data = await api.data(
        SAVE_TEXTS,
        {
            "input": {
                "herId": her_id,
                "texts": [{"slot": slot, "text": text} for slot, text in texts.items()],
            }
        },
        hpr=hpr,
    )
    assert data["saveTexts"]["userErrors"] == []


async def choose_form(api, her_id: int, entry_point: str, form_id: str | None, hpr: int = KRISTIAN):
    data = await api.data(
        CHOOSE_FORM,
        {"input": {"herId": her_id, "entryPoint": entry_point, "formId": form_id}},
        hpr=hpr,
    )
    assert data["chooseForm"]["userErrors"] == []


async def add_absence(
    api,
    start: date,
    end: date,
    services: list[str],
    *,
    practitioner: int = ASTRID,
    her_id: int = STORGATA,
    hpr: int = KRISTIAN,
):
    data = await api.data(
        ADD_ABSENCE,
        {
            "input": {
                "herId": her_id,
                "practitionerHpr": practitioner,
                "from": start.isoformat(),
                "to": end.isoformat(),
                "services": services,
            }
        },
        hpr=hpr,
    )
    assert data["addAbsence"]["userErrors"] == []
    assert data["addAbsence"]["absence"]["id"]


def as_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def text_input(her_id: int, slot: str, text: str | None) -> dict[str, Any]:
    """saveTexts variables for one box."""
    return {"input": {"herId": her_id, "texts": [{"slot": slot, "text": text}]}}


# --- the browser tests' server and page (tests/test_web*.py) ---------------------------------


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A real server on a fresh demo database, one per module (a module that needs other
    settings or data defines its own)."""
    folder = tmp_path_factory.mktemp(request.module.__name__.rpartition(".")[2])
    with demo_server(folder) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM_ARGS, chromium_path

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    """A fresh Norwegian browser context on the module's server; fails the test on any
    JavaScript error the page raised."""
    context = browser.new_context(
        base_url=server.base,
        locale="nb-NO",
        timezone_id="Europe/Oslo",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(10_000)
    opened = context.new_page()
    errors: list[str] = []
    context.on("weberror", lambda error: errors.append(str(error.error)))
    yield opened
    context.close()
    assert errors == [], f"JavaScript-feil på siden: {errors}"


async def samples(
    client: httpx.AsyncClient,
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The app's metrics as /metrics gives them: (name, sorted labels) → value."""
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
