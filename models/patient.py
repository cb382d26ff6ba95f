"""Everything the patient view of one practice needs, read in two statements: the practice,
then its additions, scheduled texts, form choices, absences and members together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import JSON, Date, Integer, String, Text, cast, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from models.absences import Absence
from models.forms import ToolChoice
from models.practices import Affiliation, Practice
from models.texts import PracticeText, ScheduledText


@dataclass(frozen=True)
class ScheduledSpan:
    slot: str
    language: str
    text: str
    from_date: date
    to_date: date


@dataclass(frozen=True)
class AbsenceSpan:
    from_date: date
    to_date: date
    services: tuple[str, ...]


@dataclass(frozen=True)
class PracticeSnapshot:
    """The practice's patient-facing settings as they stood when read; whatever the date, the
    view for it is computed from this (scheduled texts and absences carry their dates)."""

    her_id: int
    name: str
    offered: frozenset[str]
    members: frozenset[int]
    # (slot, language) → the standing addition; None where it was removed.
    texts: dict[tuple[str, str], str | None]
    scheduled: tuple[ScheduledSpan, ...]
    # entry point → the chosen form; None is an explicit "Ingen".
    forms: dict[str, str | None]
    absences: dict[int, tuple[AbsenceSpan, ...]]


def _columns(kind: str, **values: object) -> list[object]:
    """One arm of the union: kind, key, language, value, from, to, hpr, services."""
    typed = {
        "key": String(100),
        "language": String(2),
        "value": Text(),
        "from_date": Date(),
        "to_date": Date(),
        "hpr": Integer(),
        "services": JSON(),
    }
    return [
        literal(kind).label("kind"),
        *(
            (values[name] if name in values else cast(null(), kind_type)).label(name)
            for name, kind_type in typed.items()
        ),
    ]


async def snapshot_of(*, session: AsyncSession, her_id: int) -> PracticeSnapshot | None:
    practice = await session.get(Practice, her_id)
    if practice is None or practice.closed:
        return None
    parts = union_all(
        select(
            *_columns(
                "text",
                key=PracticeText.slot,
                language=PracticeText.language,
                value=PracticeText.text,
            )
        ).where(PracticeText.her_id == her_id),
        select(
            *_columns(
                "scheduled",
                key=ScheduledText.slot,
                language=ScheduledText.language,
                value=ScheduledText.text,
                from_date=ScheduledText.from_date,
                to_date=ScheduledText.to_date,
            )
        ).where(ScheduledText.her_id == her_id),
        select(*_columns("form", key=ToolChoice.entry_point, value=ToolChoice.form_id)).where(
            ToolChoice.her_id == her_id
        ),
        select(
            *_columns(
                "absence",
                from_date=Absence.from_date,
                to_date=Absence.to_date,
                hpr=Absence.hpr_number,
                services=Absence.services,
            )
        ).where(Absence.her_id == her_id),
        select(*_columns("member", hpr=Affiliation.hpr_number)).where(Affiliation.her_id == her_id),
    )
    texts: dict[tuple[str, str], str | None] = {}
    scheduled: list[ScheduledSpan] = []
    forms: dict[str, str | None] = {}
    absences: dict[int, list[AbsenceSpan]] = {}
    members: set[int] = set()
    for kind, key, language, value, start, end, hpr, services in await session.execute(parts):
        if kind == "text":
            texts[key, language] = value
        elif kind == "scheduled":
            scheduled.append(ScheduledSpan(key, language, value, start, end))
        elif kind == "form":
            forms[key] = value
        elif kind == "absence":
            absences.setdefault(hpr, []).append(AbsenceSpan(start, end, tuple(services)))
        else:
            members.add(hpr)
    return PracticeSnapshot(
        her_id=practice.her_id,
        name=practice.name,
        offered=frozenset(practice.offered),
        members=frozenset(members),
        texts=texts,
        scheduled=tuple(scheduled),
        forms=forms,
        absences={hpr: tuple(spans) for hpr, spans in absences.items()},
    )
