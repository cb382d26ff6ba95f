"""How many SQL statements an operation costs, cold (nothing cached): a constant, whatever
the amount of data."""

from datetime import timedelta

import pytest

from models.database import recording_statements
from tests.conftest import ASTRID, KRISTIAN, STORGATA, TODAY, import_text, registry_text

SERVICE = """
query Service($herId: Int!, $hpr: Int) {
  patientService(herId: $herId, service: RESEPTFORNYELSE, practitionerHpr: $hpr) {
    available practiceText practiceTextUntil form { id } entryPoints { form { id } }
    absence { returnsOn }
  }
}
"""

PANEL = """
query Panel($herId: Int!, $hpr: Int) {
  patientPanel(herId: $herId, practitionerHpr: $hpr) {
    panelText panelTextUntil
    services { available practiceText practiceTextUntil form { id } absence { returnsOn } }
  }
}
"""

PRACTICE = """
query Practice($herId: Int!) {
  practice(herId: $herId) {
    name version
    practitioners { hprNumber name }
    texts { slot text updatedAt }
    tools { entryPoint activeForm { id } isDefault }
    absences(includePast: true) { id practitioner { name } from to services }
    scheduledTexts(includePast: true) { id slot language text from to }
    auditLog(first: 100) { edges { cursor node { summary } } pageInfo { hasNextPage } }
  }
}
"""

ADD_ABSENCE = """
mutation Add($input: AddAbsenceInput!) { addAbsence(input: $input) { userErrors { code } } }
"""

SAVE = """
mutation Save($input: SaveTextsInput!) { saveTexts(input: $input) { userErrors { code } } }
"""

SCHEDULE = """
mutation Schedule($input: AddScheduledTextInput!) {
  addScheduledText(input: $input) { userErrors { code } }
}
"""


async def count(api, db, document, variables, hpr=None) -> int:
    # The change watcher polls in the background; its statements are not the request's.
    await api.services.stop()
    with recording_statements(db) as statements:
        await api.data(document, variables, hpr=hpr)
    return len(statements)


async def grow(api, db, absences: int) -> None:
    """More practitioners, absences, scheduled texts and audit entries at Storgata."""
    registry = registry_text().replace(
        '{"hprNumber": 1810001, "name": "Kristian Larsen"}',
        '{"hprNumber": 1810001, "name": "Kristian Larsen"}, '
        + ", ".join(f'{{"hprNumber": {2000000 + n}, "name": "Lege {n}"}}' for n in range(30)),
        1,
    )
    await import_text(db, registry)
    for n in range(absences):
        start = TODAY + timedelta(days=2 * n)
        data = await api.data(
            ADD_ABSENCE,
            {
                "input": {
                    "herId": STORGATA,
                    "practitionerHpr": ASTRID,
                    "from": start.isoformat(),
                    "to": start.isoformat(),
                    "services": ["RESEPTFORNYELSE"],
                }
            },
            hpr=KRISTIAN,
        )
        assert data["addAbsence"]["userErrors"] == []
        scheduled = await api.data(
            SCHEDULE,
            {
                "input": {
                    "herId": STORGATA,
                    "slot": "RESEPTFORNYELSE" if n % 2 else "FASTLEGEPANEL",
                    "text": f"Planlagt {n}",
                    "from": start.isoformat(),
                    "to": (start + timedelta(days=1)).isoformat(),
                }
            },
            hpr=ASTRID,
        )
        assert scheduled["addScheduledText"]["userErrors"] == []
        await api.data(
            SAVE,
            {"input": {"herId": STORGATA, "texts": [{"slot": "FASTLEGEPANEL", "text": f"T{n}"}]}},
            hpr=ASTRID,
        )


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        (SERVICE, {"herId": STORGATA, "hpr": ASTRID}),
        (SERVICE, {"herId": STORGATA, "hpr": None}),
        (PANEL, {"herId": STORGATA, "hpr": ASTRID}),
        (PANEL, {"herId": STORGATA, "hpr": None}),
    ],
)
async def test_first_patient_read_of_a_practice_costs_at_most_two_statements(
    api, db, document, variables
):
    await grow(api, db, absences=5)
    # grow() ended with a change to Storgata, so nothing about it is held: the first read.
    assert await count(api, db, document, variables) <= 2


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        (SERVICE, {"herId": STORGATA, "hpr": ASTRID}),
        (PANEL, {"herId": STORGATA, "hpr": None}),
    ],
)
async def test_later_cold_patient_reads_cost_no_statement(api, db, document, variables):
    # Given Storgata read once (its snapshot is held)
    await grow(api, db, absences=5)
    # The change watcher catches up with grow()'s changes and stops before the snapshot is
    # read: a poll of it after the read would see those changes late and drop the snapshot,
    # and the read below would cost statements (seen on a loaded machine).
    await api.services.stop()
    await api.services.watcher.poll()
    await api.data(PANEL, {"herId": STORGATA, "hpr": ASTRID})
    # When a request the response cache has never seen asks about it (another date: what
    # every patient sends just after midnight)
    later = {**variables, "on": (TODAY + timedelta(days=3)).isoformat()}
    # Then no statement is needed
    assert (
        await count(
            api,
            db,
            document.replace("$hpr: Int", "$hpr: Int, $on: Date").replace(
                "practitionerHpr: $hpr", "practitionerHpr: $hpr, on: $on"
            ),
            later,
        )
        == 0
    )


async def test_admin_practice_query_costs_a_constant_at_most_eight(api, db):
    few = await count(api, db, PRACTICE, {"herId": STORGATA}, hpr=ASTRID)
    await grow(api, db, absences=12)
    many = await count(api, db, PRACTICE, {"herId": STORGATA}, hpr=ASTRID)
    assert many == few <= 8
