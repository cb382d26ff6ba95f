"""Info til pasient: the practice's additions under the standard texts, saved all or nothing,
and scheduled texts, shown instead of an addition from one date to another."""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import texts
from models.catalog import Catalog, TextSlotSpec
from models.practices import Practice
from models.texts import PracticeText, ScheduledText
from resolvers.audit import record_change
from resolvers.dates import MAX_DAYS, PeriodWords, check_period, oslo_date, short_date
from resolvers.errors import Problem
from resolvers.practices import require_affiliation, stale_version

# Bidi controls can make a text read differently from how it is stored (U+202A–U+202E,
# U+2066–U+2069); other control characters than newline and tab have no place in a notice.
_BIDI_CONTROLS = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_ALLOWED_CONTROLS = frozenset("\n\t")

# Helsenorge's languages, in the contract's order; additions without one are bokmål.
LANGUAGES = ("NB", "NN", "SE", "EN")
LANGUAGE_NAMES = {"NB": "bokmål", "NN": "nynorsk", "SE": "davvisámegiella", "EN": "engelsk"}
DEFAULT_LANGUAGE = "NB"

SCHEDULE_PERIOD = PeriodWords(
    over="Perioden er allerede over",
    longest=f"En planlagt tekst kan vises i høyst {MAX_DAYS} dager.",
    ahead="En planlagt tekst kan legges inn høyst to år fram i tid",
)


@dataclass(frozen=True)
class TextView:
    slot: TextSlotSpec
    text: str | None
    offered: bool
    updated_at: datetime | None
    updated_by_hpr: int | None


def normalise(raw: str | None) -> str | None:
    """CRLF and CR to LF, NFC, trimmed; blank means no addition."""
    if raw is None:
        return None
    text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n"))
    return text.strip() or None


def _has_forbidden_character(raw: str) -> bool:
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    return any(
        (unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS) or ch in _BIDI_CONTROLS
        for ch in text
    )


def check_text(
    slot: TextSlotSpec, raw: str | None, field: tuple[str, ...]
) -> tuple[str | None, Problem | None]:
    """The text normalised (None for none, or when it cannot be read as plain text), and
    what is wrong with it."""
    if raw is not None and _has_forbidden_character(raw):
        return None, Problem(
            code="INVALID_TEXT",
            message=(
                f"Teksten for «{slot.admin_title}» inneholder usynlige kontrolltegn. "
                "Bruk bare vanlig tekst, linjeskift og tabulator."
            ),
            field=field,
        )
    text = normalise(raw)
    if text is not None and len(text) > slot.max_length:
        return text, Problem(
            code="TOO_LONG",
            message=(
                f"Teksten for «{slot.admin_title}» er for lang: {len(text)} tegn, "
                f"maks {slot.max_length} tegn."
            ),
            field=field,
        )
    return text, None


def check_texts(
    catalog: Catalog, entries: list[tuple[str, str | None]]
) -> tuple[dict[str, str | None], list[Problem]]:
    """The normalised text per slot, and every problem found in the whole input."""
    wanted: dict[str, str | None] = {}
    problems: list[Problem] = []
    for index, (slot_code, raw) in enumerate(entries):
        slot = catalog.text_slot(slot_code)
        if slot_code in wanted:
            problems.append(
                Problem(
                    code="DUPLICATE_SLOT",
                    message=f"«{slot.admin_title}» står mer enn én gang i samme lagring.",
                    field=("texts", str(index), "slot"),
                )
            )
            continue
        wanted[slot_code], problem = check_text(slot, raw, ("texts", str(index), "text"))
        if problem is not None:
            problems.append(problem)
    return wanted, problems


def write_texts(
    session: AsyncSession,
    her_id: int,
    current: dict[str, PracticeText],
    changed: dict[str, str | None],
    *,
    actor_hpr: int,
    now: datetime,
) -> None:
    """Sets each slot's addition (None removes it, keeping who removed it and when)."""
    for slot, text in changed.items():
        row = current.get(slot)
        if row is None:
            session.add(
                PracticeText(
                    her_id=her_id, slot=slot, text=text, updated_at=now, updated_by_hpr=actor_hpr
                )
            )
        else:
            row.text, row.updated_at, row.updated_by_hpr = text, now, actor_hpr


async def save_texts(
    *,
    session: AsyncSession,
    catalog: Catalog,
    her_id: int,
    actor_hpr: int,
    expected_version: int | None,
    entries: list[tuple[str, str | None]],
    now: datetime,
) -> list[Problem]:
    practice = await require_affiliation(
        session=session, her_id=her_id, actor_hpr=actor_hpr, lock=True
    )
    wanted, problems = check_texts(catalog, entries)
    stale = stale_version(practice, expected_version)
    if stale is not None:
        problems.insert(0, stale)
    if problems:
        return problems

    current = await texts.texts_of(session=session, her_id=her_id)
    changed = {
        slot: text
        for slot, text in wanted.items()
        if text != (current[slot].text if slot in current else None)
    }
    if not changed:
        return []
    before = {slot: current[slot].text if slot in current else None for slot in changed}
    write_texts(session, her_id, current, changed, actor_hpr=actor_hpr, now=now)
    titles = ", ".join(catalog.text_slot(slot).admin_title for slot in changed)
    await record_change(
        session=session,
        practice=practice,
        actor_hpr=actor_hpr,
        action="saveTexts",
        summary=f"Endret tilleggsinformasjon for {titles}.",
        before=before,
        after=changed,
        now=now,
    )
    return []


async def texts_view(
    *, session: AsyncSession, catalog: Catalog, practice: Practice
) -> list[TextView]:
    saved = await texts.texts_of(session=session, her_id=practice.her_id)
    views = []
    for slot in catalog.text_slots:
        row = saved.get(slot.code)
        views.append(
            TextView(
                slot=slot,
                text=row.text if row else None,
                offered=slot.service is None or slot.service in practice.offered,
                updated_at=row.updated_at if row else None,
                updated_by_hpr=row.updated_by_hpr if row else None,
            )
        )
    return views


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
    normalised, problem = check_text(spec, text, ("text",))
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
