"""/healthz (app.py) says the process is up; /readyz says it can serve: the database answers and its
schema is at the newest migration. A load balancer sends traffic only to ready instances, so
an instance whose database is gone, or not yet upgraded, stays out of rotation."""

from __future__ import annotations

import asyncio
import logging

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from starlette.requests import Request
from starlette.responses import JSONResponse

from models.database import Database, alembic_config
from models.outage import is_unavailable

log = logging.getLogger("tilpass.readiness")

TIMEOUT_SECONDS = 5.0


def _current_heads(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


async def database_state(db: Database) -> str:
    """ "ready", "unreachable" or "migrations behind"."""
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS), db.engine.connect() as connection:
            current = await connection.run_sync(_current_heads)
    except Exception as error:
        # An outage is expected to happen (models/outage.py); anything else gets its traceback.
        log.warning(
            "readiness: the database does not answer (%s)",
            type(error).__name__,
            exc_info=None if is_unavailable(error) else error,
        )
        return "unreachable"
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    return "ready" if current == heads else "migrations behind"


async def readyz(request: Request) -> JSONResponse:
    state = await database_state(request.app.state.services.db)
    if state == "ready":
        return JSONResponse({"status": "ready"})
    return JSONResponse({"status": "unavailable", "database": state}, status_code=503)
