"""Planlagt tekst: addScheduledText, deleteScheduledText, Practice.scheduledTexts, and the
patient side picking a scheduled text on the dates it covers."""

from datetime import time, timedelta

import pytest

from tests.conftest import ASTRID, FJORDBYEN, JACOB, KRISTIAN, STORGATA, TODAY, as_json

ADD = """
mutation Add($input: AddScheduledTextInput!) {
  addScheduledText(input: $input) {
    scheduledText { id slot language text from to createdAt createdByHpr }
    practice { version }
    userErrors { field code message }
  }
}
"""

DELETE = """
mutation Delete($input: DeleteScheduledTextInput!) {
  deleteScheduledText(input: $input) {
    deletedId
    practice { version }
    userErrors { field code message }
  }
}
"""

SAVE_TEXTS = """
mutation Save($input: SaveTextsInput!) {
  saveTexts(input: $input) { userErrors { code } }
}
"""

LISTED = """
query Listed($herId: Int!, $includePast: Boolean) {
  practice(herId: $herId) {
    scheduledTexts(includePast: $includePast) { id slot language text from to }
  }
}
"""

LISTED_DEFAULT = """
query Listed($herId: Int!) { practice(herId: $herId) { scheduledTexts { text } } }
"""

STATE = """
query State($herId: Int!) {
  practice(herId: $herId) {
    version
    scheduledTexts(includePast: true) { id slot language text from to }
    auditLog(first: 100) { edges { node { action actorHpr summary before after } } }
  }
}
"""

SERVICE = """
query Service($herId: Int!, $on: Date) {
  patientService(herId: $herId, service: TIMEBESTILLING, on: $on) {
    practiceText practiceTextUntil
  }
}
"""

PANEL = """
query Panel($herId: Int!, $on: Date) {
  patientPanel(herId: $herId, on: $on) {
    panelText panelTextUntil
    services { service practiceText practiceTextUntil }
  }
}
"""

READER = {STORGATA: ASTRID, FJORDBYEN: JACOB}


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def schedule(her_id: int = STORGATA, **fields) -> dict:
    values = {
        "herId": her_id,
        "slot": "TIMEBESTILLING",
        "text": "Vi har ferie. Ring legevakten på 116 117.",
        "from": day(10),
        "to": day(20),
        **fields,
    }
    return {"input": values}


async def add(api, hpr: int = ASTRID, her_id: int = STORGATA, **fields) -> dict:
    return (await api.data(ADD, schedule(her_id, **fields), hpr=hpr))["addScheduledText"]


async def added_id(api, **fields) -> str:
    payload = await add(api, **fields)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["scheduledText"]["id"]


async def state(api, her_id: int = STORGATA) -> dict:
    return (await api.data(STATE, {"herId": her_id}, hpr=READER[her_id]))["practice"]


async def refused(api, code: str, field: list[str], **fields) -> str:
    """Adds with these fields, expects exactly this one error, and that nothing changed."""
    before = await state(api)
    payload = await add(api, **fields)
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)], payload
    assert payload["scheduledText"] is None
    assert payload["practice"]["version"] == before["version"]
    assert await state(api) == before
    return payload["userErrors"][0]["message"]


# --- adding ---------------------------------------------------------------------------------


async def test_added_text_is_listed_versioned_and_audited(api, clock):
    # Given Storgata at version 0
    # When Kristian schedules a holiday notice for Timebestilling
    payload = await add(
        api, hpr=KRISTIAN, text="  Vi har ferie\r\n8.–26. juli.  ", expectedVersion=0
    )
    # Then it is stored normalised, by him, now, and the version moved by one
    assert payload["userErrors"] == []
    assert payload["practice"]["version"] == 1
    added = payload["scheduledText"]
    assert added["slot"] == "TIMEBESTILLING" and added["language"] == "NB"
    assert added["text"] == "Vi har ferie\n8.–26. juli."
    assert (added["from"], added["to"]) == (day(10), day(20))
    assert added["createdByHpr"] == KRISTIAN
    assert added["createdAt"].startswith(clock().date().isoformat())
    # And the practice lists it
    listed = (await state(api))["scheduledTexts"]
    assert [t["id"] for t in listed] == [added["id"]]
    # And one audit entry holds its values verbatim
    [entry] = [e["node"] for e in (await state(api))["auditLog"]["edges"]]
    assert entry["action"] == "addScheduledText"
    assert entry["actorHpr"] == KRISTIAN
    assert as_json(entry["before"]) is None
    assert as_json(entry["after"]) == {
        "slot": "TIMEBESTILLING",
        "language": "NB",
        "text": "Vi har ferie\n8.–26. juli.",
        "from": day(10),
        "to": day(20),
    }
    assert "Timebestilling" in entry["summary"]


async def test_text_is_normalised_to_nfc_and_counted_in_code_points(api):
    decomposed = "a\u030a" * 300  # "å" as two code points, 300 times: 300 after NFC
    payload = await add(api, text=decomposed)
    assert payload["userErrors"] == []
    assert payload["scheduledText"]["text"] == "å" * 300


@pytest.mark.parametrize(("slot", "limit"), [("FASTLEGEPANEL", 200), ("RESEPTFORNYELSE", 300)])
async def test_limit_is_the_slots(api, slot, limit):
    assert (await add(api, slot=slot, text="ø" * limit))["userErrors"] == []
    message = await refused(
        api,
        "TOO_LONG",
        ["text"],
        slot=slot,
        text="ø" * (limit + 1),
        **{"from": day(30), "to": day(31)},
    )
    assert str(limit) in message


@pytest.mark.parametrize("character", ["\u0007", "\u202e", "\u2066", "\u0000"])
async def test_control_and_bidi_characters_are_invalid(api, character):
    await refused(api, "INVALID_TEXT", ["text"], text=f"Ferie{character} i juli.")


@pytest.mark.parametrize("blank", ["", "   ", "\r\n\t \n"])
async def test_blank_text_is_empty(api, blank):
    message = await refused(api, "EMPTY_TEXT", ["text"], text=blank)
    assert "Timebestilling" in message


async def test_to_before_from_is_an_invalid_range(api):
    await refused(api, "INVALID_DATE_RANGE", ["to"], **{"from": day(5), "to": day(4)})


async def test_period_already_over_is_in_the_past(api):
    await refused(api, "IN_PAST", ["to"], **{"from": day(-5), "to": day(-1)})


async def test_period_that_started_already_is_fine(api):
    payload = await add(api, **{"from": day(-5), "to": day(0)})
    assert payload["userErrors"] == []


async def test_more_than_366_days_is_too_long(api):
    assert (await add(api, **{"from": day(0), "to": day(365)}))["userErrors"] == []
    await refused(api, "RANGE_TOO_LONG", ["to"], **{"from": day(400), "to": day(766)})


async def test_start_more_than_two_years_ahead_is_too_long(api):
    latest = TODAY.replace(year=TODAY.year + 2)
    ok = await add(api, **{"from": latest.isoformat(), "to": latest.isoformat()})
    assert ok["userErrors"] == []
    late = (latest + timedelta(days=1)).isoformat()
    await refused(api, "RANGE_TOO_LONG", ["from"], **{"from": late, "to": late})


async def test_every_problem_of_one_input_comes_together(api):
    before = await state(api)
    payload = await add(api, text=" ", expectedVersion=7, **{"from": day(-9), "to": day(-8)})
    codes = [(e["code"], e["field"]) for e in payload["userErrors"]]
    assert codes == [
        ("STALE_VERSION", ["expectedVersion"]),
        ("EMPTY_TEXT", ["text"]),
        ("IN_PAST", ["to"]),
    ]
    assert await state(api) == before


async def test_overlap_in_the_same_slot_and_language_names_the_dates(api):
    await added_id(api, **{"from": day(10), "to": day(20)})
    message = await refused(api, "SCHEDULE_OVERLAP", ["from"], **{"from": day(20), "to": day(25)})
    assert (TODAY + timedelta(days=10)).strftime("%d.%m.%Y") in message
    assert (TODAY + timedelta(days=20)).strftime("%d.%m.%Y") in message


async def test_back_to_back_other_slot_and_other_language_do_not_overlap(api):
    await added_id(api, **{"from": day(10), "to": day(20)})
    await added_id(api, **{"from": day(21), "to": day(25)})
    await added_id(api, slot="RESEPTFORNYELSE", **{"from": day(10), "to": day(20)})
    await added_id(
        api, language="EN", text="We are on holiday.", **{"from": day(10), "to": day(20)}
    )
    assert len((await state(api))["scheduledTexts"]) == 4


async def test_a_null_language_means_bokmal(api):
    payload = await add(api, language=None)
    assert payload["scheduledText"]["language"] == "NB"


async def test_stale_version_changes_nothing_and_the_current_one_works(api):
    await api.data(
        SAVE_TEXTS,
        {"input": {"herId": STORGATA, "texts": [{"slot": "FASTLEGEPANEL", "text": "Hei."}]}},
        hpr=ASTRID,
    )
    await refused(api, "STALE_VERSION", ["expectedVersion"], expectedVersion=0)
    assert (await add(api, expectedVersion=1))["practice"]["version"] == 2


async def test_a_service_the_practice_does_not_offer_may_be_scheduled(api):
    # Fjordbyen does not offer E_KONSULTASJON
    payload = await add(api, hpr=JACOB, her_id=FJORDBYEN, slot="E_KONSULTASJON")
    assert payload["userErrors"] == []


# --- listing --------------------------------------------------------------------------------


async def test_listed_by_from_then_slot_then_language(api):
    await added_id(api, slot="TIMEBESTILLING", language="EN", **{"from": day(3), "to": day(4)})
    await added_id(api, slot="TIMEBESTILLING", **{"from": day(3), "to": day(4)})
    await added_id(api, slot="FASTLEGEPANEL", **{"from": day(3), "to": day(9)})
    await added_id(api, slot="FASTLEGEPANEL", **{"from": day(1), "to": day(2)})
    listed = (await api.data(LISTED, {"herId": STORGATA}, hpr=ASTRID))["practice"]
    order = [(t["from"], t["slot"], t["language"]) for t in listed["scheduledTexts"]]
    assert order == [
        (day(1), "FASTLEGEPANEL", "NB"),
        (day(3), "FASTLEGEPANEL", "NB"),
        (day(3), "TIMEBESTILLING", "NB"),
        (day(3), "TIMEBESTILLING", "EN"),
    ]


async def test_ended_texts_are_listed_only_when_asked_for(api, clock):
    await added_id(api, text="Gammel.", **{"from": day(0), "to": day(1)})
    await added_id(api, text="Ny.", **{"from": day(2), "to": day(3)})
    clock.set(TODAY + timedelta(days=2))
    default = await api.data(LISTED_DEFAULT, {"herId": STORGATA}, hpr=ASTRID)
    assert [t["text"] for t in default["practice"]["scheduledTexts"]] == ["Ny."]
    everything = await api.data(LISTED, {"herId": STORGATA, "includePast": True}, hpr=ASTRID)
    assert [t["text"] for t in everything["practice"]["scheduledTexts"]] == ["Gammel.", "Ny."]
    # A text ending today is still listed
    clock.set(TODAY + timedelta(days=3))
    default = await api.data(LISTED_DEFAULT, {"herId": STORGATA}, hpr=ASTRID)
    assert [t["text"] for t in default["practice"]["scheduledTexts"]] == ["Ny."]


# --- deleting -------------------------------------------------------------------------------


async def test_delete_removes_it_versioned_and_audited(api):
    text_id = await added_id(api)
    data = await api.data(
        DELETE, {"input": {"herId": STORGATA, "id": text_id, "expectedVersion": 1}}, hpr=KRISTIAN
    )
    payload = data["deleteScheduledText"]
    assert payload["userErrors"] == []
    assert payload["deletedId"] == text_id
    assert payload["practice"]["version"] == 2
    after = await state(api)
    assert after["scheduledTexts"] == []
    entry = after["auditLog"]["edges"][0]["node"]
    assert entry["action"] == "deleteScheduledText"
    assert entry["actorHpr"] == KRISTIAN
    assert as_json(entry["after"]) is None
    assert as_json(entry["before"]) == {
        "slot": "TIMEBESTILLING",
        "language": "NB",
        "text": "Vi har ferie. Ring legevakten på 116 117.",
        "from": day(10),
        "to": day(20),
    }


async def test_delete_of_another_practices_text_is_not_found(api):
    # Given a scheduled text at Fjordbyen, by Kristian (affiliated with both)
    foreign = await added_id(api, hpr=KRISTIAN, her_id=FJORDBYEN)
    before = await state(api, FJORDBYEN)
    # When it is deleted through Storgata
    data = await api.data(DELETE, {"input": {"herId": STORGATA, "id": foreign}}, hpr=KRISTIAN)
    # Then it is not found there, and nothing changed at either practice
    payload = data["deleteScheduledText"]
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("NOT_FOUND", ["id"])]
    assert payload["deletedId"] is None
    assert payload["practice"]["version"] == 0
    assert await state(api, FJORDBYEN) == before


async def test_delete_twice_is_not_found_the_second_time(api):
    text_id = await added_id(api)
    first = await api.data(DELETE, {"input": {"herId": STORGATA, "id": text_id}}, hpr=ASTRID)
    assert first["deleteScheduledText"]["userErrors"] == []
    second = await api.data(DELETE, {"input": {"herId": STORGATA, "id": text_id}}, hpr=ASTRID)
    assert [e["code"] for e in second["deleteScheduledText"]["userErrors"]] == ["NOT_FOUND"]
    assert second["deleteScheduledText"]["practice"]["version"] == 2


async def test_delete_with_a_stale_version_changes_nothing(api):
    text_id = await added_id(api)
    before = await state(api)
    data = await api.data(
        DELETE, {"input": {"herId": STORGATA, "id": text_id, "expectedVersion": 0}}, hpr=ASTRID
    )
    errors = data["deleteScheduledText"]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [("STALE_VERSION", ["expectedVersion"])]
    assert await state(api) == before


# --- the patient side -----------------------------------------------------------------------


async def save(api, slot: str, text: str) -> None:
    data = await api.data(
        SAVE_TEXTS,
        {"input": {"herId": STORGATA, "texts": [{"slot": slot, "text": text}]}},
        hpr=ASTRID,
    )
    assert data["saveTexts"]["userErrors"] == []


@pytest.mark.parametrize(
    ("offset", "shown", "until"),
    [
        (9, "Vanlig tekst.", None),
        (10, "Ferie.", day(20)),
        (15, "Ferie.", day(20)),
        (20, "Ferie.", day(20)),
        (21, "Vanlig tekst.", None),
    ],
)
async def test_scheduled_text_replaces_the_addition_on_the_dates_it_covers(
    api, offset, shown, until
):
    await save(api, "TIMEBESTILLING", "Vanlig tekst.")
    await added_id(api, text="Ferie.")
    view = await api.data(SERVICE, {"herId": STORGATA, "on": day(offset)})
    assert view["patientService"] == {"practiceText": shown, "practiceTextUntil": until}


async def test_scheduled_text_shows_where_there_is_no_addition(api):
    await added_id(api, text="Ferie.")
    inside = await api.data(SERVICE, {"herId": STORGATA, "on": day(12)})
    assert inside["patientService"]["practiceText"] == "Ferie."
    after = await api.data(SERVICE, {"herId": STORGATA, "on": day(21)})
    assert after["patientService"] == {"practiceText": None, "practiceTextUntil": None}


async def test_panel_text_and_the_services_of_the_panel_follow_too(api):
    await save(api, "FASTLEGEPANEL", "Velkommen.")
    await added_id(api, slot="FASTLEGEPANEL", text="Stengt i romjulen.", **{"to": day(11)})
    await added_id(api, slot="RESEPTFORNYELSE", text="Ingen resepter i ferien.")
    panel = (await api.data(PANEL, {"herId": STORGATA, "on": day(11)}))["patientPanel"]
    assert (panel["panelText"], panel["panelTextUntil"]) == ("Stengt i romjulen.", day(11))
    services = {s["service"]: s for s in panel["services"]}
    assert services["RESEPTFORNYELSE"]["practiceText"] == "Ingen resepter i ferien."
    assert services["RESEPTFORNYELSE"]["practiceTextUntil"] == day(20)
    assert services["TIMEBESTILLING"]["practiceText"] is None
    later = (await api.data(PANEL, {"herId": STORGATA, "on": day(12)}))["patientPanel"]
    assert (later["panelText"], later["panelTextUntil"]) == ("Velkommen.", None)


async def test_a_scheduled_text_in_another_language_is_not_shown_in_bokmal(api):
    await save(api, "TIMEBESTILLING", "Vanlig tekst.")
    await added_id(api, language="EN", text="We are on holiday.")
    view = await api.data(SERVICE, {"herId": STORGATA, "on": day(12)})
    assert view["patientService"]["practiceText"] == "Vanlig tekst."


async def test_deleted_scheduled_text_is_gone_from_the_patient_side_at_once(api):
    await save(api, "TIMEBESTILLING", "Vanlig tekst.")
    text_id = await added_id(api, text="Ferie.", **{"from": day(0)})
    assert (await api.data(SERVICE, {"herId": STORGATA}))["patientService"]["practiceText"] == (
        "Ferie."
    )
    await api.data(DELETE, {"input": {"herId": STORGATA, "id": text_id}}, hpr=ASTRID)
    view = await api.data(SERVICE, {"herId": STORGATA})
    assert view["patientService"]["practiceText"] == "Vanlig tekst."


async def test_starts_and_ends_at_midnight_in_oslo_without_a_write(api, clock):
    # Given a notice for tomorrow only, and today's cached view just before midnight
    await save(api, "TIMEBESTILLING", "Vanlig tekst.")
    await added_id(api, text="Stengt i morgen.", **{"from": day(1), "to": day(1)})
    clock.set(TODAY, at=time(23, 59, 59))
    for _ in range(2):
        view = await api.data(SERVICE, {"herId": STORGATA})
        assert view["patientService"]["practiceText"] == "Vanlig tekst."
    # When midnight passes in Europe/Oslo (22:00 UTC in summer)
    clock.set(TODAY + timedelta(days=1), at=time(0, 0, 0))
    # Then the notice shows, with no write in between
    view = await api.data(SERVICE, {"herId": STORGATA})
    assert view["patientService"] == {
        "practiceText": "Stengt i morgen.",
        "practiceTextUntil": day(1),
    }
    # And at the next midnight it is gone again
    clock.set(TODAY + timedelta(days=2), at=time(0, 0, 0))
    view = await api.data(SERVICE, {"herId": STORGATA})
    assert view["patientService"] == {"practiceText": "Vanlig tekst.", "practiceTextUntil": None}
