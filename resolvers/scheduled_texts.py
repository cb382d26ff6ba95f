"""Planlagt tekst: a text shown to patients instead of a slot's addition from one date to
another, so that a holiday notice appears and disappears by itself."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import texts
from models.catalog import Catalog
from models.texts import ScheduledText
from resolvers.audit import record_change
from resolvers.dates import MAX_DAYS, PeriodWords, check_period, oslo_date, short_date
from resolvers.errors import Problem
from resolvers.practices import require_affiliation, stale_version
from resolvers.texts import DEFAULT_LANGUAGE, LANGUAGE_NAMES, LANGUAGES, check_text

SCHEDULE_PERIOD = PeriodWords(
    over="Perioden er allerede over",
    longest=f"En planlagt tekst kan vises i høyst {MAX_DAYS} dager.",
    ahead="En planlagt tekst kan legges inn høyst to år fram i tid",
)


def describe_scheduled(row: ScheduledText) -> dict[str, object]:
    return {
        "slot": row.slot,
        "language": row.language,
        "text": row.text,
        "from": row.from_date.isoformat(),
        "to": row.to_date.isoformat(),
    }


def overlapping_schedule(
    catalog: Catalog,
    existing: list[ScheduledText],
    slot: str,
    language: str,
    start: date,
    end: date,
    field: tuple[str, ...] = ("from",),
) -> Problem | None:
    """SCHEDULE_OVERLAP naming the first scheduled text in `existing` of the same slot and
    language that shares a date."""
    for other in existing:
        if (
            other.slot == slot
            and other.language == language
            and other.from_date <= end
            and start <= other.to_date
        ):
            return Problem(
                code="SCHEDULE_OVERLAP",
                message=(
                    f"«{catalog.text_slot(slot).admin_title}» har allerede en planlagt tekst "
                    f"{short_date(other.from_date)}–{short_date(other.to_date)}. "
                    "Planlagte tekster for samme felt og språk kan ikke overlappe."
                ),
                field=field,
            )
    return None


def _scheduled_summary(verb: str, catalog: Catalog, row: ScheduledText) -> str:
    title = catalog.text_slot(row.slot).admin_title
    language = "" if row.language == DEFAULT_LANGUAGE else f" ({LANGUAGE_NAMES[row.language]})"
    dates = f"{short_date(row.from_date)}–{short_date(row.to_date)}"
    return f"{verb} planlagt tekst for «{title}»{language} {dates}."


async def add_scheduled_text(
    *,
    session: AsyncSession,
    catalog: Catalog,
    her_id: int,
    actor_hpr: int,
    expected_version: int | None,
    slot: str,
    language: str,
    text: str,
    start: date,
    end: date,
    now: datetime,
) -> tuple[ScheduledText | None, list[Problem]]:
    practice = await require_affiliation(
        session=session, her_id=her_id, actor_hpr=actor_hpr, lock=True
    )
    spec = catalog.text_slot(slot)
    problems: list[Problem] = []
    stale = stale_version(practice, expected_version)
    if stale is not None:
        problems.append(stale)
    normalised, problem = check_text(catalog, slot, language, text, ("text",))
    if problem is not None:
        problems.append(problem)
    elif normalised is None:
        problems.append(
            Problem(
                code="EMPTY_TEXT",
                message=f"Skriv teksten som skal vises for «{spec.admin_title}» i perioden.",
                field=("text",),
            )
        )
    problems += check_period(start, end, oslo_date(now), SCHEDULE_PERIOD)
    if problems or normalised is None:
        return None, problems
    overlapping = await texts.scheduled_texts_overlapping(
        session=session, her_id=her_id, slot=slot, language=language, start=start, end=end
    )
    overlap = overlapping_schedule(catalog, overlapping, slot, language, start, end)
    if overlap is not None:
        return None, [overlap]
    row = ScheduledText(
        id=str(uuid.uuid4()),
        her_id=her_id,
        slot=slot,
        language=language,
        text=normalised,
        from_date=start,
        to_date=end,
        created_at=now,
        created_by_hpr=actor_hpr,
    )
    session.add(row)
    await record_change(
        session=session,
        practice=practice,
        actor_hpr=actor_hpr,
        action="addScheduledText",
        summary=_scheduled_summary("La til", catalog, row),
        before=None,
        after=describe_scheduled(row),
        now=now,
        subject_id=row.id,
    )
    return row, []


async def delete_scheduled_text(
    *,
    session: AsyncSession,
    catalog: Catalog,
    her_id: int,
    actor_hpr: int,
    expected_version: int | None,
    scheduled_text_id: str,
    now: datetime,
) -> list[Problem]:
    practice = await require_affiliation(
        session=session, her_id=her_id, actor_hpr=actor_hpr, lock=True
    )
    row = await texts.get_scheduled_text(
        session=session, her_id=her_id, scheduled_text_id=scheduled_text_id
    )
    problems = [p for p in [stale_version(practice, expected_version)] if p is not None]
    if row is None:
        problems.append(
            Problem(
                code="NOT_FOUND",
                message="Den planlagte teksten finnes ikke (lenger) for dette legekontoret.",
                field=("id",),
            )
        )
    if problems or row is None:
        return problems
    await session.delete(row)
    await record_change(
        session=session,
        practice=practice,
        actor_hpr=actor_hpr,
        action="deleteScheduledText",
        summary=_scheduled_summary("Slettet", catalog, row),
        before=describe_scheduled(row),
        after=None,
        now=now,
        subject_id=row.id,
    )
    return []


async def scheduled_texts_view(
    *, session: AsyncSession, catalog: Catalog, her_id: int, today: date, include_past: bool
) -> list[ScheduledText]:
    """By `from`, then TextSlot order, then Language order."""
    rows = await texts.scheduled_texts_of(
        session=session, her_id=her_id, ending_on_or_after=None if include_past else today
    )
    slot_order = {slot.code: index for index, slot in enumerate(catalog.text_slots)}
    return sorted(
        rows,
        key=lambda row: (row.from_date, slot_order[row.slot], LANGUAGES.index(row.language)),
    )
