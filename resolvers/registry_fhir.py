"""Reading the registry from FHIR R4: Organization (practice), Practitioner and
PractitionerRole (affiliation), as HPR and Adresseregisteret publish them.

Every resource is validated by the FHIR models of `fhir.resources` (R4B, which matches R4
for these three) before anything is read from it. The result is what the input says, with
every reference resolved and every role judged in force or not; any invalid part raises
RegistryError naming the resource, so that nothing is changed."""

from __future__ import annotations

import json
from calendar import monthrange
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole
from pydantic import ValidationError

from resolvers.registry import RegistryError, valid_org_number

HER_ID = "urn:oid:2.16.578.1.12.4.1.2"
HPR_NUMBER = "urn:oid:2.16.578.1.12.4.1.4.4"
ORG_NUMBER = "urn:oid:2.16.578.1.12.4.1.4.101"
OSLO = ZoneInfo("Europe/Oslo")

_MODELS: dict[str, Any] = {
    "Organization": Organization,
    "Practitioner": Practitioner,
    "PractitionerRole": PractitionerRole,
}


@dataclass(frozen=True)
class FhirPractice:
    her_id: int
    name: str
    org_number: str | None
    active: bool
    label: str


@dataclass(frozen=True)
class FhirPractitioner:
    hpr_number: int
    name: str
    active: bool
    label: str


@dataclass
class RegistryInput:
    """What the input says: practices and practitioners by number, and the affiliations in
    force today as (HER-id, HPR number) pairs."""

    practices: dict[int, FhirPractice] = field(default_factory=dict)
    practitioners: dict[int, FhirPractitioner] = field(default_factory=dict)
    affiliations: set[tuple[int, int]] = field(default_factory=set)
    resources: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class _Entry:
    label: str
    full_url: str | None
    model: Any


def read_bundles(pages: Iterable[tuple[str, str]], *, today: date) -> RegistryInput:
    """The registry in `pages`, each a (where it came from, JSON text) pair holding a Bundle,
    read as one input: a reference on one page may point to a resource on another."""
    entries: list[_Entry] = []
    skipped: Counter[str] = Counter()
    for source, text in pages:
        entries.extend(_bundle_entries(source, text, skipped))
    return _resolve(entries, skipped, today)


def _bundle_entries(source: str, text: str, skipped: Counter[str]) -> list[_Entry]:
    try:
        bundle = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegistryError(f"{source}: ikke gyldig JSON (linje {exc.lineno}): {exc.msg}.") from exc
    if not isinstance(bundle, dict):
        raise RegistryError(f"{source}: ikke en FHIR-ressurs (et JSON-objekt).")
    if bundle.get("resourceType") == "OperationOutcome":
        # A server's whole answer: its error is the best message; without one it is still
        # not the Bundle the sync needs.
        _check_outcome(source, bundle)
    if bundle.get("resourceType") != "Bundle":
        raise RegistryError(
            f"{source}: en FHIR Bundle var ventet, ikke {bundle.get('resourceType')!r}."
        )
    raw_entries = bundle.get("entry", [])
    if not isinstance(raw_entries, list):
        raise RegistryError(f"{source}: Bundle.entry må være en liste.")
    entries = []
    for index, raw in enumerate(raw_entries):
        where = f"{source}: Bundle.entry[{index}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("resource"), dict):
            raise RegistryError(f"{where}: mangler en ressurs.")
        resource, full_url = raw["resource"], raw.get("fullUrl")
        kind = resource.get("resourceType")
        if full_url is not None and not isinstance(full_url, str):
            raise RegistryError(f"{where}: fullUrl må være en tekst.")
        label = full_url or (
            f"{kind}/{resource['id']}" if isinstance(resource.get("id"), str) else where
        )
        if kind == "OperationOutcome":
            _check_outcome(label, resource)
            continue
        model = _MODELS.get(kind) if isinstance(kind, str) else None
        if model is None:
            skipped[str(kind)] += 1
            continue
        try:
            entries.append(_Entry(label, full_url, model.model_validate(resource)))
        except ValidationError as exc:
            raise RegistryError(f"{label}: avvist av FHIR-modellen: {_first_error(exc)}.") from exc
    return entries


def _check_outcome(label: str, resource: dict[str, Any]) -> None:
    """An OperationOutcome with an error or a fatal issue means the answer is not whole."""
    try:
        outcome = OperationOutcome.model_validate(resource)
    except ValidationError as exc:
        raise RegistryError(f"{label}: OperationOutcome avvist av FHIR-modellen.") from exc
    for issue in outcome.issue or []:
        if issue.severity in ("error", "fatal"):
            said = issue.diagnostics or (issue.details.text if issue.details else None) or ""
            raise RegistryError(
                f"{label}: kilden meldte en feil ({issue.severity}, {issue.code})"
                + (f": {said}" if said else "")
                + "."
            )


def _first_error(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"] if part != "root")
    return f"{where or 'ressursen'}: {error['msg']}"


def _identifier(model: Any, system: str) -> str | None:
    for identifier in model.identifier or []:
        if identifier.system == system and identifier.value:
            return identifier.value.strip()
    return None


def _number(value: str | None) -> int | None:
    if value is None or not value.isascii() or not value.isdigit() or value.startswith("0"):
        return None
    return int(value)


def _practice(entry: _Entry) -> FhirPractice:
    raw_her_id = _identifier(entry.model, HER_ID)
    if raw_her_id is None:
        raise RegistryError(f"{entry.label}: Organization mangler HER-id ({HER_ID}).")
    her_id = _number(raw_her_id)
    if her_id is None:
        raise RegistryError(
            f"{entry.label}: HER-id må være et positivt heltall, ikke «{raw_her_id}»."
        )
    name = (entry.model.name or "").strip()
    if not name:
        raise RegistryError(f"{entry.label}: Organization (HER-id {her_id}) mangler navn.")
    org_number = _identifier(entry.model, ORG_NUMBER)
    if org_number is not None and not valid_org_number(org_number):
        raise RegistryError(
            f"{entry.label}: ugyldig organisasjonsnummer «{org_number}» (kontrollsiffer)."
        )
    return FhirPractice(
        her_id, name[:200], org_number, entry.model.active is not False, entry.label
    )


def _practitioner(entry: _Entry) -> FhirPractitioner:
    raw_hpr = _identifier(entry.model, HPR_NUMBER)
    if raw_hpr is None:
        raise RegistryError(f"{entry.label}: Practitioner mangler HPR-nummer ({HPR_NUMBER}).")
    hpr = _number(raw_hpr)
    if hpr is None or not 7 <= len(raw_hpr) <= 9:
        raise RegistryError(f"{entry.label}: HPR-nummer må ha 7–9 sifre, ikke «{raw_hpr}».")
    name = person_name(entry.model.name or [])
    if not name:
        raise RegistryError(f"{entry.label}: Practitioner (HPR {hpr}) mangler navn.")
    return FhirPractitioner(hpr, name[:200], entry.model.active is not False, entry.label)


def person_name(names: list[Any]) -> str:
    """The HumanName used `official`, else the first: its `text`, else the given names and
    the family name, space-separated."""
    chosen = next((n for n in names if n.use == "official"), names[0] if names else None)
    if chosen is None:
        return ""
    if chosen.text and chosen.text.strip():
        return " ".join(chosen.text.split())
    parts = [*(chosen.given or []), chosen.family or ""]
    return " ".join(" ".join(parts).split())


class _Index:
    """Where each resource of the input can be found: by fullUrl, by `Type/id`, and by its
    number (HER-id or HPR number) for logical references."""

    def __init__(self) -> None:
        self.by_key: dict[str, Any] = {}
        self.by_number: dict[tuple[str, int], Any] = {}

    def add(self, entry: _Entry, kind: str, number: int, found: Any) -> None:
        keys = [f"{kind}/{entry.model.id}"] if entry.model.id else []
        if entry.full_url:
            keys.append(entry.full_url)
        for key in keys:
            self.by_key[key] = found
        self.by_number[(kind, number)] = found

    def resolve(self, reference: Any, kind: str, system: str) -> Any:
        if reference is None:
            return None
        if reference.reference:
            key = reference.reference.split("/_history/")[0]
            found = self.by_key.get(key)
            if found is None and key.count("/") > 1:
                # An absolute URL of a server: its last two parts are `Type/id`.
                found = self.by_key.get("/".join(key.rsplit("/", 2)[-2:]))
            return found if found is None or _kind_of(found) == kind else None
        identifier = reference.identifier
        if identifier is not None and identifier.system == system:
            number = _number((identifier.value or "").strip())
            return self.by_number.get((kind, number)) if number is not None else None
        return None


def _kind_of(found: Any) -> str:
    return "Organization" if isinstance(found, FhirPractice) else "Practitioner"


def _resolve(entries: list[_Entry], skipped: Counter[str], today: date) -> RegistryInput:
    registry = RegistryInput(resources=len(entries), skipped=skipped)
    index = _Index()
    # A resource may come more than once (an _include repeated on several pages): the same
    # resource is read once; two resources claiming one number are an error.
    owners: dict[tuple[str, int], str] = {}
    roles: list[_Entry] = []
    for entry in entries:
        kind = entry.model.get_resource_type()
        if kind == "PractitionerRole":
            roles.append(entry)
            continue
        found: FhirPractice | FhirPractitioner
        if kind == "Organization":
            found = _practice(entry)
            number = found.her_id
        else:
            found = _practitioner(entry)
            number = found.hpr_number
        identity = f"{kind}/{entry.model.id}" if entry.model.id else entry.label
        owner = owners.setdefault((kind, number), identity)
        if owner != identity:
            what = "HER-id" if kind == "Organization" else "HPR-nummer"
            raise RegistryError(f"{entry.label}: {what} {number} står også på {owner}.")
        if isinstance(found, FhirPractice):
            registry.practices[number] = found
        else:
            registry.practitioners[number] = found
        index.add(entry, kind, number, found)
    for entry in roles:
        practitioner = index.resolve(entry.model.practitioner, "Practitioner", HPR_NUMBER)
        if practitioner is None:
            raise RegistryError(
                f"{entry.label}: PractitionerRole.practitioner {_shown(entry.model.practitioner)} "
                "peker ikke på en Practitioner i kilden."
            )
        practice = index.resolve(entry.model.organization, "Organization", HER_ID)
        if practice is None:
            raise RegistryError(
                f"{entry.label}: PractitionerRole.organization {_shown(entry.model.organization)} "
                "peker ikke på en Organization i kilden."
            )
        if practitioner.active and in_force(entry.model, today):
            registry.affiliations.add((practice.her_id, practitioner.hpr_number))
    return registry


def _shown(reference: Any) -> str:
    if reference is None:
        return "(mangler)"
    if reference.reference:
        return f"«{reference.reference}»"
    if reference.identifier is not None:
        return f"«{reference.identifier.system}|{reference.identifier.value}»"
    return "(uten reference eller identifier)"


def in_force(role: Any, today: date) -> bool:
    """`active` not false and `today` inside `period`, both bounds inclusive, a missing bound
    open. A bound given as a partial date (`2024`, `2024-05`) covers that whole year or month."""
    if role.active is False:
        return False
    period = role.period
    if period is None:
        return True
    start = _day(period.start, last=False)
    end = _day(period.end, last=True)
    return (start is None or start <= today) and (end is None or today <= end)


def _day(value: Any, *, last: bool) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(OSLO).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    parts = [int(part) for part in str(value).split("-")]
    if len(parts) == 1:
        return date(parts[0], 12, 31) if last else date(parts[0], 1, 1)
    if len(parts) == 2:
        year, month = parts
        return date(year, month, monthrange(year, month)[1] if last else 1)
    return date(*parts[:3])
