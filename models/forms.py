"""The practice's choice of form per entry point; no row means the catalogue default applies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class ToolChoice(Base):
    __tablename__ = "tool_choice"

    her_id: Mapped[int] = mapped_column(
        ForeignKey("practice.her_id", ondelete="CASCADE"), primary_key=True
    )
    entry_point: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Null is an explicit "Ingen": patients go straight to the service.
    form_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    chosen_by_hpr: Mapped[int] = mapped_column(Integer)


async def choices_of(*, session: AsyncSession, her_id: int) -> dict[str, ToolChoice]:
    result = await session.execute(select(ToolChoice).where(ToolChoice.her_id == her_id))
    return {row.entry_point: row for row in result.scalars()}
