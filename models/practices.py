"""Practices (legekontor, by HER-id), practitioners (by HPR number) and who is affiliated where."""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Integer, String, select, update
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


async def lock_practice(*, session: AsyncSession, her_id: int) -> Practice | None:
    """The practice row, locked for this write transaction (SQLite holds the write lock already)."""
    result = await session.execute(
        select(Practice).where(Practice.her_id == her_id).with_for_update()
    )
    return result.scalar_one_or_none()


async def bump_version(*, session: AsyncSession, her_id: int, expected: int) -> bool:
    """Moves the version on by one only if it still is `expected`: the conditional UPDATE is
    what keeps two concurrent saves from both succeeding."""
    result = await session.execute(
        update(Practice)
        .where(Practice.her_id == her_id, Practice.version == expected)
        .values(version=Practice.version + 1)
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
        .where(Affiliation.hpr_number == hpr_number)
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


async def practitioners_named(
    *, session: AsyncSession, hpr_numbers: set[int]
) -> list[Practitioner]:
    if not hpr_numbers:
        return []
    result = await session.execute(
        select(Practitioner).where(Practitioner.hpr_number.in_(hpr_numbers))
    )
    return list(result.scalars())
