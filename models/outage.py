"""Telling "the database cannot be reached right now" apart from every other failure.

A database restart, a network drop or a file system that went away is no bug: the answer is
"try again shortly", not an unexpected error with a reference. The drivers say so in many
ways (asyncpg's connection errors, an OSError from the socket, a timeout, SQLAlchemy's
disconnect flag, SQLite's "unable to open database file"); `is_unavailable` knows them all, so
the layers above ask one question."""

from __future__ import annotations

import errno
import socket
import sqlite3

import asyncpg
from sqlalchemy import exc as sa

# What SQLite says when its file, or the folder or disk under it, cannot be used.
_SQLITE_UNAVAILABLE = (
    "unable to open database file",
    "disk i/o error",
    "database is locked",
    "readonly database",
)
# asyncpg's InterfaceError covers misuse too; only these mean the connection is gone.
_ASYNCPG_CLOSED = ("connection is closed", "connection was closed", "pool is closed")
_NETWORK_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ENETDOWN,
    errno.ETIMEDOUT,
    errno.EPIPE,
}


class CommitOutcomeUnknown(Exception):
    """The connection broke while COMMIT was on its way: the change may or may not be saved."""


def is_unavailable(error: BaseException | None) -> bool:
    """True when `error` (or what caused it) means the database could not be reached, or went
    away while being used."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if _says_unavailable(error):
            return True
        orig = getattr(error, "orig", None)
        error = orig if isinstance(orig, BaseException) else error.__cause__ or error.__context__
    return False


def _says_unavailable(error: BaseException) -> bool:
    if isinstance(error, CommitOutcomeUnknown | TimeoutError | ConnectionError):
        return True
    if isinstance(error, sa.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa.TimeoutError | sa.DisconnectionError):
        # The pool waited in vain for a connection, or a pre-ping found it dead.
        return True
    if isinstance(
        error,
        asyncpg.PostgresConnectionError
        | asyncpg.exceptions.OperatorInterventionError
        | asyncpg.exceptions.TooManyConnectionsError,
    ):
        return True
    if isinstance(error, asyncpg.InterfaceError):
        return any(phrase in str(error).lower() for phrase in _ASYNCPG_CLOSED)
    if isinstance(error, sqlite3.OperationalError):
        return any(phrase in str(error).lower() for phrase in _SQLITE_UNAVAILABLE)
    if isinstance(error, socket.gaierror):
        return True
    # asyncpg trying several addresses ("Multiple exceptions: [Errno 111] Connect call
    # failed …") gives a plain OSError; other OSErrors (a missing file) are bugs, not outages.
    return isinstance(error, OSError) and (
        error.errno in _NETWORK_ERRNOS or "connect call failed" in str(error).lower()
    )
