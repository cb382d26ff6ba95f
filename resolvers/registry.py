"""Importing the registry snapshot (practices, their practitioners and offered services).

The file is a full snapshot: practices and practitioners are upserted, affiliations not in
it are removed, practices not in it keep their settings. Any invalid entry changes nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import changes
from models.catalog import Catalog
from models.practices import Affiliation, Practice, Practitioner

_ORG_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


class RegistryError(Exception):
    """The file cannot be imported; the message names the offending entry, in Norwegian."""


@dataclass(frozen=True)
class PracticeEntry:
    her_id: int
    name: str
    org_number: str
    offered: list[str]
    practitioners: list[tuple[int, str]]


@dataclass(frozen=True)
class ImportResult:
    practices: int
    practitioners: int
    affiliations: int


def valid_org_number(value: str) -> bool:
    """Nine digits with a mod-11 check digit; a remainder giving check digit 10 is invalid."""
    if len(value) != 9 or not value.isascii() or not value.isdigit():
        return False
    remainder = sum(int(d) * w for d, w in zip(value[:8], _ORG_WEIGHTS, strict=True)) % 11
    check = 0 if remainder == 0 else 11 - remainder
    return check != 10 and check == int(value[8])


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def parse_registry(catalog: Catalog, text: str) -> list[PracticeEntry]:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegistryError(f"Filen er ikke gyldig JSON (linje {exc.lineno}): {exc.msg}.") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("practices"), list):
        raise RegistryError("Filen må være et JSON-objekt med listen «practices».")
    known_services = {s.code for s in catalog.services}
    entries: list[PracticeEntry] = []
    seen_her_ids: set[int] = set()
    names_by_hpr: dict[int, str] = {}
    for index, item in enumerate(raw["practices"]):
        where = f"practices[{index}]"
        if not isinstance(item, dict):
            raise RegistryError(f"{where}: må være et objekt.")
        for key in ("herId", "name", "orgNumber", "offered", "practitioners"):
            if key not in item:
                raise RegistryError(f"{where}: mangler feltet «{key}».")
        her_id = item["herId"]
        if not _positive_int(her_id):
            raise RegistryError(f"{where}: herId må være et positivt heltall, ikke {her_id!r}.")
        where = f"{where} (herId {her_id})"
        if her_id in seen_her_ids:
            raise RegistryError(f"{where}: herId står flere ganger i filen.")
        seen_her_ids.add(her_id)
        if not _text(item["name"]):
            raise RegistryError(f"{where}: navnet mangler.")
        org = item["orgNumber"]
        if not isinstance(org, str) or not valid_org_number(org):
            raise RegistryError(f"{where}: ugyldig organisasjonsnummer {org!r}.")
        offered = item["offered"]
        if not isinstance(offered, list) or not all(isinstance(s, str) for s in offered):
            raise RegistryError(f"{where}: «offered» må være en liste med tjenestekoder.")
        unknown = [s for s in offered if s not in known_services]
        if unknown:
            raise RegistryError(f"{where}: ukjent tjeneste {', '.join(unknown)}.")
        members = item["practitioners"]
        if not isinstance(members, list):
            raise RegistryError(f"{where}: «practitioners» må være en liste.")
        practitioners: list[tuple[int, str]] = []
        for j, member in enumerate(members):
            who = f"{where}.practitioners[{j}]"
            if not isinstance(member, dict) or "hprNumber" not in member or "name" not in member:
                raise RegistryError(f"{who}: må ha «hprNumber» og «name».")
            hpr, name = member["hprNumber"], member["name"]
            if not _positive_int(hpr) or not 7 <= len(str(hpr)) <= 9:
                raise RegistryError(f"{who}: HPR-nummer må ha 7–9 sifre, ikke {hpr!r}.")
            if not _text(name):
                raise RegistryError(f"{who}: navnet mangler.")
            if any(hpr == known for known, _ in practitioners):
                raise RegistryError(f"{who}: HPR-nummer {hpr} står to ganger i samme legekontor.")
            if names_by_hpr.setdefault(hpr, name.strip()) != name.strip():
                raise RegistryError(
                    f"{who}: HPR-nummer {hpr} har ulike navn i filen "
                    f"(«{names_by_hpr[hpr]}» og «{name.strip()}»)."
                )
            practitioners.append((hpr, name.strip()))
        entries.append(
            PracticeEntry(
                her_id=her_id,
                name=item["name"].strip(),
                org_number=org,
                offered=[s.code for s in catalog.services if s.code in set(offered)],
                practitioners=practitioners,
            )
        )
    return entries


async def import_registry(*, session: AsyncSession, entries: list[PracticeEntry]) -> ImportResult:
    """Applies a parsed snapshot inside the caller's transaction."""
    existing_practices = {p.her_id: p for p in (await session.execute(select(Practice))).scalars()}
    existing_people = {
        p.hpr_number: p for p in (await session.execute(select(Practitioner))).scalars()
    }
    people: dict[int, str] = {}
    for entry in entries:
        practice = existing_practices.get(entry.her_id)
        if practice is None:
            session.add(
                Practice(
                    her_id=entry.her_id,
                    name=entry.name,
                    org_number=entry.org_number,
                    offered=entry.offered,
                    version=0,
                )
            )
        else:
            practice.name, practice.org_number = entry.name, entry.org_number
            practice.offered = entry.offered
        people.update(entry.practitioners)
    for hpr, name in people.items():
        person = existing_people.get(hpr)
        if person is None:
            session.add(Practitioner(hpr_number=hpr, name=name))
        else:
            person.name = name
    await session.flush()
    # Affiliations anywhere may change, so every instance forgets every practice it cached.
    change = await changes.next_change(session=session)
    await changes.stamp_practices(session=session, change=change, her_ids=None)
    await session.execute(delete(Affiliation))
    pairs = [(e.her_id, hpr) for e in entries for hpr, _ in e.practitioners]
    session.add_all(Affiliation(her_id=her_id, hpr_number=hpr) for her_id, hpr in pairs)
    return ImportResult(practices=len(entries), practitioners=len(people), affiliations=len(pairs))
