"""Syncing the registry from FHIR: what changes, and making those changes.

For every practice in the input, its affiliations become exactly those in force in the
input, and its name, organisation number and whether it is closed follow the input. A
practitioner whose authorisation is withdrawn loses every affiliation. Practices not in the
input are left alone, and a sync never changes the services a practice offers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import delete, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import changes
from models.database import Database
from models.practices import Affiliation, Practice, Practitioner
from resolvers.registry_fhir import FhirPractice, FhirPractitioner, RegistryInput

T = TypeVar("T")
# Rows per statement where a list of keys goes into one: well below SQLite's and asyncpg's
# limits on bound parameters.
CHUNK = 500


KINDS = {"practice": "legekontor", "practitioner": "behandlere", "affiliation": "tilknytninger"}
ONE_OF_KIND = {"practice": "legekontor", "practitioner": "behandler", "affiliation": "tilknytning"}
ACTIONS = {
    "added": "lagt til",
    "changed": "endret",
    "closed": "stengt",
    "reopened": "gjenåpnet",
    "ended": "avsluttet",
}


@dataclass(frozen=True)
class Change:
    """One change a sync makes, as the summary and the log tell it."""

    kind: str  # practice, practitioner or affiliation
    action: str  # added, changed, closed, reopened or ended
    her_id: int | None
    hpr_number: int | None
    text: str

    def line(self) -> str:
        return f"{ONE_OF_KIND[self.kind]} {ACTIONS[self.action]}: {self.text}"


@dataclass
class SyncPlan:
    changes: list[Change] = field(default_factory=list)
    new_practices: list[FhirPractice] = field(default_factory=list)
    updated_practices: list[tuple[FhirPractice, str, bool]] = field(default_factory=list)
    new_practitioners: list[FhirPractitioner] = field(default_factory=list)
    renamed_practitioners: list[FhirPractitioner] = field(default_factory=list)
    added: set[tuple[int, int]] = field(default_factory=set)
    ended: set[tuple[int, int]] = field(default_factory=set)
    # Practices whose patient view or admin rights change: forgotten by every instance.
    touched: set[int] = field(default_factory=set)

    def counts(self) -> Counter[tuple[str, str]]:
        return Counter((change.kind, change.action) for change in self.changes)

    def summary(self) -> str:
        """How many of each kind were added, changed, closed, reopened or ended."""
        counts = self.counts()
        parts = []
        for kind, name in KINDS.items():
            said = [f"{counts[kind, a]} {label}" for a, label in ACTIONS.items() if counts[kind, a]]
            parts.append(f"{name}: {', '.join(said) or 'ingen endringer'}")
        return "; ".join(parts)


async def plan_sync(*, session: AsyncSession, registry: RegistryInput) -> SyncPlan:
    """What syncing `registry` would change, read inside the caller's transaction."""
    practices = {p.her_id: p for p in (await session.execute(select(Practice))).scalars()}
    people = {
        hpr: name
        for hpr, name in await session.execute(select(Practitioner.hpr_number, Practitioner.name))
    }
    current = {
        (her_id, hpr)
        for her_id, hpr in await session.execute(select(Affiliation.her_id, Affiliation.hpr_number))
    }
    plan = SyncPlan()
    for her_id, wanted in sorted(registry.practices.items()):
        _plan_practice(plan, practices.get(her_id), wanted)
    for hpr, person in sorted(registry.practitioners.items()):
        known = people.get(hpr)
        if known is None:
            plan.new_practitioners.append(person)
            plan.changes.append(Change("practitioner", "added", None, hpr, _who(person)))
        elif known != person.name:
            plan.renamed_practitioners.append(person)
            plan.changes.append(
                Change("practitioner", "changed", None, hpr, f"{_who(person)}: navn «{known}»")
            )
    withdrawn = {hpr for hpr, p in registry.practitioners.items() if not p.active}
    plan.added = registry.affiliations - current
    plan.ended = {
        (her_id, hpr)
        for her_id, hpr in current
        if hpr in withdrawn
        or (her_id in registry.practices and (her_id, hpr) not in registry.affiliations)
    }
    names = {**{p.her_id: p.name for p in practices.values()}, **_names(registry)}
    for action, pairs in (("added", plan.added), ("ended", plan.ended)):
        for her_id, hpr in sorted(pairs):
            text = f"HPR {hpr} ved {names.get(her_id, '')} (HER-id {her_id})"
            if action == "ended" and hpr in withdrawn:
                text += ": autorisasjonen er trukket tilbake"
            plan.changes.append(Change("affiliation", action, her_id, hpr, text))
    plan.touched |= {her_id for her_id, _ in plan.added | plan.ended}
    renamed = {p.hpr_number for p in plan.renamed_practitioners}
    plan.touched |= {her_id for her_id, hpr in current | plan.added if hpr in renamed}
    return plan


def _plan_practice(plan: SyncPlan, row: Practice | None, wanted: FhirPractice) -> None:
    where = f"{wanted.name} (HER-id {wanted.her_id})"
    if row is None:
        plan.new_practices.append(wanted)
        plan.changes.append(Change("practice", "added", wanted.her_id, None, where))
        if not wanted.active:
            plan.changes.append(Change("practice", "closed", wanted.her_id, None, where))
        plan.touched.add(wanted.her_id)
        return
    org_number = wanted.org_number or row.org_number
    closed = not wanted.active
    if (row.name, row.org_number, row.closed) == (wanted.name, org_number, closed):
        return
    plan.updated_practices.append((wanted, org_number, closed))
    plan.touched.add(wanted.her_id)
    if (row.name, row.org_number) != (wanted.name, org_number):
        said = [f"navn «{row.name}»"] if row.name != wanted.name else []
        if row.org_number != org_number:
            said.append(f"organisasjonsnummer {row.org_number} → {org_number}")
        text = f"{where}: {', '.join(said)}"
        plan.changes.append(Change("practice", "changed", wanted.her_id, None, text))
    if row.closed != closed:
        action = "closed" if closed else "reopened"
        plan.changes.append(Change("practice", action, wanted.her_id, None, where))


def _names(registry: RegistryInput) -> dict[int, str]:
    return {her_id: p.name for her_id, p in registry.practices.items()}


def _who(person: FhirPractitioner) -> str:
    return f"{person.name} (HPR {person.hpr_number})"


async def apply_sync(*, session: AsyncSession, plan: SyncPlan, offered: list[str]) -> None:
    """Makes the planned changes inside the caller's write transaction. `offered` is what a
    practice first created here offers: every service of the catalogue."""
    if plan.new_practices:
        await session.execute(
            insert(Practice),
            [
                {
                    "her_id": p.her_id,
                    "name": p.name,
                    "org_number": p.org_number or "",
                    "offered": offered,
                    "version": 0,
                    "closed": not p.active,
                }
                for p in plan.new_practices
            ],
        )
    for wanted, org_number, closed in plan.updated_practices:
        await session.execute(
            update(Practice)
            .where(Practice.her_id == wanted.her_id)
            .values(name=wanted.name, org_number=org_number, closed=closed)
            .execution_options(synchronize_session=False)
        )
    if plan.new_practitioners:
        await session.execute(
            insert(Practitioner),
            [{"hpr_number": p.hpr_number, "name": p.name} for p in plan.new_practitioners],
        )
    for person in plan.renamed_practitioners:
        await session.execute(
            update(Practitioner)
            .where(Practitioner.hpr_number == person.hpr_number)
            .values(name=person.name)
            .execution_options(synchronize_session=False)
        )
    for pairs in _chunks(sorted(plan.ended)):
        await session.execute(
            delete(Affiliation)
            .where(tuple_(Affiliation.her_id, Affiliation.hpr_number).in_(pairs))
            .execution_options(synchronize_session=False)
        )
    if plan.added:
        await session.execute(
            insert(Affiliation),
            [{"her_id": her_id, "hpr_number": hpr} for her_id, hpr in sorted(plan.added)],
        )
    if plan.touched:
        # Every instance forgets these practices' patient views within a poll.
        change = await changes.next_change(session=session)
        for her_ids in _chunks(sorted(plan.touched)):
            await changes.stamp_practices(session=session, change=change, her_ids=her_ids)


def _chunks(items: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


async def sync_registry(
    *, db: Database, registry: RegistryInput, offered: list[str], dry_run: bool = False
) -> SyncPlan:
    """Plans the sync; unless it is a dry run or changes nothing, plans it again under the write
    lock (what another process changed in between counts) and applies it. A sync that
    changes nothing opens no write transaction at all."""
    async with db.read() as session:
        plan = await plan_sync(session=session, registry=registry)
    if dry_run or not plan.changes:
        return plan
    async with db.write() as session:
        plan = await plan_sync(session=session, registry=registry)
        await apply_sync(session=session, plan=plan, offered=offered)
    return plan
