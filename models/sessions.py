"""Sign-in state kept server-side, so that every instance sharing the database knows it.

- `LoginAttempt`: a login under way, from `/auth/login` to `/auth/callback`: the request the
  callback answers (state, nonce, PKCE verifier), where to go afterwards, and a hash of the random value in the browser's login
  cookie, so that only the browser that started a login can finish it. Used once.
- `LoginSession`: a signed-in GP. The browser holds only a random id; the table holds its
  SHA-256, so a copy of the table opens no session.
- `DPoPProof`: the `jti` of every DPoP proof accepted in the last minutes, so that no instance
  accepts a proof twice.

Only hashes of the browser's secrets are stored; the ID token is kept for the logout's
`id_token_hint` and never leaves the server."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class LoginAttempt(Base):
    __tablename__ = "login_attempt"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    browser_hash: Mapped[str] = mapped_column(String(64))
    request: Mapped[str] = mapped_column(Text)
    next_path: Mapped[str] = mapped_column(String(2000))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoginSession(Base):
    __tablename__ = "login_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    hpr_number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    id_token: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DPoPProof(Base):
    __tablename__ = "dpop_proof"

    jti_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


# --- logins under way -------------------------------------------------------------------------


async def add_attempt(*, session: AsyncSession, attempt: LoginAttempt) -> None:
    session.add(attempt)


async def take_attempt(*, session: AsyncSession, state_hash: str) -> LoginAttempt | None:
    """The login started with this state, removed so that its callback cannot be replayed."""
    attempt = await session.get(LoginAttempt, state_hash)
    if attempt is not None:
        await session.delete(attempt)
    return attempt


async def drop_attempts_before(*, session: AsyncSession, moment: datetime) -> None:
    await session.execute(delete(LoginAttempt).where(LoginAttempt.started_at < moment))


# --- signed-in GPs ----------------------------------------------------------------------------


async def add_session(*, session: AsyncSession, login: LoginSession) -> None:
    session.add(login)


async def find_session(*, session: AsyncSession, id_hash: str) -> LoginSession | None:
    result = await session.execute(select(LoginSession).where(LoginSession.id_hash == id_hash))
    return result.scalar_one_or_none()


async def touch_session(*, session: AsyncSession, id_hash: str, moment: datetime) -> None:
    await session.execute(
        update(LoginSession).where(LoginSession.id_hash == id_hash).values(last_seen_at=moment)
    )


async def end_session(*, session: AsyncSession, id_hash: str) -> LoginSession | None:
    """Removes the session (every instance then refuses its cookie); the removed row."""
    login = await find_session(session=session, id_hash=id_hash)
    if login is not None:
        await session.delete(login)
    return login


async def drop_sessions(
    *, session: AsyncSession, started_before: datetime, seen_before: datetime
) -> None:
    """Forgets sessions past their absolute or idle timeout."""
    await session.execute(
        delete(LoginSession).where(
            (LoginSession.started_at < started_before) | (LoginSession.last_seen_at < seen_before)
        )
    )


# --- DPoP proofs seen -------------------------------------------------------------------------


async def first_use_of_proof(
    *, session: AsyncSession, jti_hash: str, moment: datetime, forget_before: datetime
) -> bool:
    """Records a proof's `jti`; False when some instance has recorded it already."""
    await session.execute(delete(DPoPProof).where(DPoPProof.seen_at < forget_before))
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    result = await session.execute(
        insert(DPoPProof)
        .values(jti_hash=jti_hash, seen_at=moment)
        .on_conflict_do_nothing(index_elements=["jti_hash"])
    )
    return result.rowcount == 1
