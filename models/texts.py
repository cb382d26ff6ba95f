"""The practice's additions under the standard texts: the standing ones, one row per text slot
that was ever saved, and the scheduled ones, each shown from one date to another."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class PracticeText(Base):
    __tablename__ = "practice_text"

    her_id: Mapped[int] = mapped_column(
        ForeignKey("practice.her_id", ondelete="CASCADE"), primary_key=True
    )
    slot: Mapped[str] = mapped_column(String(40), primary_key=True)
    language: Mapped[str] = mapped_column(String(2), primary_key=True, server_default="NB")
    # Null once the addition is removed; the row keeps who removed it and when.
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_hpr: Mapped[int] = mapped_column(Integer)


async def texts_of(*, session: AsyncSession, her_id: int) -> dict[tuple[str, str], PracticeText]:
    """The practice's additions by (slot, language)."""
    result = await session.execute(select(PracticeText).where(PracticeText.her_id == her_id))
    return {(row.slot, row.language): row for row in result.scalars()}


class ScheduledText(Base):
    __tablename__ = "scheduled_text"
    __table_args__ = (Index("ix_scheduled_text_practice", "her_id", "to_date"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    her_id: Mapped[int] = mapped_column(ForeignKey("practice.her_id", ondelete="CASCADE"))
    slot: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(2))
    text: Mapped[str] = mapped_column(Text)
    from_date: Mapped[date] = mapped_column(Date)
    to_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_hpr: Mapped[int] = mapped_column(Integer)


async def scheduled_texts_of(
    *, session: AsyncSession, her_id: int, ending_on_or_after: date | None = None
) -> list[ScheduledText]:
    """The practice's scheduled texts by `from` (the caller orders slots and languages)."""
    query = select(ScheduledText).where(ScheduledText.her_id == her_id)
    if ending_on_or_after is not None:
        query = query.where(ScheduledText.to_date >= ending_on_or_after)
    result = await session.execute(query.order_by(ScheduledText.from_date, ScheduledText.id))
    return list(result.scalars())


async def scheduled_texts_overlapping(
    *, session: AsyncSession, her_id: int, slot: str, language: str, start: date, end: date
) -> list[ScheduledText]:
    result = await session.execute(
        select(ScheduledText)
        .where(
            ScheduledText.her_id == her_id,
            ScheduledText.slot == slot,
            ScheduledText.language == language,
            ScheduledText.from_date <= end,
            ScheduledText.to_date >= start,
        )
        .order_by(ScheduledText.from_date)
    )
    return list(result.scalars())


async def get_scheduled_text(
    *, session: AsyncSession, her_id: int, scheduled_text_id: str
) -> ScheduledText | None:
    result = await session.execute(
        select(ScheduledText).where(
            ScheduledText.her_id == her_id, ScheduledText.id == scheduled_text_id
        )
    )
    return result.scalar_one_or_none()
