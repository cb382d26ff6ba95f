"""Engine, sessions and schema upgrades for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool, StaticPool

from models.outage import CommitOutcomeUnknown, is_unavailable

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 15_000
# Connecting to PostgreSQL, and each statement, may take this long before it counts as an outage.
DEFAULT_TIMEOUT_SECONDS = 5.0
# Serialises schema upgrades between processes on PostgreSQL (any constant will do).
UPGRADE_LOCK_ID = 0x7117A55


class Database:
    """One engine per process. Writes go through `write()`: on SQLite one writer at a time in
    the process and BEGIN IMMEDIATE, so a transaction never fails half-way with "database is
    locked"; on PostgreSQL row locks and conditional updates do that job."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        statement_timeout: float | None = None,
    ) -> None:
        """`timeout` bounds connecting to PostgreSQL and waiting for a pooled connection;
        `statement_timeout` each statement (the server sets it; commands that import a whole
        registry leave it out)."""
        self.url, self.timeout = url, timeout
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {}
        if not self.is_sqlite:
            # A database that went away must cost an error within seconds, never a hang: a
            # pooled connection is pinged before use (a restart leaves the pool full of dead
            # ones), and connecting, waiting for the pool and statements are bounded.
            kwargs["pool_pre_ping"] = True
            kwargs["pool_timeout"] = timeout
            kwargs["connect_args"] = {"timeout": timeout, "command_timeout": statement_timeout}
        if self.is_sqlite and not _in_memory(url):
            # A fresh machine may name a folder that is not there yet.
            Path(make_url(url).database or ".").parent.mkdir(parents=True, exist_ok=True)
        if self.is_sqlite and _in_memory(url):
            # Every session must see the same in-memory database.
            kwargs["poolclass"] = StaticPool
            kwargs["connect_args"] = {"check_same_thread": False}
        # Statement parameters (practice texts) never reach an error message or the log.
        self.engine: AsyncEngine = create_async_engine(url, hide_parameters=True, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = asyncio.Lock()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A transaction that commits when the block ends and rolls back if it raises."""
        if self.is_sqlite:
            async with self._write_lock:
                async with self._sessions() as session:
                    await session.connection(execution_options={"tilpass_write": True})
                    async with _transaction(session):
                        yield session
        else:
            async with self._sessions() as session, _transaction(session):
                yield session

    async def upgrade(self, revision: str = "head") -> None:
        """Brings the schema to `revision` (the newest by default); safe when several processes
        start at once."""
        await self._migrate("upgrade", revision)

    async def downgrade(self, revision: str) -> None:
        await self._migrate("downgrade", revision)

    async def _migrate(self, action: str, revision: str) -> None:
        engine = self.engine if self.is_sqlite else self._engine_for_migrations()
        try:
            await self._migrate_on(engine, action, revision)
        finally:
            if engine is not self.engine:
                await engine.dispose()

    def _engine_for_migrations(self) -> AsyncEngine:
        """Without the statement timeout: a migration (or waiting for another process's) may
        rightly take longer than any request should."""
        return create_async_engine(
            self.url,
            hide_parameters=True,
            poolclass=NullPool,
            connect_args={"timeout": self.timeout},
        )

    async def _migrate_on(self, engine: AsyncEngine, action: str, revision: str) -> None:
        async with self._write_lock, engine.connect() as connection:
            if self.is_sqlite:
                connection = await connection.execution_options(tilpass_write=True)
            async with connection.begin():
                if not self.is_sqlite:
                    await connection.execute(
                        text("SELECT pg_advisory_xact_lock(:id)"), {"id": UPGRADE_LOCK_ID}
                    )
                await connection.run_sync(_run_alembic, action, revision)

    async def dispose(self) -> None:
        await self.engine.dispose()


@asynccontextmanager
async def _transaction(session: AsyncSession) -> AsyncIterator[None]:
    if not session.in_transaction():
        await session.begin()
    try:
        yield
    except BaseException:
        try:
            await session.rollback()
        except Exception as failure:
            # The connection is gone (the database will roll back on its own): what the
            # caller must hear about is what broke the transaction, not the rollback.
            if not is_unavailable(failure):
                raise
        raise
    else:
        try:
            await session.commit()
        except Exception as error:
            if is_unavailable(error):
                raise CommitOutcomeUnknown() from error
            raise


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _run_alembic(connection: Connection, action: str, revision: str) -> None:
    config = alembic_config(connection)
    getattr(command, action)(config, revision)


def _in_memory(url: str) -> bool:
    return ":memory:" in url or url.rstrip("/").endswith("sqlite+aiosqlite:")


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to the "begin" hook below instead of the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A deferred BEGIN that later writes fails at once when another process writes;
        # writers take the lock up front and wait for it (busy_timeout) instead.
        if connection.get_execution_options().get("tilpass_write"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


@contextmanager
def recording_statements(db: Database) -> Iterator[list[str]]:
    """Collects the SQL statements `db` runs inside the block (transaction control left out),
    for tests and benchmarks that watch how many round trips an operation costs."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.split(None, 1)[0].upper() not in _TRANSACTION_CONTROL:
            statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


_TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}
