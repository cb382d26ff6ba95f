"""Undo: any change in a practice's history is reverted as a new change, and a revert can be
reverted in turn (which redoes the change).

One pure function, `plan_revert`, decides from the entry and the practice as it stands what a
revert would do or why it cannot; `revertChange` applies its plan under the practice's lock,
and `AuditEntry.revertible` asks it for a whole page of entries against one reading of the
practice (a constant number of statements)."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models import absences, audit, forms, practices, texts
from models.absences import Absence
from models.audit import AuditEntry
from models.catalog import Catalog
from models.database import Database
from models.forms import ToolChoice
from models.practices import Practice
from models.texts import PracticeText, ScheduledText
from resolvers.absences import describe, overlapping_absence
from resolvers.audit import record_change
from resolvers.dates import short_date
from resolvers.errors import Problem
from resolvers.forms import state_of, tool_view, write_choice
from resolvers.practices import require_affiliation, stale_version
from resolvers.scheduled_texts import describe_scheduled, overlapping_schedule
from resolvers.texts import current_texts, write_texts

FIELD = ("auditEntryId",)
# The change a revert makes, by the kind of change it reverts.
INVERSE = {
    "saveTexts": "saveTexts",
    "chooseForm": "chooseForm",
    "addAbsence": "deleteAbsence",
    "deleteAbsence": "addAbsence",
    "addScheduledText": "deleteScheduledText",
    "deleteScheduledText": "addScheduledText",
}


@dataclass
class PracticeState:
    """What a revert is checked against: the practice's settings as they stand."""

    texts: dict[tuple[str, str], PracticeText] = field(default_factory=dict)
    choices: dict[str, ToolChoice] = field(default_factory=dict)
    absences: dict[str, Absence] = field(default_factory=dict)
    scheduled: list[ScheduledText] = field(default_factory=list)
    members: set[int] = field(default_factory=set)


async def load_state(*, session: AsyncSession, her_id: int) -> PracticeState:
    """Five statements, whatever the size of the history."""
    rows = await absences.absences_of(session=session, her_id=her_id)
    return PracticeState(
        texts=await texts.texts_of(session=session, her_id=her_id),
        choices=await forms.choices_of(session=session, her_id=her_id),
        absences={absence.id: absence for absence, _ in rows},
        scheduled=await texts.scheduled_texts_of(session=session, her_id=her_id),
        members={m.hpr_number for m in await practices.members_of(session=session, her_id=her_id)},
    )


@dataclass(frozen=True)
class Revert:
    """What reverting an entry does: a change of `kind`, shaped as that change's entries."""

    kind: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    subject_id: str | None = None


def _conflict(message: str) -> Problem:
    return Problem(code="REVERT_CONFLICT", message=f"Kan ikke angre: {message}", field=FIELD)


def _not_revertible(message: str) -> Problem:
    return Problem(code="NOT_REVERTIBLE", message=message, field=FIELD)


def _kind(entry: AuditEntry) -> str | None:
    return entry.change_kind if entry.action == "revertChange" else entry.action


def plan_revert(
    entry: AuditEntry, state: PracticeState, catalog: Catalog, today: date
) -> Revert | Problem:
    kind = _kind(entry)
    if entry.action == "revertChange" and kind is None:
        return _not_revertible(
            "Denne angringen ble registrert før historikken tok vare på det som trengs for å "
            "angre den."
        )
    if kind not in INVERSE:
        return _not_revertible("Denne typen hendelse i historikken kan ikke angres.")
    try:
        before = json.loads(entry.before) if entry.before else None
        after = json.loads(entry.after) if entry.after else None
    except ValueError:
        before = after = None
    planner = _PLANNERS[kind]
    try:
        return planner(entry, before, after, state, catalog, today)
    except (KeyError, TypeError, ValueError):
        return _not_revertible(
            "Historikken mangler det som trengs for å angre denne endringen; gjør den om for hånd."
        )


def _texts(
    entry: AuditEntry, before: Any, after: Any, state: PracticeState, catalog: Catalog, today: date
) -> Revert | Problem:
    standing = current_texts(state.texts)
    current = {key: standing.get(key) for key in after}
    changed = [key for key in after if current[key] != after[key]]
    if changed:
        titles = ", ".join(
            f"«{catalog.text_slot(key.split('/')[0]).admin_title}»" for key in changed
        )
        return _conflict(
            f"tilleggsinformasjonen for {titles} er endret etter denne endringen. "
            "Skriv teksten på nytt i «Info til pasient» om den skal tilbake."
        )
    return Revert("saveTexts", current, {key: before[key] for key in after})


def _forms(
    entry: AuditEntry, before: Any, after: Any, state: PracticeState, catalog: Catalog, today: date
) -> Revert | Problem:
    current = {
        entry_point: state_of(tool_view(catalog, entry_point, state.choices.get(entry_point)))
        for entry_point in after
    }
    changed = [ep for ep in after if current[ep] != after[ep]]
    if changed:
        titles = ", ".join(f"«{catalog.entry_point(ep).admin_title}»" for ep in changed)
        return _conflict(
            f"skjemaet for {titles} er endret etter denne endringen. Velg det på nytt i "
            "«Integrerte verktøy» om det skal tilbake."
        )
    return Revert("chooseForm", current, {ep: before[ep] for ep in after})


def _remove_absence(
    entry: AuditEntry, before: Any, after: Any, state: PracticeState, catalog: Catalog, today: date
) -> Revert | Problem:
    absence = state.absences.get(after["id"])
    if absence is None:
        return _conflict("fraværet er slettet etter denne endringen, så det er ingenting å angre.")
    return Revert("deleteAbsence", describe(absence), None, absence.id)


def _restore_absence(
    entry: AuditEntry, before: Any, after: Any, state: PracticeState, catalog: Catalog, today: date
) -> Revert | Problem:
    hpr, services = int(before["practitionerHpr"]), list(before["services"])
    start, end = date.fromisoformat(before["from"]), date.fromisoformat(before["to"])
    if hpr not in state.members:
        return Problem(
            code="NOT_AFFILIATED",
            message=(
                f"Kan ikke angre: behandleren med HPR-nummer {hpr} er ikke lenger knyttet til "
                "legekontoret."
            ),
            field=FIELD,
        )
    if end < today:
        return Problem(
            code="IN_PAST",
            message=f"Kan ikke angre: fraværet {short_date(start)}–{short_date(end)} er over.",
            field=FIELD,
        )
    theirs = [a for a in state.absences.values() if a.hpr_number == hpr]
    overlap = overlapping_absence(theirs, start, end, services)
    if overlap is not None:
        return Problem(code=overlap.code, message=f"Kan ikke angre: {overlap.message}", field=FIELD)
    absence_id = before["id"] if before["id"] not in state.absences else str(uuid.uuid4())
    return Revert("addAbsence", None, {**before, "id": absence_id}, absence_id)


def _remove_scheduled(
    entry: AuditEntry, before: Any, after: Any, state: PracticeState, catalog: Catalog, today: date
) -> Revert | Problem:
    row = next((s for s in state.scheduled if s.id == entry.subject_id), None)
    if row is None and entry.subject_id is None:
        row = next((s for s in state.scheduled if describe_scheduled(s) == after), None)
    if row is None:
        return _conflict(
            "den planlagte teksten er slettet etter denne endringen, så det er ingenting å angre."
        )
    return Revert("deleteScheduledText", describe_scheduled(row), None, row.id)


def _restore_scheduled(
    entry: AuditEntry, before: Any, after: Any, state: PracticeState, catalog: Catalog, today: date
) -> Revert | Problem:
    slot, language = before["slot"], before["language"]
    start, end = date.fromisoformat(before["from"]), date.fromisoformat(before["to"])
    catalog.text_slot(slot)  # a slot the catalogue no longer has cannot come back
    if end < today:
        return Problem(
            code="IN_PAST",
            message=(
                f"Kan ikke angre: perioden {short_date(start)}–{short_date(end)} for den planlagte "
                "teksten er over."
            ),
            field=FIELD,
        )
    overlap = overlapping_schedule(catalog, state.scheduled, slot, language, start, end, FIELD)
    if overlap is not None:
        return Problem(code=overlap.code, message=f"Kan ikke angre: {overlap.message}", field=FIELD)
    taken = {s.id for s in state.scheduled}
    old = entry.subject_id
    scheduled_id = old if old is not None and old not in taken else str(uuid.uuid4())
    return Revert("addScheduledText", None, dict(before), scheduled_id)


_PLANNERS = {
    "saveTexts": _texts,
    "chooseForm": _forms,
    "addAbsence": _remove_absence,
    "deleteAbsence": _restore_absence,
    "addScheduledText": _remove_scheduled,
    "deleteScheduledText": _restore_scheduled,
}


async def _apply(
    session: AsyncSession,
    practice: Practice,
    state: PracticeState,
    plan: Revert,
    actor_hpr: int,
    now: datetime,
) -> None:
    her_id = practice.her_id
    if plan.kind == "saveTexts" and plan.after is not None:
        write_texts(session, her_id, state.texts, plan.after, actor_hpr=actor_hpr, now=now)
    elif plan.kind == "chooseForm" and plan.after is not None:
        for entry_point, wanted in plan.after.items():
            await write_choice(
                session,
                her_id,
                state.choices.get(entry_point),
                entry_point,
                wanted["formId"],
                reset_to_default=bool(wanted["isDefault"]),
                actor_hpr=actor_hpr,
                now=now,
            )
    elif plan.kind == "deleteAbsence" and plan.subject_id is not None:
        await session.delete(state.absences[plan.subject_id])
    elif plan.kind == "addAbsence" and plan.after is not None and plan.subject_id is not None:
        session.add(
            Absence(
                id=plan.subject_id,
                her_id=her_id,
                hpr_number=int(plan.after["practitionerHpr"]),
                from_date=date.fromisoformat(plan.after["from"]),
                to_date=date.fromisoformat(plan.after["to"]),
                services=list(plan.after["services"]),
                created_at=now,
                created_by_hpr=actor_hpr,
            )
        )
    elif plan.kind == "deleteScheduledText":
        await session.delete(next(s for s in state.scheduled if s.id == plan.subject_id))
    elif plan.kind == "addScheduledText" and plan.after is not None and plan.subject_id:
        session.add(
            ScheduledText(
                id=plan.subject_id,
                her_id=her_id,
                slot=plan.after["slot"],
                language=plan.after["language"],
                text=plan.after["text"],
                from_date=date.fromisoformat(plan.after["from"]),
                to_date=date.fromisoformat(plan.after["to"]),
                created_at=now,
                created_by_hpr=actor_hpr,
            )
        )


def _summary(entry: AuditEntry) -> str:
    if entry.action == "revertChange":
        return f"Angret: {entry.summary.removeprefix('Angret: ')} (angringen er opphevet)"
    return f"Angret: {entry.summary}"


def _entry_id(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None


async def revert_change(
    *,
    session: AsyncSession,
    catalog: Catalog,
    her_id: int,
    actor_hpr: int,
    audit_entry_id: str,
    expected_version: int | None,
    today: date,
    now: datetime,
) -> tuple[AuditEntry | None, list[Problem]]:
    practice = await require_affiliation(
        session=session, her_id=her_id, actor_hpr=actor_hpr, lock=True
    )
    problems = [p for p in [stale_version(practice, expected_version)] if p is not None]
    entry_id = _entry_id(audit_entry_id)
    entry = None
    if entry_id is not None:
        entry = await audit.get_entry(session=session, her_id=her_id, entry_id=entry_id)
    if entry is None:
        problems.append(
            Problem(
                code="NOT_FOUND",
                message="Endringen finnes ikke i historikken til dette legekontoret.",
                field=FIELD,
            )
        )
    if problems or entry is None:
        return None, problems
    state = await load_state(session=session, her_id=her_id)
    plan = plan_revert(entry, state, catalog, today)
    if isinstance(plan, Problem):
        return None, [plan]
    await _apply(session, practice, state, plan, actor_hpr, now)
    written = await record_change(
        session=session,
        practice=practice,
        actor_hpr=actor_hpr,
        action="revertChange",
        summary=_summary(entry),
        before=plan.before,
        after=plan.after,
        now=now,
        subject_id=plan.subject_id,
        change_kind=plan.kind,
    )
    await session.flush()
    return written, []


class RevertJudge:
    """Answers `revertible` for the entries of one practice against one reading of it, read
    when the first entry asks (the entries of a page are resolved concurrently)."""

    def __init__(self, *, db: Database, catalog: Catalog, her_id: int, today: date) -> None:
        self.db, self.catalog, self.her_id, self.today = db, catalog, her_id, today
        self._state: PracticeState | None = None
        self._lock = asyncio.Lock()

    async def revertible(self, entry: AuditEntry) -> bool:
        async with self._lock:
            if self._state is None:
                async with self.db.read() as session:
                    self._state = await load_state(session=session, her_id=self.her_id)
        return isinstance(plan_revert(entry, self._state, self.catalog, self.today), Revert)
