"""Alembic owns the schema: the same migrations on both engines, reversible, and in step
with the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from models.database import Database, alembic_config
from models.tables import metadata

TABLES = {
    "absence",
    "affiliation",
    "audit_entry",
    "change_counter",
    "dpop_proof",
    "login_attempt",
    "login_session",
    "practice",
    "practice_text",
    "scheduled_text",
    "practitioner",
    "signing_key",
    "tool_choice",
}


def head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def tables_and_revision(db: Database) -> tuple[set[str], str | None]:
    async with db.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        revision = None
        if "alembic_version" in tables:
            revision = (
                await connection.execute(text("SELECT version_num FROM alembic_version"))
            ).scalar()
    return tables - {"alembic_version"}, revision


async def differences(db: Database) -> list:
    async with db.engine.connect() as connection:
        return await connection.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c), metadata)
        )


async def test_empty_database_upgrades_to_head(settings):
    db = Database(settings.database_url)
    try:
        assert await tables_and_revision(db) == (set(), None)
        await db.upgrade()
        assert await tables_and_revision(db) == (TABLES, head())
    finally:
        await db.dispose()


async def test_upgrade_twice_is_harmless(settings):
    db = Database(settings.database_url)
    try:
        await db.upgrade()
        await db.upgrade()
        assert await tables_and_revision(db) == (TABLES, head())
    finally:
        await db.dispose()


async def test_head_to_base_to_head(settings):
    db = Database(settings.database_url)
    try:
        await db.upgrade()
        await db.downgrade("base")
        assert (await tables_and_revision(db))[0] == set()
        await db.upgrade()
        assert await tables_and_revision(db) == (TABLES, head())
    finally:
        await db.dispose()


async def test_models_and_migrations_agree(settings):
    db = Database(settings.database_url)
    try:
        await db.upgrade()
        assert await differences(db) == []
    finally:
        await db.dispose()
