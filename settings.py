"""Configuration read from the environment (TILPASS_*), in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///tilpass.db"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    env: str = "development"

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def sqlite_path(self) -> Path | None:
        """The database file of an SQLite URL; None for PostgreSQL or an in-memory database."""
        if not self.database_url.startswith("sqlite"):
            return None
        _, _, path = self.database_url.partition(":///")
        path = path.split("?", 1)[0]
        if not path or path == ":memory:":
            return None
        return Path(path)


def normalise_database_url(url: str) -> str:
    """Lets users write plain sqlite:// or postgresql:// URLs; the service always runs async drivers."""
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.removeprefix("sqlite://")
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url.removeprefix("postgresql://")
    if url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url.removeprefix("postgres://")
    return url


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    env = environ.get("TILPASS_ENV", "development").strip().lower() or "development"
    if env not in ("development", "production"):
        raise SystemExit(f"TILPASS_ENV må være 'development' eller 'production', ikke {env!r}.")
    url = normalise_database_url(environ.get("TILPASS_DATABASE_URL", "") or DEFAULT_DATABASE_URL)
    return Settings(database_url=url, env=env)
