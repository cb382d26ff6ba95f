"""A database-wide change counter, so that every instance can tell cheaply what changed.

Each write takes the next value in its own transaction and stamps it on the practice it
changed. The counter's row lock orders the values by commit, so an instance that has seen
value N and then sees N+k knows exactly which practices to forget: no change is missed the
way an id sequence (which commits out of order) could miss one."""

from __future__ import annotations

from sqlalchemy import Integer, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.practices import Practice

COUNTER_ID = 1


class ChangeCounter(Base):
    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(Integer)


async def next_change(*, session: AsyncSession) -> int:
    result = await session.execute(
        update(ChangeCounter)
        .where(ChangeCounter.id == COUNTER_ID)
        .values(value=ChangeCounter.value + 1)
        .returning(ChangeCounter.value)
    )
    return result.scalar_one()


async def stamp_practices(*, session: AsyncSession, change: int, her_ids: list[int] | None) -> None:
    """Marks practices (all of them when `her_ids` is None) as changed by `change`."""
    query = update(Practice).values(changed_in=change)
    if her_ids is not None:
        query = query.where(Practice.her_id.in_(her_ids))
    await session.execute(query.execution_options(synchronize_session=False))


async def current_change(*, session: AsyncSession) -> int:
    result = await session.execute(
        select(ChangeCounter.value).where(ChangeCounter.id == COUNTER_ID)
    )
    return result.scalar_one_or_none() or 0


async def changed_since(*, session: AsyncSession, change: int) -> list[int]:
    result = await session.execute(select(Practice.her_id).where(Practice.changed_in > change))
    return list(result.scalars())
