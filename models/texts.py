"""The practice's additions under the standard texts, one row per text slot that was ever saved."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class PracticeText(Base):
    __tablename__ = "practice_text"

    her_id: Mapped[int] = mapped_column(
        ForeignKey("practice.her_id", ondelete="CASCADE"), primary_key=True
    )
    slot: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Null once the addition is removed; the row keeps who removed it and when.
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_hpr: Mapped[int] = mapped_column(Integer)


async def texts_of(*, session: AsyncSession, her_id: int) -> dict[str, PracticeText]:
    result = await session.execute(select(PracticeText).where(PracticeText.her_id == her_id))
    return {row.slot: row for row in result.scalars()}
