"""Fravær: addAbsence, deleteAbsence and Practice.absences."""

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import (
    ASTRID,
    FJORDBYEN,
    JACOB,
    KRISTIAN,
    STORGATA,
    STRANGER,
    TODAY,
    as_json,
    error_codes,
)

ADD_ABSENCE = """
mutation AddAbsence($input: AddAbsenceInput!) {
  addAbsence(input: $input) {
    absence {
      id
      practitioner { hprNumber name }
      from
      to
      services
      createdAt
      createdByHpr
    }
    practice { herId version }
    userErrors { field code message }
  }
}
"""

DELETE_ABSENCE = """
mutation DeleteAbsence($input: DeleteAbsenceInput!) {
  deleteAbsence(input: $input) {
    deletedId
    practice { herId version }
    userErrors { field code message }
  }
}
"""

PRACTICE_ABSENCES = """
query Absences($herId: Int!, $includePast: Boolean) {
  practice(herId: $herId) {
    absences(includePast: $includePast) { id practitioner { hprNumber } from to services }
  }
}
"""

PRACTICE_ABSENCES_DEFAULT = """
query Absences($herId: Int!) {
  practice(herId: $herId) { absences { id from to } }
}
"""

PRACTICE_STATE = """
query State($herId: Int!) {
  practice(herId: $herId) {
    version
    absences(includePast: true) { id practitioner { hprNumber } from to services }
    auditLog(first: 100) { edges { node { action actorHpr before after } } }
  }
}
"""

# An affiliated practitioner to read each practice's state with.
READER = {STORGATA: ASTRID, FJORDBYEN: JACOB}


def day(offset: int) -> str:
    """TODAY moved by `offset` days, as the API writes dates."""
    return (TODAY + timedelta(days=offset)).isoformat()


def absence_input(
    *,
    her_id: int = STORGATA,
    hpr: int = ASTRID,
    start: str | None = None,
    end: str | None = None,
    services: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "input": {
            "herId": her_id,
            "practitionerHpr": hpr,
            "from": start or day(2),
            "to": end or day(4),
            "services": ["RESEPTFORNYELSE"] if services is None else services,
        }
    }


async def add(api, *, actor: int = ASTRID, **kwargs) -> dict[str, Any]:
    data = await api.data(ADD_ABSENCE, absence_input(**kwargs), hpr=actor)
    return data["addAbsence"]


async def add_ok(api, *, actor: int = ASTRID, **kwargs) -> dict[str, Any]:
    payload = await add(api, actor=actor, **kwargs)
    assert payload["userErrors"] == []
    assert payload["absence"] is not None
    return payload["absence"]


async def delete(api, absence_id: str, *, her_id: int = STORGATA, actor: int = ASTRID) -> dict:
    data = await api.data(DELETE_ABSENCE, {"input": {"herId": her_id, "id": absence_id}}, hpr=actor)
    return data["deleteAbsence"]


async def state(api, her_id: int = STORGATA) -> dict[str, Any]:
    data = await api.data(PRACTICE_STATE, {"herId": her_id}, hpr=READER[her_id])
    return data["practice"]


async def listed(api, her_id: int = STORGATA, *, include_past: bool | None = None) -> list[dict]:
    variables: dict[str, Any] = {"herId": her_id}
    if include_past is not None:
        variables["includePast"] = include_past
    data = await api.data(PRACTICE_ABSENCES, variables, hpr=READER[her_id])
    return data["practice"]["absences"]


def audit_actions(practice_state: dict[str, Any]) -> list[str]:
    return [edge["node"]["action"] for edge in practice_state["auditLog"]["edges"]]


async def assert_refused(api, payload: dict, code: str, before: dict, her_id: int = STORGATA):
    """One user error with `code`; no absence; the practice exactly as it stood."""
    assert [e["code"] for e in payload["userErrors"]] == [code], payload["userErrors"]
    assert payload["absence"] is None
    assert payload["practice"]["version"] == before["version"]
    assert await state(api, her_id) == before


# --- addAbsence: success -------------------------------------------------------------------


async def test_added_absence_is_returned_version_bumped_and_audited(api, clock):
    # Given Storgata at version 0 with no absences
    # When Astrid registers an absence for herself, services listed out of order
    payload = await add(
        api,
        start=day(2),
        end=day(4),
        services=["KONTAKT_LEGEKONTORET", "TIMEBESTILLING", "RESEPTFORNYELSE"],
    )
    # Then the absence comes back, services in Service order, made by her now
    assert payload["userErrors"] == []
    absence = payload["absence"]
    assert absence["id"]
    assert absence["practitioner"] == {"hprNumber": ASTRID, "name": "Astrid Info"}
    assert absence["from"] == day(2)
    assert absence["to"] == day(4)
    assert absence["services"] == ["TIMEBESTILLING", "RESEPTFORNYELSE", "KONTAKT_LEGEKONTORET"]
    assert datetime.fromisoformat(absence["createdAt"]) == clock()
    assert absence["createdByHpr"] == ASTRID
    assert payload["practice"]["version"] == 1
    # And it is listed, and one audit entry describes it
    after = await state(api)
    assert after["version"] == 1
    assert [a["id"] for a in after["absences"]] == [absence["id"]]
    assert audit_actions(after) == ["addAbsence"]
    entry = after["auditLog"]["edges"][0]["node"]
    assert entry["actorHpr"] == ASTRID
    described = as_json(entry["after"])
    assert isinstance(described, dict)
    values = list(described.values())
    assert day(2) in values
    assert day(4) in values
    assert ["TIMEBESTILLING", "RESEPTFORNYELSE", "KONTAKT_LEGEKONTORET"] in values


async def test_any_affiliated_practitioner_may_register_for_a_colleague(api):
    # Given Kristian and Astrid both work at Storgata
    # When Kristian registers an absence for Astrid
    absence = await add_ok(api, actor=KRISTIAN, hpr=ASTRID)
    # Then it is Astrid's absence, registered by Kristian
    assert absence["practitioner"]["hprNumber"] == ASTRID
    assert absence["createdByHpr"] == KRISTIAN
    after = await state(api)
    assert after["auditLog"]["edges"][0]["node"]["actorHpr"] == KRISTIAN
    assert after["absences"][0]["practitioner"]["hprNumber"] == ASTRID


@pytest.mark.parametrize(
    ("start", "end"),
    [(-1, 0), (-1, 5), (0, 0)],
    ids=["started-yesterday-ends-today", "started-yesterday-ends-later", "today-only"],
)
async def test_absence_that_has_started_or_ends_today_is_accepted(api, start, end):
    # Given today is 10.06.2024
    # When an absence that started already, or ends today, is registered
    absence = await add_ok(api, start=day(start), end=day(end))
    # Then it is stored and listed as current
    assert (absence["from"], absence["to"]) == (day(start), day(end))
    assert [a["id"] for a in await listed(api)] == [absence["id"]]


async def test_absence_of_366_days_inclusive_is_accepted(api):
    # 10.06.2024 to 10.06.2025, both days counted, is 366 days
    end = TODAY + timedelta(days=365)
    assert (end - TODAY).days + 1 == 366
    absence = await add_ok(api, start=TODAY.isoformat(), end=end.isoformat())
    assert absence["to"] == end.isoformat()


async def test_duplicate_services_are_folded(api):
    absence = await add_ok(api, services=["RESEPTFORNYELSE", "RESEPTFORNYELSE"])
    assert absence["services"] == ["RESEPTFORNYELSE"]
    assert (await listed(api))[0]["services"] == ["RESEPTFORNYELSE"]


async def test_service_the_practice_does_not_offer_may_be_listed(api):
    # Given Fjordbyen does not offer E_KONSULTASJON
    # When Jacob registers an absence switching it off
    absence = await add_ok(
        api, actor=JACOB, her_id=FJORDBYEN, hpr=JACOB, services=["E_KONSULTASJON"]
    )
    # Then it is accepted as given
    assert absence["services"] == ["E_KONSULTASJON"]
    assert (await state(api, FJORDBYEN))["version"] == 1


async def test_absence_from_exactly_two_years_ahead_is_accepted(api):
    start = date(TODAY.year + 2, TODAY.month, TODAY.day)
    absence = await add_ok(api, start=start.isoformat(), end=start.isoformat())
    assert absence["from"] == "2026-06-10"


# --- addAbsence: user errors ---------------------------------------------------------------


async def test_from_after_to_is_an_invalid_date_range(api):
    before = await state(api)
    payload = await add(api, start=day(5), end=day(3))
    await assert_refused(api, payload, "INVALID_DATE_RANGE", before)
    assert payload["userErrors"][0]["field"] in (["from"], ["to"])


async def test_absence_that_ended_yesterday_is_in_the_past(api):
    before = await state(api)
    payload = await add(api, start=day(-5), end=day(-1))
    await assert_refused(api, payload, "IN_PAST", before)
    assert payload["userErrors"][0]["field"] == ["to"]


async def test_absence_of_367_days_inclusive_is_too_long(api):
    before = await state(api)
    end = TODAY + timedelta(days=366)
    payload = await add(api, start=TODAY.isoformat(), end=end.isoformat())
    await assert_refused(api, payload, "RANGE_TOO_LONG", before)
    assert payload["userErrors"][0]["field"] in (["from"], ["to"])


async def test_absence_starting_a_day_after_two_years_ahead_is_too_long(api):
    # today + 2 calendar years is 10.06.2026; the 11th is one day too far
    before = await state(api)
    start = date(TODAY.year + 2, TODAY.month, TODAY.day) + timedelta(days=1)
    payload = await add(api, start=start.isoformat(), end=start.isoformat())
    await assert_refused(api, payload, "RANGE_TOO_LONG", before)
    assert payload["userErrors"][0]["field"] == ["from"]


async def test_no_services_is_refused(api):
    before = await state(api)
    payload = await add(api, services=[])
    await assert_refused(api, payload, "NO_SERVICES", before)
    assert payload["userErrors"][0]["field"] == ["services"]


@pytest.mark.parametrize(
    "hpr", [JACOB, STRANGER], ids=["practitioner-of-another-practice", "unknown-hpr"]
)
async def test_practitioner_not_affiliated_with_the_practice_is_refused(api, hpr):
    # Given Jacob works at Fjordbyen only, and the stranger is in no registry at all
    before = await state(api)
    # When Astrid registers an absence for them at Storgata
    payload = await add(api, hpr=hpr)
    # Then it is refused, pointing at the practitioner
    await assert_refused(api, payload, "NOT_AFFILIATED", before)
    assert payload["userErrors"][0]["field"] == ["practitionerHpr"]


@pytest.mark.parametrize(
    ("start", "end", "services"),
    [
        (3, 3, ["RESEPTFORNYELSE"]),
        (4, 9, ["TIMEBESTILLING", "RESEPTFORNYELSE"]),
        (-1, 2, ["KONTAKT_LEGEKONTORET", "RESEPTFORNYELSE"]),
        (0, 30, ["RESEPTFORNYELSE"]),
    ],
    ids=["inside", "shares-last-day", "shares-first-day", "covers-it"],
)
async def test_overlapping_absence_sharing_a_service_is_refused(api, start, end, services):
    # Given Astrid is away 12.06.2024–14.06.2024 from Reseptfornyelse
    await add_ok(api, start=day(2), end=day(4), services=["RESEPTFORNYELSE"])
    before = await state(api)
    # When another absence of hers at Storgata overlaps it and also lists Reseptfornyelse
    payload = await add(api, start=day(start), end=day(end), services=services)
    # Then it is refused, naming the existing absence's dates as the admin table shows them
    await assert_refused(api, payload, "ABSENCE_OVERLAP", before)
    message = payload["userErrors"][0]["message"]
    assert "12.06.2024" in message
    assert "14.06.2024" in message


async def test_overlapping_dates_with_other_services_are_accepted(api):
    await add_ok(api, start=day(2), end=day(4), services=["RESEPTFORNYELSE"])
    await add_ok(api, start=day(2), end=day(4), services=["TIMEBESTILLING", "E_KONSULTASJON"])
    after = await state(api)
    assert len(after["absences"]) == 2
    assert after["version"] == 2


async def test_back_to_back_absences_do_not_overlap(api):
    # Given Astrid is away 12.06–14.06 from Reseptfornyelse
    await add_ok(api, start=day(2), end=day(4), services=["RESEPTFORNYELSE"])
    # When the next one starts the day after it ends, and one ends the day before it starts
    await add_ok(api, start=day(5), end=day(8), services=["RESEPTFORNYELSE"])
    await add_ok(api, start=day(0), end=day(1), services=["RESEPTFORNYELSE"])
    # Then all three stand
    assert len((await state(api))["absences"]) == 3


async def test_same_dates_for_another_practitioner_are_accepted(api):
    await add_ok(api, hpr=ASTRID, start=day(2), end=day(4), services=["RESEPTFORNYELSE"])
    absence = await add_ok(
        api, hpr=KRISTIAN, start=day(2), end=day(4), services=["RESEPTFORNYELSE"]
    )
    assert absence["practitioner"]["hprNumber"] == KRISTIAN
    assert len((await state(api))["absences"]) == 2


async def test_same_practitioner_at_another_practice_is_not_an_overlap(api):
    # Given Kristian is away from Reseptfornyelse at Storgata
    await add_ok(api, actor=KRISTIAN, hpr=KRISTIAN, services=["RESEPTFORNYELSE"])
    # When the same dates and service are registered for him at Fjordbyen
    absence = await add_ok(
        api, actor=KRISTIAN, her_id=FJORDBYEN, hpr=KRISTIAN, services=["RESEPTFORNYELSE"]
    )
    # Then that is accepted too
    assert absence["practitioner"]["hprNumber"] == KRISTIAN
    assert len((await state(api, FJORDBYEN))["absences"]) == 1


# --- Practice.absences ---------------------------------------------------------------------


async def test_absences_are_ordered_by_from(api):
    # Given three absences registered out of order
    late = await add_ok(api, hpr=ASTRID, start=day(20), end=day(22))
    early = await add_ok(api, hpr=KRISTIAN, start=day(1), end=day(30))
    middle = await add_ok(api, hpr=ASTRID, start=day(5), end=day(6))
    # Then the list is by first day
    expected = [early["id"], middle["id"], late["id"]]
    assert [a["id"] for a in await listed(api)] == expected
    assert [a["id"] for a in await listed(api, include_past=True)] == expected


async def test_ended_absences_are_listed_only_with_include_past(api, clock):
    # Given one absence ending 12.06 and another ending 20.06
    short = await add_ok(api, start=day(0), end=day(2))
    long = await add_ok(api, start=day(0), end=day(10), services=["TIMEBESTILLING"])
    # When it is 12.06 both still show, the short one on its last day
    clock.set(TODAY + timedelta(days=2))
    data = await api.data(PRACTICE_ABSENCES_DEFAULT, {"herId": STORGATA}, hpr=ASTRID)
    assert [a["id"] for a in data["practice"]["absences"]] == [short["id"], long["id"]]
    # When it is 13.06 the short one has ended: hidden by default and with includePast: false
    clock.set(TODAY + timedelta(days=3))
    data = await api.data(PRACTICE_ABSENCES_DEFAULT, {"herId": STORGATA}, hpr=ASTRID)
    assert [a["id"] for a in data["practice"]["absences"]] == [long["id"]]
    assert [a["id"] for a in await listed(api, include_past=False)] == [long["id"]]
    # But includePast: true shows it
    assert [a["id"] for a in await listed(api, include_past=True)] == [short["id"], long["id"]]


# --- deleteAbsence -------------------------------------------------------------------------


async def test_deleted_absence_is_gone_version_bumped_and_audited(api):
    # Given an absence of Astrid's, registered by her (version 1)
    absence = await add_ok(api, start=day(2), end=day(4))
    # When Kristian deletes it
    payload = await delete(api, absence["id"], actor=KRISTIAN)
    # Then it is gone, the version moved by one, and the audit says what it was
    assert payload["userErrors"] == []
    assert payload["deletedId"] == absence["id"]
    assert payload["practice"]["version"] == 2
    after = await state(api)
    assert after["version"] == 2
    assert after["absences"] == []
    assert audit_actions(after) == ["deleteAbsence", "addAbsence"]
    entry = after["auditLog"]["edges"][0]["node"]
    assert entry["actorHpr"] == KRISTIAN
    described = as_json(entry["before"])
    assert isinstance(described, dict)
    values = list(described.values())
    assert day(2) in values
    assert day(4) in values
    assert ["RESEPTFORNYELSE"] in values


async def test_deleting_again_is_not_found(api):
    absence = await add_ok(api)
    assert (await delete(api, absence["id"]))["userErrors"] == []
    before = await state(api)
    payload = await delete(api, absence["id"])
    assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"]
    assert payload["userErrors"][0]["field"] == ["id"]
    assert payload["deletedId"] is None
    assert payload["practice"]["version"] == before["version"]
    assert await state(api) == before


async def test_deleting_another_practices_absence_is_not_found(api):
    # Given an absence of Jacob's at Fjordbyen
    theirs = await add_ok(api, actor=JACOB, her_id=FJORDBYEN, hpr=JACOB)
    storgata_before = await state(api)
    fjordbyen_before = await state(api, FJORDBYEN)
    # When Astrid tries to delete it through Storgata
    payload = await delete(api, theirs["id"], her_id=STORGATA, actor=ASTRID)
    # Then it is not found there, and it still exists at Fjordbyen
    assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"]
    assert payload["userErrors"][0]["field"] == ["id"]
    assert payload["deletedId"] is None
    assert await state(api) == storgata_before
    assert await state(api, FJORDBYEN) == fjordbyen_before
    assert [a["id"] for a in fjordbyen_before["absences"]] == [theirs["id"]]


async def test_deleting_an_unknown_id_is_not_found(api):
    await add_ok(api)
    before = await state(api)
    payload = await delete(api, "00000000-0000-0000-0000-000000000000")
    assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"]
    assert payload["userErrors"][0]["field"] == ["id"]
    assert payload["deletedId"] is None
    assert await state(api) == before


# --- Access --------------------------------------------------------------------------------


@pytest.mark.parametrize("mutation", ["addAbsence", "deleteAbsence"])
@pytest.mark.parametrize(
    ("hpr", "code"), [(None, "UNAUTHENTICATED"), (JACOB, "FORBIDDEN")], ids=["no-token", "jacob"]
)
async def test_mutations_need_an_affiliated_practitioner(api, mutation, hpr, code):
    # Given an absence at Storgata
    existing = await add_ok(api)
    before = await state(api)
    # When someone without a token, or Jacob of Fjordbyen, adds or deletes at Storgata
    if mutation == "addAbsence":
        body = await api.post(
            ADD_ABSENCE, absence_input(hpr=ASTRID, start=day(10), end=day(12)), hpr=hpr
        )
    else:
        body = await api.post(
            DELETE_ABSENCE, {"input": {"herId": STORGATA, "id": existing["id"]}}, hpr=hpr
        )
    # Then a top-level error, no data, and nothing changed
    assert body["data"] is None
    assert error_codes(body) == [code]
    assert await state(api) == before


# --- Dates that are not dates --------------------------------------------------------------


@pytest.mark.parametrize("bad", ["2024-13-01", "2024-02-30", "10.06.2024", "", "i morgen"])
@pytest.mark.parametrize("field", ["from", "to"])
async def test_invalid_date_string_is_a_graphql_error_not_a_500(api, bad, field):
    before = await state(api)
    variables = absence_input()
    variables["input"][field] = bad
    response = await api.client.post(
        "/graphql",
        json={"query": ADD_ABSENCE, "variables": variables},
        headers={"Authorization": f"Bearer {api.token(ASTRID)}"},
    )
    assert response.status_code < 500, response.text
    body = response.json()
    assert body.get("data") is None
    assert body["errors"]
    assert "INTERNAL_SERVER_ERROR" not in error_codes(body)
    assert await state(api) == before
