"""Where the development signing key is kept on PostgreSQL (beside the file on SQLite)."""

from __future__ import annotations

from sqlalchemy import String, Text, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class SigningKey(Base):
    __tablename__ = "signing_key"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    secret: Mapped[str] = mapped_column(Text)


async def get_or_create_key(*, session: AsyncSession, name: str, candidate: str) -> str:
    """Stores `candidate` unless a key exists; two instances starting at once end up agreeing."""
    await session.execute(
        pg_insert(SigningKey)
        .values(name=name, secret=candidate)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    result = await session.execute(select(SigningKey.secret).where(SigningKey.name == name))
    return result.scalar_one()
