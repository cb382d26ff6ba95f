"""Alembic environment. The service runs migrations itself on a connection it hands over
(see models.database.Database.upgrade); `alembic` on the command line uses TILPASS_DATABASE_URL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine

from models.tables import metadata
from settings import load_settings

target_metadata = metadata


def run_migrations(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_standalone() -> None:
    engine = create_async_engine(load_settings().database_url)
    async with engine.begin() as connection:
        await connection.run_sync(run_migrations)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    asyncio.run(run_standalone())
