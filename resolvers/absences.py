"""Fravær: absences that switch services off for a practitioner's patients."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import absences, practices
from models.absences import Absence
from models.catalog import Catalog
from resolvers.audit import record_change
from resolvers.dates import MAX_DAYS, PeriodWords, check_period, oslo_date, short_date
from resolvers.errors import Problem
from resolvers.practices import require_affiliation

ABSENCE_PERIOD = PeriodWords(
    over="Fraværet er allerede over",
    longest=f"Et fravær kan vare i høyst {MAX_DAYS} dager. Del det opp i flere fravær.",
    ahead="Fravær kan registreres høyst to år fram i tid",
)


def fold_services(catalog: Catalog, services: list[str]) -> list[str]:
    """Duplicates folded, in catalogue order, so that equal absences read the same."""
    chosen = set(services)
    return [s.code for s in catalog.services if s.code in chosen]


def check_services(catalog: Catalog, services: list[str]) -> list[Problem]:
    if not services:
        return [
            Problem(
                code="NO_SERVICES",
                message="Velg minst én tjeneste som skal være utilgjengelig under fraværet.",
                field=("services",),
            )
        ]
    not_switchable = [s for s in services if not catalog.service(s).absence_applies]
    if not_switchable:
        titles = ", ".join(catalog.service(s).patient_title for s in not_switchable)
        return [
            Problem(
                code="NO_SERVICES",
                message=f"Fravær kan ikke slå av: {titles}.",
                field=("services",),
            )
        ]
    return []


def overlapping_absence(
    existing: list[Absence], start: date, end: date, services: list[str]
) -> Problem | None:
    """ABSENCE_OVERLAP naming the first absence in `existing` (the same practitioner's) that
    shares a date and a service."""
    for other in existing:
        if (
            other.from_date <= end
            and start <= other.to_date
            and set(other.services) & set(services)
        ):
            return Problem(
                code="ABSENCE_OVERLAP",
                message=(
                    "Behandleren har allerede fravær "
                    f"{short_date(other.from_date)}–{short_date(other.to_date)} "
                    "for minst én av de samme tjenestene."
                ),
                field=("from",),
            )
    return None


def describe(absence: Absence) -> dict[str, object]:
    return {
        "id": absence.id,
        "practitionerHpr": absence.hpr_number,
        "from": absence.from_date.isoformat(),
        "to": absence.to_date.isoformat(),
        "services": list(absence.services),
    }


async def add_absence(
    *,
    session: AsyncSession,
    catalog: Catalog,
    her_id: int,
    actor_hpr: int,
    practitioner_hpr: int,
    start: date,
    end: date,
    services: list[str],
    now: datetime,
) -> tuple[Absence | None, list[Problem]]:
    practice = await require_affiliation(
        session=session, her_id=her_id, actor_hpr=actor_hpr, lock=True
    )
    services = fold_services(catalog, services)
    problems = check_period(start, end, oslo_date(now), ABSENCE_PERIOD)
    problems += check_services(catalog, services)
    practitioner = await practices.get_practitioner(session=session, hpr_number=practitioner_hpr)
    if practitioner is None or not await practices.is_affiliated(
        session=session, her_id=her_id, hpr_number=practitioner_hpr
    ):
        problems.append(
            Problem(
                code="NOT_AFFILIATED",
                message=f"Behandler med HPR-nummer {practitioner_hpr} er ikke knyttet til {practice.name}.",
                field=("practitionerHpr",),
            )
        )
    if problems:
        return None, problems
    existing = await absences.absences_of_practitioner(
        session=session, her_id=her_id, hpr_number=practitioner_hpr
    )
    overlap = overlapping_absence(existing, start, end, services)
    if overlap is not None:
        return None, [overlap]

    absence = Absence(
        id=str(uuid.uuid4()),
        her_id=her_id,
        hpr_number=practitioner_hpr,
        from_date=start,
        to_date=end,
        services=services,
        created_at=now,
        created_by_hpr=actor_hpr,
    )
    session.add(absence)
    titles = ", ".join(catalog.service(s).patient_title for s in services)
    await record_change(
        session=session,
        practice=practice,
        actor_hpr=actor_hpr,
        action="addAbsence",
        summary=(
            f"La til fravær for {practitioner.name} "
            f"{short_date(start)}–{short_date(end)} ({titles})."
        ),
        before=None,
        after=describe(absence),
        now=now,
        subject_id=absence.id,
    )
    return absence, []


async def delete_absence(
    *,
    session: AsyncSession,
    catalog: Catalog,
    her_id: int,
    actor_hpr: int,
    absence_id: str,
    now: datetime,
) -> list[Problem]:
    practice = await require_affiliation(
        session=session, her_id=her_id, actor_hpr=actor_hpr, lock=True
    )
    absence = await absences.get_absence(session=session, her_id=her_id, absence_id=absence_id)
    if absence is None:
        return [
            Problem(
                code="NOT_FOUND",
                message="Fraværet finnes ikke (lenger) for dette legekontoret.",
                field=("id",),
            )
        ]
    practitioner = await practices.get_practitioner(session=session, hpr_number=absence.hpr_number)
    name = practitioner.name if practitioner else f"HPR {absence.hpr_number}"
    before = describe(absence)
    await session.delete(absence)
    await record_change(
        session=session,
        practice=practice,
        actor_hpr=actor_hpr,
        action="deleteAbsence",
        summary=(
            f"Slettet fravær for {name} "
            f"{short_date(absence.from_date)}–{short_date(absence.to_date)}."
        ),
        before=before,
        after=None,
        now=now,
        subject_id=absence.id,
    )
    return []


async def absences_view(
    *, session: AsyncSession, her_id: int, today: date, include_past: bool
) -> list[tuple[Absence, str | None]]:
    return await absences.absences_of(
        session=session, her_id=her_id, ending_on_or_after=None if include_past else today
    )
