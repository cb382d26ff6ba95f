"""The `tilpass` command, run as a separate process the way a user runs it."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from app import Services, create_app
from auth.tokens import development_tokens
from models.catalog import load_catalog
from models.database import Database
from settings import Settings
from tests.conftest import ASTRID, FJORDBYEN, KRISTIAN, STORGATA, TESTS
from tests.servers import Server

PROJECT = TESTS.parent

ME = """
query Me { me { hprNumber name practices { herId name } } }
"""


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    """An SQLite file, not created yet, in its own folder (not the working folder)."""
    folder = tmp_path / "data"
    folder.mkdir()
    return folder / "tilpass.db"


@pytest.fixture
def env(db_file: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TILPASS_")}
    environ["TILPASS_DATABASE_URL"] = f"sqlite:///{db_file}"
    return environ


def tilpass(
    *args: str, cwd: Path, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def token_of(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines, result.stdout
    token = lines[-1]
    assert token == token.strip() and " " not in token
    assert token.count(".") == 2  # a JWT, alone on its line
    return token


async def query_as(db_file: Path, document: str, token: str | None = None) -> dict[str, Any]:
    """Posts a document to an app built on the same database, the way conftest builds one."""
    settings = Settings(database_url=f"sqlite+aiosqlite:///{db_file}")
    db = Database(settings.database_url)
    try:
        await db.upgrade()
        tokens = await development_tokens(db, settings)
        services = Services(db=db, catalog=load_catalog(), verifier=tokens)
        app = create_app(services, settings=settings)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.post("/graphql", json={"query": document}, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()
    finally:
        await db.dispose()


async def me(db_file: Path, token: str) -> dict[str, Any] | None:
    body = await query_as(db_file, ME, token)
    assert "errors" not in body, body
    return body["data"]["me"]


def key_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if "key" in p.name.lower())


async def test_token_on_a_brand_new_database_is_accepted_by_the_app(tmp_path, env, db_file):
    # Given no database at all
    assert not db_file.exists()
    # When a token is asked for, then the registry imported
    token = token_of(tilpass("token", "--hpr", str(ASTRID), cwd=tmp_path, env=env))
    # Then the command created and upgraded the database on its way
    assert db_file.exists()
    with sqlite3.connect(db_file) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert len(tables) > 1, tables
    # And the token is accepted by an app on the same database
    imported = tilpass("import-registry", str(TESTS / "registry.json"), cwd=tmp_path, env=env)
    assert imported.returncode == 0, imported.stderr
    who = await me(db_file, token)
    assert who is not None
    assert who["hprNumber"] == ASTRID
    assert [p["herId"] for p in who["practices"]] == [STORGATA]


async def test_key_file_is_created_beside_the_database_and_reused(tmp_path, env, db_file):
    first = token_of(tilpass("token", "--hpr", str(ASTRID), cwd=tmp_path, env=env))
    keys = key_files(db_file.parent)
    assert len(keys) == 1, keys
    key = keys[0].read_bytes()
    assert key_files(tmp_path) == [], "the key belongs beside the database, not in the cwd"

    second = token_of(tilpass("token", "--hpr", str(KRISTIAN), cwd=tmp_path, env=env))
    assert key_files(db_file.parent) == keys
    assert keys[0].read_bytes() == key

    assert tilpass("seed-demo", cwd=tmp_path, env=env).returncode == 0
    assert (await me(db_file, first))["hprNumber"] == ASTRID
    assert (await me(db_file, second))["hprNumber"] == KRISTIAN


async def test_seed_demo_works_and_is_idempotent(tmp_path, env, db_file):
    first = tilpass("seed-demo", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    token = token_of(tilpass("token", "--hpr", str(ASTRID), cwd=tmp_path, env=env))
    after_first = await me(db_file, token)
    assert after_first is not None and after_first["practices"]

    second = tilpass("seed-demo", cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    assert await me(db_file, token) == after_first


async def test_import_registry_with_a_bad_file_changes_nothing(tmp_path, env, db_file):
    # Given the test registry imported
    good = tilpass("import-registry", str(TESTS / "registry.json"), cwd=tmp_path, env=env)
    assert good.returncode == 0, good.stderr
    token = token_of(tilpass("token", "--hpr", str(KRISTIAN), cwd=tmp_path, env=env))
    before = await me(db_file, token)
    assert [p["herId"] for p in before["practices"]] == [FJORDBYEN, STORGATA]

    # When a file renaming Storgata but with a bad organisation number at Fjordbyen is imported
    raw = json.loads((TESTS / "registry.json").read_text(encoding="utf-8"))
    raw["practices"][0]["name"] = "Omdøpt legesenter"
    raw["practices"][1]["orgNumber"] = "923609017"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(raw), encoding="utf-8")
    result = tilpass("import-registry", str(bad), cwd=tmp_path, env=env)

    # Then it fails, saying in Norwegian which entry is wrong, and nothing changed
    assert result.returncode != 0
    assert str(FJORDBYEN) in result.stderr
    assert "923609017" in result.stderr
    assert "organisasjonsnummer" in result.stderr.lower()
    assert "Traceback" not in result.stderr
    assert await me(db_file, token) == before


def test_import_registry_of_a_missing_file_fails(tmp_path, env):
    result = tilpass("import-registry", str(tmp_path / "finnes-ikke.json"), cwd=tmp_path, env=env)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr


def test_export_schema_prints_the_committed_schema(tmp_path, env):
    result = tilpass("export-schema", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    committed = (PROJECT / "schema.graphql").read_text(encoding="utf-8")
    assert result.stdout == committed, "schema.graphql is stale: run `make schema`"


def test_token_is_refused_in_production(tmp_path, env):
    env = {**env, "TILPASS_ENV": "production"}
    result = tilpass("token", "--hpr", str(ASTRID), cwd=tmp_path, env=env)
    assert result.returncode != 0
    assert result.stdout.strip().count(".") < 2  # no token printed
    assert result.stderr.strip()
    assert "Traceback" not in result.stderr


def test_serve_accepts_a_token_from_the_token_command(tmp_path, env):
    # Given the demo registry and a token from the command line
    assert tilpass("seed-demo", cwd=tmp_path, env=env).returncode == 0
    token = token_of(tilpass("token", "--hpr", str(ASTRID), cwd=tmp_path, env=env))
    # When the server runs on the same database
    server = Server(cwd=tmp_path, env=env).start()
    try:
        health = httpx.get(f"{server.base}/healthz", timeout=5)
        assert health.json() == {"status": "ok"}
        # Then it knows who the token belongs to
        response = httpx.post(
            f"{server.base}/graphql",
            json={"query": ME},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        assert body["data"]["me"]["hprNumber"] == ASTRID
    finally:
        server.stop()
