"""Practices (legekontor, by HER-id), practitioners (by HPR number) and who is affiliated where."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    String,
    exists,
    false,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Practice(Base):
    __tablename__ = "practice"

    her_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    org_number: Mapped[str] = mapped_column(String(9))
    # Services the practice offers, from the registry import (list of service codes).
    offered: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=0)
    # The change counter's value of the last change here (see models.changes).
    changed_in: Mapped[int] = mapped_column(Integer, default=0, server_default="0", index=True)
    # Closed by the registry (Organization.active false): no one may edit it and patients are
    # answered as for an unknown practice, while its settings wait for it to reopen.
    closed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Practitioner(Base):
    __tablename__ = "practitioner"

    hpr_number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))


class Affiliation(Base):
    __tablename__ = "affiliation"

    her_id: Mapped[int] = mapped_column(
        ForeignKey("practice.her_id", ondelete="CASCADE"), primary_key=True
    )
    hpr_number: Mapped[int] = mapped_column(
        ForeignKey("practitioner.hpr_number", ondelete="CASCADE"), primary_key=True, index=True
    )


async def get_practice(*, session: AsyncSession, her_id: int) -> Practice | None:
    return await session.get(Practice, her_id)


async def practice_with_affiliation(
    *, session: AsyncSession, her_id: int, hpr_number: int | None, lock: bool = False
) -> tuple[Practice | None, bool]:
    """The practice and whether `hpr_number` (if given) is affiliated with it, in one
    statement. With `lock`, the practice's row is locked for this write transaction (SQLite
    holds the write lock already)."""
    affiliated = (
        exists().where(Affiliation.her_id == her_id, Affiliation.hpr_number == hpr_number)
        if hpr_number is not None
        else literal(True)
    )
    query = select(Practice, affiliated).where(Practice.her_id == her_id)
    row = (await session.execute(query.with_for_update(of=Practice) if lock else query)).first()
    return (None, False) if row is None else (row[0], bool(row[1]))


async def bump_version(*, session: AsyncSession, her_id: int, expected: int, change: int) -> bool:
    """Moves the version on by one only if it still is `expected`: the conditional UPDATE is
    what keeps two concurrent saves from both succeeding."""
    result = await session.execute(
        update(Practice)
        .where(Practice.her_id == her_id, Practice.version == expected)
        .values(version=Practice.version + 1, changed_in=change)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def get_practitioner(*, session: AsyncSession, hpr_number: int) -> Practitioner | None:
    return await session.get(Practitioner, hpr_number)


async def is_affiliated(*, session: AsyncSession, her_id: int, hpr_number: int) -> bool:
    result = await session.execute(
        select(Affiliation.her_id).where(
            Affiliation.her_id == her_id, Affiliation.hpr_number == hpr_number
        )
    )
    return result.first() is not None


async def practices_of(*, session: AsyncSession, hpr_number: int) -> list[Practice]:
    result = await session.execute(
        select(Practice)
        .join(Affiliation, Affiliation.her_id == Practice.her_id)
        .where(Affiliation.hpr_number == hpr_number, Practice.closed.is_(False))
        .order_by(Practice.name, Practice.her_id)
    )
    return list(result.scalars())


async def members_of(*, session: AsyncSession, her_id: int) -> list[Practitioner]:
    result = await session.execute(
        select(Practitioner)
        .join(Affiliation, Affiliation.hpr_number == Practitioner.hpr_number)
        .where(Affiliation.her_id == her_id)
        .order_by(Practitioner.name, Practitioner.hpr_number)
    )
    return list(result.scalars())
