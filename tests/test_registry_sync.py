"""`tilpass sync-registry`: the registry from FHIR R4, as DOMAIN.md's Version 3 says, seen
through the API; any invalid part changes nothing and names the resource."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from models import changes
from models.catalog import load_catalog
from models.database import Database
from models.practices import Affiliation, Practice, Practitioner
from resolvers.registry import RegistryError
from resolvers.registry_fhir import read_bundles
from resolvers.registry_sync import SyncPlan, sync_registry
from tests.conftest import (
    ASTRID,
    FJORDBYEN,
    JACOB,
    KRISTIAN,
    STORGATA,
    TODAY,
    error_codes,
    text_input,
)
from tests.fhir_bundles import (
    bundle_text,
    find,
    organization,
    practitioner,
    registry_resources,
    role,
)
from tests.test_read_model import close, fresh_day, instance, within_a_second

ME = """
query Me { me { hprNumber name practices { herId name } } }
"""

SAVE_TEXTS = """
mutation SaveTexts($input: SaveTextsInput!) {
  saveTexts(input: $input) { userErrors { code message } }
}
"""

PATIENT = """
query Patient($herId: Int!, $on: Date) {
  patientService(herId: $herId, service: TIMEBESTILLING, on: $on) { practiceText offered }
}
"""

NEW_HPR = 4400123
NEW_PRACTICE = 8150001
ALL_SERVICES = [service.code for service in load_catalog().services]
YESTERDAY, TOMORROW = TODAY - timedelta(days=1), TODAY + timedelta(days=1)


async def sync(
    db: Database, resources: list[dict[str, Any]] | str, *, dry_run: bool = False
) -> SyncPlan:
    text = resources if isinstance(resources, str) else bundle_text(resources)
    registry = read_bundles([("kilde.json", text)], today=TODAY)
    return await sync_registry(db=db, registry=registry, offered=ALL_SERVICES, dry_run=dry_run)


async def state(db: Database) -> dict[str, Any]:
    """Everything a sync may change, straight from the tables, and the change counter."""
    async with db.read() as session:
        practices = (await session.execute(select(Practice).order_by(Practice.her_id))).scalars()
        people = await session.execute(select(Practitioner.hpr_number, Practitioner.name))
        pairs = await session.execute(select(Affiliation.her_id, Affiliation.hpr_number))
        return {
            "practices": [
                (p.her_id, p.name, p.org_number, p.offered, p.closed, p.version) for p in practices
            ],
            "people": sorted(people.all()),
            "affiliations": sorted(pairs.all()),
            "change": await changes.current_change(session=session),
        }


async def practices_of(api, hpr: int) -> list[int]:
    me = (await api.data(ME, hpr=hpr))["me"]
    return [] if me is None else [p["herId"] for p in me["practices"]]


async def patient(api, her_id: int) -> dict[str, Any] | None:
    api.services.forget(her_id)  # this instance's caches; other instances are tested below
    return (await api.data(PATIENT, {"herId": her_id}))["patientService"]


# --- the registry as the registers say it ----------------------------------------------


async def test_the_test_registry_as_fhir_changes_nothing(api, db):
    # Given the registry imported from tests/registry.json
    before = await state(db)
    # When the same registry is synced from FHIR
    plan = await sync(db, registry_resources())
    # Then nothing changes, and nothing is written
    assert plan.changes == []
    assert await state(db) == before


async def test_a_first_sync_creates_practices_offering_every_service(api, db):
    resources = [
        *registry_resources(),
        organization(NEW_PRACTICE, "Nyby legesenter", "974600951"),
        practitioner(NEW_HPR, "Nina", "Ny"),
        role(NEW_PRACTICE, NEW_HPR),
    ]
    plan = await sync(db, resources)
    assert {(c.kind, c.action) for c in plan.changes} == {
        ("practice", "added"),
        ("practitioner", "added"),
        ("affiliation", "added"),
    }
    assert await practices_of(api, NEW_HPR) == [NEW_PRACTICE]
    rows = {p[0]: p for p in (await state(db))["practices"]}
    assert rows[NEW_PRACTICE][3] == ALL_SERVICES
    # A sync never changes what an existing practice offers (Fjordbyen: no e-konsultasjon)
    assert "E_KONSULTASJON" not in rows[FJORDBYEN][3]


async def test_names_and_organisation_numbers_follow_the_registers(api, db):
    resources = registry_resources()
    find(resources, "Organization/her-8142520")["name"] = "Fjordbyen legesenter"
    find(resources, "Practitioner/hpr-5550123")["name"] = [
        {"use": "usual", "given": ["Jake"], "family": "T"},
        {"use": "official", "text": "Jacob  Tore Hansen"},
    ]
    plan = await sync(db, resources)
    assert sorted((c.kind, c.action) for c in plan.changes) == [
        ("practice", "changed"),
        ("practitioner", "changed"),
    ]
    me = (await api.data(ME, hpr=JACOB))["me"]
    assert me["name"] == "Jacob Tore Hansen"
    assert me["practices"] == [{"herId": FJORDBYEN, "name": "Fjordbyen legesenter"}]


@pytest.mark.parametrize("style", ["type", "fullUrl", "absolute", "identifier"])
async def test_each_reference_style_resolves(api, db, style):
    # Given Jacob joins Storgata, referred to in one style
    resources = [*registry_resources(), role(STORGATA, JACOB, style=style)]
    # When synced
    await sync(db, resources)
    # Then Jacob may edit Storgata
    assert await practices_of(api, JACOB) == [FJORDBYEN, STORGATA]
    body = await api.post(SAVE_TEXTS, text_input(STORGATA, "FASTLEGEPANEL", "Hei."), hpr=JACOB)
    assert body["data"]["saveTexts"]["userErrors"] == []


# (id, the role's active and period, in force on TODAY)
ROLE_CASES = [
    ("no-period", {}, True),
    ("inactive", {"active": False}, False),
    ("active-missing", {"active": None}, True),
    ("ended-yesterday", {"end": YESTERDAY.isoformat()}, False),
    ("ends-today", {"end": TODAY.isoformat()}, True),
    ("starts-today", {"start": TODAY.isoformat()}, True),
    ("starts-tomorrow", {"start": TOMORROW.isoformat()}, False),
    ("inside", {"start": "2020-01-01", "end": "2030-12-31"}, True),
    ("partial-year-end", {"end": str(TODAY.year)}, True),
    ("partial-month-ended", {"end": f"{TODAY.year}-{TODAY.month - 1:02d}"}, False),
    ("partial-month-end", {"end": f"{TODAY.year}-{TODAY.month:02d}"}, True),
    # 23:30 UTC yesterday is 01:30 today in Oslo (summer time): still in force today
    ("end-utc-is-today-in-oslo", {"end": f"{YESTERDAY.isoformat()}T23:30:00Z"}, True),
    # 23:30 in Oslo yesterday, given with its offset: ended
    ("end-oslo-yesterday", {"end": f"{YESTERDAY.isoformat()}T23:30:00+02:00"}, False),
    ("start-utc-is-tomorrow-in-oslo", {"start": f"{TODAY.isoformat()}T22:30:00Z"}, False),
]


@pytest.mark.parametrize(("case", "fields", "in_force"), ROLE_CASES, ids=[c[0] for c in ROLE_CASES])
async def test_a_role_is_an_affiliation_only_while_in_force(api, db, case, fields, in_force):
    # Given Kristian's role at Fjordbyen with this activity and period
    resources = registry_resources()
    fjordbyen = find(resources, "PractitionerRole/her-8142520-hpr-1810001")
    fields = dict(fields)
    active = fields.pop("active", True)
    fjordbyen.update(role(FJORDBYEN, KRISTIAN, active=active, **fields))
    if active is None:
        fjordbyen.pop("active")
    # When synced
    await sync(db, resources)
    # Then Kristian may edit Fjordbyen exactly while the role is in force
    assert (FJORDBYEN in await practices_of(api, KRISTIAN)) is in_force
    body = await api.post(SAVE_TEXTS, text_input(FJORDBYEN, "FASTLEGEPANEL", "Hei."), hpr=KRISTIAN)
    assert (error_codes(body) == ["FORBIDDEN"]) is not in_force


async def test_a_closed_practice_keeps_its_settings_until_it_reopens(api, db):
    # Given Storgata with an addition patients see
    await api.data(SAVE_TEXTS, text_input(STORGATA, "TIMEBESTILLING", "Ring oss."), hpr=ASTRID)
    assert (await patient(api, STORGATA))["practiceText"] == "Ring oss."
    # When the registers close Storgata
    closed = registry_resources()
    find(closed, "Organization/her-8142519")["active"] = False
    plan = await sync(db, closed)
    assert [(c.kind, c.action) for c in plan.changes] == [("practice", "closed")]
    # Then no one may edit it, it leaves the GPs' lists, and patients get no answer
    body = await api.post(SAVE_TEXTS, text_input(STORGATA, "TIMEBESTILLING", "x"), hpr=ASTRID)
    assert error_codes(body) == ["FORBIDDEN"]
    assert await practices_of(api, ASTRID) == []
    assert await practices_of(api, KRISTIAN) == [FJORDBYEN]
    assert await patient(api, STORGATA) is None
    # When it reopens
    plan = await sync(db, registry_resources())
    assert [(c.kind, c.action) for c in plan.changes] == [("practice", "reopened")]
    # Then its addition is back, and its GPs may edit it again
    assert (await patient(api, STORGATA))["practiceText"] == "Ring oss."
    assert await practices_of(api, ASTRID) == [STORGATA]


async def test_a_withdrawn_authorisation_ends_every_affiliation(api, db):
    # Given an input that holds Kristian (withdrawn) and Storgata, but not Fjordbyen
    resources = [r for r in registry_resources() if "8142520" not in r["id"]]
    find(resources, "Practitioner/hpr-1810001")["active"] = False
    # When synced
    plan = await sync(db, resources)
    # Then Kristian may edit neither practice, Fjordbyen's included
    assert await practices_of(api, KRISTIAN) == []
    ended = sorted((c.her_id, c.hpr_number) for c in plan.changes if c.action == "ended")
    assert ended == [(STORGATA, KRISTIAN), (FJORDBYEN, KRISTIAN)]
    body = await api.post(SAVE_TEXTS, text_input(FJORDBYEN, "FASTLEGEPANEL", "x"), hpr=KRISTIAN)
    assert error_codes(body) == ["FORBIDDEN"]
    # And Jacob, at Fjordbyen, which was not in the input, keeps his affiliation
    assert await practices_of(api, JACOB) == [FJORDBYEN]


async def test_practices_not_in_the_input_are_left_alone(api, db):
    before = await state(db)
    only_storgata = [r for r in registry_resources() if "8142520" not in r["id"]]
    plan = await sync(db, only_storgata)
    assert plan.changes == []
    assert await state(db) == before


async def test_an_unchanged_repeat_writes_nothing(api, db):
    resources = [*registry_resources(), practitioner(NEW_HPR, "Nina", "Ny")]
    assert (await sync(db, resources)).changes
    after_first = await state(db)
    assert (await sync(db, resources)).changes == []
    assert await state(db) == after_first


async def test_a_dry_run_lists_every_change_and_makes_none(api, db):
    before = await state(db)
    resources = [r for r in registry_resources() if r["id"] != "her-8142520-hpr-5550123"] + [
        organization(NEW_PRACTICE, "Nyby legesenter"),
        role(NEW_PRACTICE, JACOB),
    ]
    plan = await sync(db, resources, dry_run=True)
    assert [c.line() for c in plan.changes] == [
        f"legekontor lagt til: Nyby legesenter (HER-id {NEW_PRACTICE})",
        f"tilknytning lagt til: HPR {JACOB} ved Nyby legesenter (HER-id {NEW_PRACTICE})",
        f"tilknytning avsluttet: HPR {JACOB} ved Fjordbyen fastlegekontor (HER-id {FJORDBYEN})",
    ]
    assert await state(db) == before


async def test_resources_of_other_types_are_skipped_and_counted(api, db):
    location = {"resourceType": "Location", "id": "l1", "name": "Storgata 1"}
    registry = read_bundles(
        [("kilde.json", bundle_text([*registry_resources(), location, location]))], today=TODAY
    )
    assert registry.skipped == {"Location": 2}
    assert registry.resources == 9


async def test_a_resource_repeated_on_several_pages_is_read_once(api, db):
    # An _include repeats the practice on every page that refers to it
    pages = [
        ("side 1", bundle_text(registry_resources()[:6])),
        ("side 2", bundle_text([*registry_resources()[:2], *registry_resources()[6:]])),
    ]
    registry = read_bundles(pages, today=TODAY)
    assert len(registry.affiliations) == 4
    assert sorted(registry.practices) == [STORGATA, FJORDBYEN]


# --- any invalid part changes nothing and names the resource ----------------------------


def _changed(change: Callable[[list[dict[str, Any]]], None]) -> Callable[[], str]:
    """A bundle that renames Storgata, adds a practitioner and ends Jacob's role (so that a
    partial sync would show), with `change` making one part invalid."""

    def text() -> str:
        resources = registry_resources()
        find(resources, "Organization/her-8142519")["name"] = "Storgata (omdøpt)"
        resources.append(practitioner(NEW_HPR, "Nina", "Ny"))
        resources.remove(find(resources, "PractitionerRole/her-8142520-hpr-5550123"))
        change(resources)
        return bundle_text(resources)

    return text


def _set(local: str, **fields: Any) -> Callable[[list[dict[str, Any]]], None]:
    return lambda resources: find(resources, local).update(fields)


def _identifier(local: str, value: str | None) -> Callable[[list[dict[str, Any]]], None]:
    def change(resources: list[dict[str, Any]]) -> None:
        resource = find(resources, local)
        if value is None:
            resource["identifier"] = resource["identifier"][1:]
        else:
            resource["identifier"][0]["value"] = value

    return change


def _append(resource: dict[str, Any]) -> Callable[[list[dict[str, Any]]], None]:
    return lambda resources: resources.append(resource)


OUTCOME = {
    "resourceType": "OperationOutcome",
    "id": "o1",
    "issue": [{"severity": "error", "code": "exception", "diagnostics": "HPR svarer ikke"}],
}

# (id, the bundle's text, fragments the message must contain)
INVALID = [
    ("missing-her-id", _changed(_identifier("Organization/her-8142520", None)), ["HER-id"]),
    ("her-id-not-a-number", _changed(_identifier("Organization/her-8142520", "81A")), ["81A"]),
    ("missing-hpr", _changed(_identifier("Practitioner/hpr-5550123", None)), ["HPR-nummer"]),
    ("hpr-six-digits", _changed(_identifier("Practitioner/hpr-5550123", "555012")), ["555012"]),
    ("hpr-ten-digits", _changed(_identifier("Practitioner/hpr-5550123", "5550123456")), ["7–9"]),
    ("hpr-letters", _changed(_identifier("Practitioner/hpr-5550123", "55501X3")), ["55501X3"]),
    (
        "bad-org-number",
        _changed(
            lambda rs: find(rs, "Organization/her-8142520")["identifier"][1].update(
                value="923609017"
            )
        ),
        ["923609017"],
    ),
    (
        "dangling-reference",
        _changed(_append(role(FJORDBYEN, 9999999))),
        ["Practitioner/hpr-9999999"],
    ),
    (
        "dangling-logical-reference",
        _changed(_append(role(8000000, ASTRID, style="identifier"))),
        ["8000000"],
    ),
    (
        "model-refuses-date",
        _changed(_set("PractitionerRole/her-8142519-hpr-9144889", period={"start": "2024-13-01"})),
        ["period.start"],
    ),
    (
        "model-refuses-list",
        _changed(
            _set("PractitionerRole/her-8142519-hpr-9144889", practitioner=[{"reference": "x"}])
        ),
        ["practitioner"],
    ),
    ("model-refuses-unknown", _changed(_set("Organization/her-8142520", navn="x")), ["navn"]),
    ("operation-outcome", _changed(_append(OUTCOME)), ["HPR svarer ikke"]),
    ("organisation-without-name", _changed(_set("Organization/her-8142520", name=" ")), ["navn"]),
    (
        "her-id-on-two-resources",
        _changed(_append(organization(FJORDBYEN, "Kopi") | {"id": "kopi"})),
        [str(FJORDBYEN)],
    ),
    ("malformed-json", lambda: bundle_text(registry_resources())[:-20], ["kilde.json", "JSON"]),
    ("not-a-bundle", lambda: json.dumps(OUTCOME | {"issue": []}), ["kilde.json"]),
    ("whole-answer-an-outcome", lambda: json.dumps(OUTCOME), ["kilde.json", "HPR svarer ikke"]),
    ("not-a-bundle-at-all", lambda: json.dumps(organization(1, "x")), ["Bundle"]),
]


@pytest.mark.parametrize(("case", "text", "fragments"), INVALID, ids=[c[0] for c in INVALID])
async def test_an_invalid_part_changes_nothing_and_is_named(api, db, case, text, fragments):
    # Given the registry as it stands
    before = await state(db)
    # When a sync holds one invalid part beside valid changes
    with pytest.raises(RegistryError) as refused:
        await sync(db, text())
    # Then nothing changed, and the message names the resource and the fault
    assert await state(db) == before
    message = str(refused.value)
    for fragment in fragments:
        assert fragment in message
    resource_named = any(s in message for s in ("urn:uuid:", "kilde.json", "/"))
    assert resource_named, message


# --- rights follow at once, on every instance -------------------------------------------


async def test_rights_follow_at_once_on_two_instances(api, db, settings, clock):
    # Given a second instance on the same database, both holding Storgata's patient view
    other, other_api = await instance(settings.database_url, settings, clock)
    try:
        for each in (api, other_api):
            assert await fresh_patient(each, STORGATA) is not None
            body = await each.post(
                SAVE_TEXTS, text_input(FJORDBYEN, "FASTLEGEPANEL", "Hei."), hpr=KRISTIAN
            )
            assert error_codes(body) == []
        # When the registers end Kristian's role at Fjordbyen and close Storgata
        resources = registry_resources()
        find(resources, "PractitionerRole/her-8142520-hpr-1810001")["active"] = False
        find(resources, "Organization/her-8142519")["active"] = False
        await sync(db, resources)
        # Then Kristian is refused on the very next request to either instance
        for each in (api, other_api):
            body = await each.post(
                SAVE_TEXTS, text_input(FJORDBYEN, "FASTLEGEPANEL", "x"), hpr=KRISTIAN
            )
            assert error_codes(body) == ["FORBIDDEN"]
        # And patients of the closed practice get no answer from either within a second
        for each in (api, other_api):
            await within_a_second(lambda each=each: _is_none(fresh_patient(each, STORGATA)))
    finally:
        await close(other, other_api)


async def _is_none(answer) -> bool:
    return await answer is None


async def fresh_patient(api, her_id: int) -> dict[str, Any] | None:
    """A patient read no earlier request asked, so that only the read model can answer."""
    return (await api.data(PATIENT, {"herId": her_id, "on": fresh_day()}))["patientService"]
