"""Absences (fravær) that switch services off for a practitioner's patients."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime
from models.practices import Practitioner


class Absence(Base):
    __tablename__ = "absence"
    __table_args__ = (Index("ix_absence_practice_practitioner", "her_id", "hpr_number", "to_date"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    her_id: Mapped[int] = mapped_column(ForeignKey("practice.her_id", ondelete="CASCADE"))
    hpr_number: Mapped[int] = mapped_column(ForeignKey("practitioner.hpr_number"))
    from_date: Mapped[date] = mapped_column(Date)
    to_date: Mapped[date] = mapped_column(Date)
    services: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_hpr: Mapped[int] = mapped_column(Integer)


async def absences_of(
    *, session: AsyncSession, her_id: int, ending_on_or_after: date | None = None
) -> list[tuple[Absence, str | None]]:
    """The practice's absences by `from`, each with its practitioner's name."""
    query = (
        select(Absence, Practitioner.name)
        .outerjoin(Practitioner, Practitioner.hpr_number == Absence.hpr_number)
        .where(Absence.her_id == her_id)
    )
    if ending_on_or_after is not None:
        query = query.where(Absence.to_date >= ending_on_or_after)
    result = await session.execute(query.order_by(Absence.from_date, Absence.to_date, Absence.id))
    return [(absence, name) for absence, name in result.all()]


async def absences_of_practitioner(
    *, session: AsyncSession, her_id: int, hpr_number: int
) -> list[Absence]:
    result = await session.execute(
        select(Absence)
        .where(Absence.her_id == her_id, Absence.hpr_number == hpr_number)
        .order_by(Absence.from_date)
    )
    return list(result.scalars())


async def get_absence(*, session: AsyncSession, her_id: int, absence_id: str) -> Absence | None:
    result = await session.execute(
        select(Absence).where(Absence.her_id == her_id, Absence.id == absence_id)
    )
    return result.scalar_one_or_none()
