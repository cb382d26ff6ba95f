"""Undo: revertChange and AuditEntry.revertible, for every kind of change, on both engines."""

import asyncio
from datetime import timedelta

import pytest

from models.database import recording_statements
from tests.conftest import (
    ASTRID,
    FJORDBYEN,
    JACOB,
    KRISTIAN,
    STORGATA,
    TODAY,
    as_json,
    import_text,
    registry_text,
    text_input,
)

REVERT = """
mutation Revert($input: RevertChangeInput!) {
  revertChange(input: $input) {
    practice { version }
    auditEntry { id action summary before after revertible actorHpr }
    userErrors { field code message }
  }
}
"""

SAVE_TEXTS = """
mutation Save($input: SaveTextsInput!) { saveTexts(input: $input) { userErrors { code } } }
"""

CHOOSE_FORM = """
mutation Choose($input: ChooseFormInput!) { chooseForm(input: $input) { userErrors { code } } }
"""

ADD_ABSENCE = """
mutation Add($input: AddAbsenceInput!) {
  addAbsence(input: $input) { absence { id } userErrors { code } }
}
"""

DELETE_ABSENCE = """
mutation Delete($input: DeleteAbsenceInput!) {
  deleteAbsence(input: $input) { userErrors { code } }
}
"""

ADD_SCHEDULED = """
mutation Add($input: AddScheduledTextInput!) {
  addScheduledText(input: $input) { scheduledText { id } userErrors { code } }
}
"""

DELETE_SCHEDULED = """
mutation Delete($input: DeleteScheduledTextInput!) {
  deleteScheduledText(input: $input) { userErrors { code } }
}
"""

STATE = """
query State($herId: Int!) {
  practice(herId: $herId) {
    version
    texts { slot text }
    tools { entryPoint isDefault activeForm { id } }
    absences(includePast: true) { id practitioner { hprNumber } from to services createdByHpr }
    scheduledTexts(includePast: true) { id slot language text from to createdByHpr }
    auditLog(first: 100) {
      edges { node { id action summary before after revertible actorHpr } }
    }
  }
}
"""

HISTORY = """
query History($herId: Int!, $first: Int) {
  practice(herId: $herId) { auditLog(first: $first) { edges { node { id revertible } } } }
}
"""


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


async def state(api, her_id: int = STORGATA) -> dict:
    reader = ASTRID if her_id == STORGATA else JACOB
    return (await api.data(STATE, {"herId": her_id}, hpr=reader))["practice"]


def entries(practice: dict) -> list[dict]:
    """Newest first."""
    return [edge["node"] for edge in practice["auditLog"]["edges"]]


async def newest_entry(api, her_id: int = STORGATA) -> dict:
    return entries(await state(api, her_id))[0]


async def revert(api, entry_id: str, hpr: int = KRISTIAN, **fields) -> dict:
    variables = {"input": {"herId": STORGATA, "auditEntryId": entry_id, **fields}}
    return (await api.data(REVERT, variables, hpr=hpr))["revertChange"]


async def reverted(api, entry_id: str, hpr: int = KRISTIAN) -> dict:
    payload = await revert(api, entry_id, hpr)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def refused(api, entry_id: str, code: str) -> str:
    """Expects exactly this one error on auditEntryId, and that nothing changed."""
    before = await state(api)
    payload = await revert(api, entry_id)
    errors = [(e["code"], e["field"]) for e in payload["userErrors"]]
    assert errors == [(code, ["auditEntryId"])], payload
    assert payload["auditEntry"] is None
    assert payload["practice"]["version"] == before["version"]
    assert await state(api) == before
    return payload["userErrors"][0]["message"]


async def save(api, slot: str, text: str | None, hpr: int = ASTRID) -> None:
    data = await api.data(SAVE_TEXTS, text_input(STORGATA, slot, text), hpr=hpr)
    assert data["saveTexts"]["userErrors"] == []


def text_of(practice: dict, slot: str) -> str | None:
    return next(t["text"] for t in practice["texts"] if t["slot"] == slot)


def tool_of(practice: dict, entry_point: str) -> dict:
    return next(t for t in practice["tools"] if t["entryPoint"] == entry_point)


async def add_absence(api, **fields) -> str:
    values = {
        "herId": STORGATA,
        "practitionerHpr": ASTRID,
        "from": day(1),
        "to": day(5),
        "services": ["RESEPTFORNYELSE"],
        **fields,
    }
    data = await api.data(ADD_ABSENCE, {"input": values}, hpr=ASTRID)
    assert data["addAbsence"]["userErrors"] == []
    return data["addAbsence"]["absence"]["id"]


async def add_scheduled(api, **fields) -> str:
    values = {
        "herId": STORGATA,
        "slot": "TIMEBESTILLING",
        "text": "Ferie.",
        "from": day(1),
        "to": day(5),
        **fields,
    }
    data = await api.data(ADD_SCHEDULED, {"input": values}, hpr=ASTRID)
    assert data["addScheduledText"]["userErrors"] == []
    return data["addScheduledText"]["scheduledText"]["id"]


# --- which entries ------------------------------------------------------------------------


@pytest.mark.parametrize("entry_id", ["999999", "abc", "-1", "1e3", ""])
async def test_an_entry_that_is_not_in_the_history_is_not_found(api, entry_id):
    await save(api, "RESEPTFORNYELSE", "Husk styrke.")
    message = await refused(api, entry_id, "NOT_FOUND")
    assert "historikk" in message


async def test_another_practices_entry_is_not_found(api):
    # Given a change at Fjordbyen, by Kristian, who is affiliated with both
    data = await api.data(
        SAVE_TEXTS, text_input(FJORDBYEN, "RESEPTFORNYELSE", "Fjordbyen."), hpr=KRISTIAN
    )
    assert data["saveTexts"]["userErrors"] == []
    foreign = (await newest_entry(api, FJORDBYEN))["id"]
    # When it is reverted through Storgata: not found, and Fjordbyen is unchanged
    before = await state(api, FJORDBYEN)
    await refused(api, foreign, "NOT_FOUND")
    assert await state(api, FJORDBYEN) == before


async def test_stale_version_changes_nothing(api):
    await save(api, "RESEPTFORNYELSE", "Husk styrke.")
    entry = await newest_entry(api)
    before = await state(api)
    payload = await revert(api, entry["id"], expectedVersion=0)
    errors = [(e["code"], e["field"]) for e in payload["userErrors"]]
    assert errors == [("STALE_VERSION", ["expectedVersion"])]
    assert await state(api) == before
    assert (await revert(api, entry["id"], expectedVersion=1))["userErrors"] == []


# --- texts --------------------------------------------------------------------------------


async def test_a_text_change_goes_back_as_a_new_change(api):
    # Given an addition written, then changed
    await save(api, "RESEPTFORNYELSE", "Husk styrke.")
    await save(api, "RESEPTFORNYELSE", "Husk styrke og dose.")
    change = await newest_entry(api)
    assert change["revertible"] is True
    # When Kristian undoes the change
    payload = await reverted(api, change["id"])
    # Then the text is back, the version moved by one, and one entry says what was undone
    practice = await state(api)
    assert text_of(practice, "RESEPTFORNYELSE") == "Husk styrke."
    assert payload["practice"]["version"] == 3 == practice["version"]
    written = payload["auditEntry"]
    assert written == entries(practice)[0]
    assert written["action"] == "revertChange"
    assert written["actorHpr"] == KRISTIAN
    assert written["summary"].startswith("Angret:")
    assert "Reseptfornyelse" in written["summary"]
    assert as_json(written["before"]) == {"RESEPTFORNYELSE": "Husk styrke og dose."}
    assert as_json(written["after"]) == {"RESEPTFORNYELSE": "Husk styrke."}


async def test_undoing_a_first_text_removes_it(api):
    await save(api, "FASTLEGEPANEL", "Velkommen.")
    await reverted(api, (await newest_entry(api))["id"])
    assert text_of(await state(api), "FASTLEGEPANEL") is None


async def test_a_text_changed_since_is_a_conflict(api):
    await save(api, "RESEPTFORNYELSE", "Første.")
    first = await newest_entry(api)
    await save(api, "RESEPTFORNYELSE", "Andre.")
    assert (await state(api))["auditLog"]["edges"][1]["node"]["revertible"] is False
    message = await refused(api, first["id"], "REVERT_CONFLICT")
    assert "Reseptfornyelse" in message


async def test_a_conflict_in_one_box_of_a_save_stops_the_whole_revert(api):
    data = await api.data(
        SAVE_TEXTS,
        {
            "input": {
                "herId": STORGATA,
                "texts": [
                    {"slot": "RESEPTFORNYELSE", "text": "R."},
                    {"slot": "TIMEBESTILLING", "text": "T."},
                ],
            }
        },
        hpr=ASTRID,
    )
    assert data["saveTexts"]["userErrors"] == []
    both = await newest_entry(api)
    await save(api, "TIMEBESTILLING", "Endret.")
    await refused(api, both["id"], "REVERT_CONFLICT")


async def test_a_revert_of_a_revert_redoes_the_change(api):
    await save(api, "RESEPTFORNYELSE", "Husk styrke.")
    undo = await reverted(api, (await newest_entry(api))["id"])
    assert text_of(await state(api), "RESEPTFORNYELSE") is None
    redo = await reverted(api, undo["auditEntry"]["id"])
    assert text_of(await state(api), "RESEPTFORNYELSE") == "Husk styrke."
    assert redo["auditEntry"]["summary"].startswith("Angret:")
    assert as_json(redo["auditEntry"]["after"]) == {"RESEPTFORNYELSE": "Husk styrke."}
    # And the undo, overtaken by the redo, can no longer be reverted; the first save, whose
    # value stands again, can
    history = entries(await state(api))
    assert [e["revertible"] for e in history] == [True, False, True]


# --- forms --------------------------------------------------------------------------------


async def choose(api, entry_point: str, form_id: str | None = None, reset: bool = False) -> None:
    fields = {"herId": STORGATA, "entryPoint": entry_point, "formId": form_id}
    if reset:
        fields = {"herId": STORGATA, "entryPoint": entry_point, "resetToDefault": True}
    data = await api.data(CHOOSE_FORM, {"input": fields}, hpr=ASTRID)
    assert data["chooseForm"]["userErrors"] == []


async def test_a_form_choice_goes_back_to_the_default(api):
    default = tool_of(await state(api), "TIMEBESTILLING_KONSULTASJON")
    await choose(api, "TIMEBESTILLING_KONSULTASJON", "alternativ-skjemaingang-timebestilling")
    payload = await reverted(api, (await newest_entry(api))["id"])
    assert tool_of(await state(api), "TIMEBESTILLING_KONSULTASJON") == default
    assert as_json(payload["auditEntry"]["after"]) == {
        "TIMEBESTILLING_KONSULTASJON": {
            "formId": default["activeForm"]["id"] if default["activeForm"] else None,
            "isDefault": True,
        }
    }


async def test_a_form_choice_goes_back_to_the_earlier_choice(api):
    await choose(api, "E_KONSULTASJON", "beskriv-symptomene-dine")
    await choose(api, "E_KONSULTASJON", None)  # "Ingen"
    await reverted(api, (await newest_entry(api))["id"])
    tool = tool_of(await state(api), "E_KONSULTASJON")
    assert tool["activeForm"] == {"id": "beskriv-symptomene-dine"} and not tool["isDefault"]


async def test_the_default_form_chosen_explicitly_is_not_the_default(api):
    # Given the standard form chosen explicitly, then the entry point reset to its default
    standard = tool_of(await state(api), "RESEPTFORNYELSE")["activeForm"]["id"]
    await choose(api, "RESEPTFORNYELSE", standard)
    explicit = await newest_entry(api)
    await choose(api, "RESEPTFORNYELSE", reset=True)
    # Then the explicit choice no longer stands, though the same form is in force
    assert tool_of(await state(api), "RESEPTFORNYELSE")["activeForm"]["id"] == standard
    await refused(api, explicit["id"], "REVERT_CONFLICT")


# --- absences -----------------------------------------------------------------------------


async def test_undoing_an_added_absence_deletes_it(api):
    absence_id = await add_absence(api)
    payload = await reverted(api, (await newest_entry(api))["id"])
    assert (await state(api))["absences"] == []
    assert as_json(payload["auditEntry"]["before"])["id"] == absence_id
    assert payload["auditEntry"]["after"] is None


async def test_undoing_an_added_absence_that_is_gone_is_a_conflict(api):
    absence_id = await add_absence(api)
    added = await newest_entry(api)
    await api.data(DELETE_ABSENCE, {"input": {"herId": STORGATA, "id": absence_id}}, hpr=ASTRID)
    await refused(api, added["id"], "REVERT_CONFLICT")


async def test_undoing_a_deleted_absence_registers_it_again_with_its_id(api, clock):
    absence_id = await add_absence(api)
    await api.data(DELETE_ABSENCE, {"input": {"herId": STORGATA, "id": absence_id}}, hpr=ASTRID)
    clock.set(TODAY + timedelta(days=1))
    await reverted(api, (await newest_entry(api))["id"])
    [absence] = (await state(api))["absences"]
    assert absence["id"] == absence_id
    assert (absence["from"], absence["to"], absence["services"]) == (
        day(1),
        day(5),
        ["RESEPTFORNYELSE"],
    )
    assert absence["createdByHpr"] == KRISTIAN


async def test_a_deleted_absence_that_is_over_cannot_come_back(api, clock):
    absence_id = await add_absence(api)
    await api.data(DELETE_ABSENCE, {"input": {"herId": STORGATA, "id": absence_id}}, hpr=ASTRID)
    deleted = await newest_entry(api)
    clock.set(TODAY + timedelta(days=6))
    assert (await newest_entry(api))["revertible"] is False
    await refused(api, deleted["id"], "IN_PAST")


async def test_a_deleted_absence_overlapping_a_new_one_cannot_come_back(api):
    absence_id = await add_absence(api)
    await api.data(DELETE_ABSENCE, {"input": {"herId": STORGATA, "id": absence_id}}, hpr=ASTRID)
    deleted = await newest_entry(api)
    await add_absence(api, **{"from": day(4), "to": day(8)})
    message = await refused(api, deleted["id"], "ABSENCE_OVERLAP")
    assert (TODAY + timedelta(days=4)).strftime("%d.%m.%Y") in message


async def test_a_deleted_absence_of_someone_who_left_cannot_come_back(api, db):
    absence_id = await add_absence(api)
    await api.data(DELETE_ABSENCE, {"input": {"herId": STORGATA, "id": absence_id}}, hpr=ASTRID)
    deleted = await newest_entry(api)
    # Astrid leaves Storgata (Kristian stays, and reverts)
    await import_text(
        db, registry_text().replace('{"hprNumber": 9144889, "name": "Astrid Info"},', "")
    )
    before = (await api.data(STATE, {"herId": STORGATA}, hpr=KRISTIAN))["practice"]
    payload = await revert(api, deleted["id"])
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("NOT_AFFILIATED", ["auditEntryId"])
    ]
    assert (await api.data(STATE, {"herId": STORGATA}, hpr=KRISTIAN))["practice"] == before


async def test_a_revert_of_a_revert_of_an_added_absence_registers_it_again(api):
    absence_id = await add_absence(api)
    undo = await reverted(api, (await newest_entry(api))["id"])
    await reverted(api, undo["auditEntry"]["id"])
    assert [a["id"] for a in (await state(api))["absences"]] == [absence_id]


# --- scheduled texts ----------------------------------------------------------------------


async def test_undoing_an_added_scheduled_text_deletes_it(api):
    await add_scheduled(api)
    payload = await reverted(api, (await newest_entry(api))["id"])
    assert (await state(api))["scheduledTexts"] == []
    assert as_json(payload["auditEntry"]["before"]) == {
        "slot": "TIMEBESTILLING",
        "language": "NB",
        "text": "Ferie.",
        "from": day(1),
        "to": day(5),
    }


async def test_undoing_an_added_scheduled_text_that_is_gone_is_a_conflict(api):
    scheduled_id = await add_scheduled(api)
    added = await newest_entry(api)
    await api.data(DELETE_SCHEDULED, {"input": {"herId": STORGATA, "id": scheduled_id}}, hpr=ASTRID)
    await refused(api, added["id"], "REVERT_CONFLICT")


async def test_undoing_a_deleted_scheduled_text_brings_it_back_with_its_id(api):
    scheduled_id = await add_scheduled(api)
    await api.data(DELETE_SCHEDULED, {"input": {"herId": STORGATA, "id": scheduled_id}}, hpr=ASTRID)
    await reverted(api, (await newest_entry(api))["id"])
    [back] = (await state(api))["scheduledTexts"]
    assert back["id"] == scheduled_id
    assert (back["text"], back["from"], back["to"]) == ("Ferie.", day(1), day(5))
    assert back["createdByHpr"] == KRISTIAN


async def test_a_deleted_scheduled_text_overlapping_a_new_one_cannot_come_back(api):
    scheduled_id = await add_scheduled(api)
    await api.data(DELETE_SCHEDULED, {"input": {"herId": STORGATA, "id": scheduled_id}}, hpr=ASTRID)
    deleted = await newest_entry(api)
    await add_scheduled(api, text="Annen ferie.", **{"from": day(5), "to": day(9)})
    await refused(api, deleted["id"], "SCHEDULE_OVERLAP")


async def test_a_deleted_scheduled_text_that_is_over_cannot_come_back(api, clock):
    scheduled_id = await add_scheduled(api)
    await api.data(DELETE_SCHEDULED, {"input": {"herId": STORGATA, "id": scheduled_id}}, hpr=ASTRID)
    deleted = await newest_entry(api)
    clock.set(TODAY + timedelta(days=6))
    await refused(api, deleted["id"], "IN_PAST")


# --- at once, and cheaply ------------------------------------------------------------------


async def test_two_gps_reverting_the_same_entry_at_once_one_wins(api):
    await save(api, "RESEPTFORNYELSE", "Husk styrke.")
    entry = await newest_entry(api)
    results = await asyncio.gather(
        revert(api, entry["id"], hpr=ASTRID), revert(api, entry["id"], hpr=KRISTIAN)
    )
    codes = sorted(tuple(e["code"] for e in r["userErrors"]) for r in results)
    assert codes == [(), ("REVERT_CONFLICT",)]
    practice = await state(api)
    assert practice["version"] == 2
    assert [e["action"] for e in entries(practice)] == ["revertChange", "saveTexts"]


async def test_revertible_costs_a_constant_number_of_statements(api, db):
    async def cost(first: int) -> int:
        await api.services.stop()
        with recording_statements(db) as statements:
            await api.data(HISTORY, {"herId": STORGATA, "first": first}, hpr=ASTRID)
        return len(statements)

    await save(api, "RESEPTFORNYELSE", "Tekst 0")
    few = await cost(50)
    for n in range(1, 50):
        await save(api, "RESEPTFORNYELSE" if n % 2 else "FASTLEGEPANEL", f"Tekst {n}")
    many = await cost(50)
    assert many == few
