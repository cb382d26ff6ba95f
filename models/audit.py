"""The audit log: one row per change to a practice, appended in the change's own transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_practice_id", "her_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    her_id: Mapped[int] = mapped_column(ForeignKey("practice.her_id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_hpr: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text)
    before: Mapped[str | None] = mapped_column(Text, nullable=True)
    after: Mapped[str | None] = mapped_column(Text, nullable=True)
    # What a revert needs beyond before/after: the id of the absence or scheduled text the
    # change added or deleted, and for a revertChange the kind of change it made ("saveTexts",
    # "deleteAbsence", …), so that it can be reverted in turn. Null in entries written before.
    subject_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    change_kind: Mapped[str | None] = mapped_column(String(40), nullable=True)


async def entries_of(
    *, session: AsyncSession, her_id: int, limit: int, before_id: int | None = None
) -> list[AuditEntry]:
    """Newest first; `before_id` continues after an entry already handed out."""
    query = select(AuditEntry).where(AuditEntry.her_id == her_id)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    result = await session.execute(query.order_by(AuditEntry.id.desc()).limit(limit))
    return list(result.scalars())


async def entry_exists(*, session: AsyncSession, her_id: int, entry_id: int) -> bool:
    result = await session.execute(
        select(AuditEntry.id).where(AuditEntry.her_id == her_id, AuditEntry.id == entry_id)
    )
    return result.first() is not None


async def get_entry(*, session: AsyncSession, her_id: int, entry_id: int) -> AuditEntry | None:
    result = await session.execute(
        select(AuditEntry).where(AuditEntry.her_id == her_id, AuditEntry.id == entry_id)
    )
    return result.scalar_one_or_none()
