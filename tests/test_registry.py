"""The registry import: a full, idempotent snapshot; any invalid entry changes nothing."""

import json
from collections.abc import Callable
from typing import Any

import pytest

from resolvers.registry import RegistryError, valid_org_number
from tests.conftest import (
    ASTRID,
    FJORDBYEN,
    JACOB,
    KRISTIAN,
    STORGATA,
    import_text,
    registry_text,
    text_input,
)

ME = """
query Me { me { hprNumber name practices { herId name } } }
"""

PRACTICE = """
query Practice($herId: Int!) {
  practice(herId: $herId) {
    herId name orgNumber version
    practitioners { hprNumber name }
    texts { slot text offered }
  }
}
"""

PATIENT_TEXT = """
query PatientText($herId: Int!) {
  patientService(herId: $herId, service: RESEPTFORNYELSE) { practiceText offered }
}
"""

SAVE_TEXTS = """
mutation SaveTexts($input: SaveTextsInput!) {
  saveTexts(input: $input) { practice { version } userErrors { code message } }
}
"""

NEW_HPR_7 = 1234567
NEW_HPR_9 = 123456789


def registry(change: Callable[[dict[str, Any]], None] | None = None) -> str:
    """The test registry as JSON text, after `change` has edited the parsed file."""
    raw = json.loads(registry_text())
    if change is not None:
        change(raw)
    return json.dumps(raw, ensure_ascii=False)


def org_number_with_check_digit_ten() -> str:
    """The first nine-digit number whose eight leading digits give check digit 10."""
    weights = (3, 2, 7, 6, 5, 4, 3, 2)
    for n in range(10_000_000, 100_000_000):
        digits = str(n)
        if sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 1:
            return digits + "0"
    raise AssertionError("unreachable")


async def snapshot(api) -> dict[str, Any]:
    """Everything the import decides, as the API shows it."""
    state: dict[str, Any] = {}
    for hpr in (ASTRID, KRISTIAN, JACOB, NEW_HPR_7, NEW_HPR_9):
        state[f"me {hpr}"] = (await api.data(ME, hpr=hpr))["me"]
    for her_id in (STORGATA, FJORDBYEN):
        state[f"practice {her_id}"] = await api.post(PRACTICE, {"herId": her_id}, hpr=KRISTIAN)
        state[f"patient {her_id}"] = await api.data(PATIENT_TEXT, {"herId": her_id})
    return state


def practice_names(me: dict[str, Any] | None) -> list[str]:
    return [] if me is None else [p["name"] for p in me["practices"]]


# Each invalid file also renames Storgata, drops Jacob and adds a new practitioner in its first
# (valid) entry, so that a partial import would show.
def _valid_changes(raw: dict[str, Any]) -> None:
    storgata, fjordbyen = raw["practices"]
    storgata["name"] = "Storgata legesenter (omdøpt)"
    storgata["offered"] = ["TIMEBESTILLING"]
    storgata["practitioners"].append({"hprNumber": NEW_HPR_7, "name": "Ny Lege"})
    fjordbyen["practitioners"] = [p for p in fjordbyen["practitioners"] if p["hprNumber"] != JACOB]


def _second(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(raw: dict[str, Any]) -> None:
        _valid_changes(raw)
        raw["practices"][1].update(fields)

    return change


def _drop_field(name: str) -> Callable[[dict[str, Any]], None]:
    def change(raw: dict[str, Any]) -> None:
        _valid_changes(raw)
        del raw["practices"][1][name]

    return change


def _second_practitioner(hpr: Any) -> Callable[[dict[str, Any]], None]:
    def change(raw: dict[str, Any]) -> None:
        _valid_changes(raw)
        raw["practices"][1]["practitioners"].append({"hprNumber": hpr, "name": "Feil Nummer"})

    return change


def _duplicate_her_id(raw: dict[str, Any]) -> None:
    _valid_changes(raw)
    raw["practices"].append(dict(raw["practices"][1], name="Fjordbyen igjen"))


def _same_hpr_twice(raw: dict[str, Any]) -> None:
    _valid_changes(raw)
    raw["practices"][1]["practitioners"].append({"hprNumber": KRISTIAN, "name": "Kristian Larsen"})


# (id, change to the file, fragments the error message must contain)
INVALID_FILES = [
    ("org-number-bad-check-digit", _second(orgNumber="923609017"), ["8142520", "923609017"]),
    (
        "org-number-check-digit-ten",
        _second(orgNumber=org_number_with_check_digit_ten()),
        ["8142520", org_number_with_check_digit_ten()],
    ),
    ("org-number-eight-digits", _second(orgNumber="92360901"), ["8142520", "92360901"]),
    ("hpr-six-digits", _second_practitioner(123456), ["8142520", "123456"]),
    ("hpr-ten-digits", _second_practitioner(1234567890), ["8142520", "1234567890"]),
    ("hpr-as-string", _second_practitioner("1234567"), ["8142520", "1234567"]),
    ("unknown-service", _second(offered=["TIMEBESTILLING", "TANNLEGE"]), ["8142520", "TANNLEGE"]),
    ("duplicate-her-id", _duplicate_her_id, ["8142520"]),
    ("same-hpr-twice-in-practice", _same_hpr_twice, ["8142520", str(KRISTIAN)]),
    ("missing-org-number", _drop_field("orgNumber"), ["orgNumber"]),
    ("missing-practitioners", _drop_field("practitioners"), ["practitioners"]),
    ("her-id-zero", _second(herId=0), ["herId", "0"]),
    ("her-id-negative", _second(herId=-8142520), ["herId", "-8142520"]),
    ("her-id-string", _second(herId="8142520"), ["herId", "8142520"]),
    ("her-id-fraction", _second(herId=8142520.5), ["herId", "8142520.5"]),
]


async def test_valid_import_is_seen_through_the_api(api):
    # Given the test registry imported by the fixture
    # Then every practitioner sees their practices, sorted by name
    state = await snapshot(api)
    assert practice_names(state[f"me {ASTRID}"]) == ["Storgata legesenter"]
    assert practice_names(state[f"me {KRISTIAN}"]) == [
        "Fjordbyen fastlegekontor",
        "Storgata legesenter",
    ]
    assert practice_names(state[f"me {JACOB}"]) == ["Fjordbyen fastlegekontor"]
    fjordbyen = state[f"practice {FJORDBYEN}"]["data"]["practice"]
    assert fjordbyen["orgNumber"] == "923609016"
    assert fjordbyen["version"] == 0
    offered = {t["slot"]: t["offered"] for t in fjordbyen["texts"]}
    assert offered["E_KONSULTASJON"] is False
    assert offered["RESEPTFORNYELSE"] is True


@pytest.mark.parametrize(
    ("change", "fragments"),
    [pytest.param(change, fragments, id=name) for name, change, fragments in INVALID_FILES],
)
async def test_file_with_an_invalid_entry_changes_nothing(api, db, change, fragments):
    # Given the state after the valid import
    before = await snapshot(api)
    # When a file with one invalid entry (and some valid changes) is imported
    with pytest.raises(RegistryError) as raised:
        await import_text(db, registry(change))
    # Then the message names the entry and nothing changed
    message = str(raised.value)
    for fragment in fragments:
        assert fragment in message, message
    assert await snapshot(api) == before


async def test_malformed_json_changes_nothing(api, db):
    before = await snapshot(api)
    text = registry(_valid_changes)
    with pytest.raises(RegistryError) as raised:
        await import_text(db, text[: len(text) // 2])
    assert "JSON" in str(raised.value)
    assert await snapshot(api) == before


async def test_hpr_numbers_of_seven_and_nine_digits_are_accepted(api, db):
    def add_new(raw: dict[str, Any]) -> None:
        raw["practices"][0]["practitioners"] += [
            {"hprNumber": NEW_HPR_7, "name": "Sju Sifre"},
            {"hprNumber": NEW_HPR_9, "name": "Ni Sifre"},
        ]

    await import_text(db, registry(add_new))

    for hpr, name in ((NEW_HPR_7, "Sju Sifre"), (NEW_HPR_9, "Ni Sifre")):
        me = (await api.data(ME, hpr=hpr))["me"]
        assert me["name"] == name
        assert practice_names(me) == ["Storgata legesenter"]


async def test_reimport_is_idempotent(api, db):
    # Given Storgata with a saved text (version 1)
    saved = await api.data(
        SAVE_TEXTS,
        text_input(STORGATA, "RESEPTFORNYELSE", "Husk styrke."),
        hpr=ASTRID,
    )
    assert saved["saveTexts"]["practice"]["version"] == 1
    before = await snapshot(api)
    # When the same file is imported twice more
    await import_text(db, registry_text())
    await import_text(db, registry_text())
    # Then nothing changed, the version included
    after = await snapshot(api)
    assert after == before
    assert after[f"practice {STORGATA}"]["data"]["practice"]["version"] == 1


async def test_upsert_changes_names_and_offered_services(api, db):
    def rename(raw: dict[str, Any]) -> None:
        storgata = raw["practices"][0]
        storgata["name"] = "Aker legesenter"
        storgata["orgNumber"] = "923609016"
        storgata["offered"] = ["RESEPTFORNYELSE"]
        for member in raw["practices"]:
            for person in member["practitioners"]:
                if person["hprNumber"] == KRISTIAN:
                    person["name"] = "Kristian Larsen-Berg"

    await import_text(db, registry(rename))

    practice = (await api.data(PRACTICE, {"herId": STORGATA}, hpr=ASTRID))["practice"]
    assert practice["name"] == "Aker legesenter"
    assert practice["orgNumber"] == "923609016"
    offered = {t["slot"]: t["offered"] for t in practice["texts"]}
    assert offered == {
        "FASTLEGEPANEL": True,
        "RESEPTFORNYELSE": True,
        "E_KONSULTASJON": False,
        "KONTAKT_LEGEKONTORET": False,
        "TIMEBESTILLING": False,
    }
    assert {p["hprNumber"]: p["name"] for p in practice["practitioners"]}[KRISTIAN] == (
        "Kristian Larsen-Berg"
    )
    me = (await api.data(ME, hpr=KRISTIAN))["me"]
    assert me["name"] == "Kristian Larsen-Berg"
    # Practitioner.practices is sorted by name: the renamed practice now comes first
    assert practice_names(me) == ["Aker legesenter", "Fjordbyen fastlegekontor"]


async def test_practice_missing_from_file_keeps_settings_but_loses_affiliations(api, db):
    # Given Fjordbyen with a saved text
    saved = await api.data(
        SAVE_TEXTS,
        text_input(FJORDBYEN, "RESEPTFORNYELSE", "Ring oss."),
        hpr=JACOB,
    )
    assert saved["saveTexts"]["userErrors"] == []

    # When a snapshot without Fjordbyen is imported
    def only_storgata(raw: dict[str, Any]) -> None:
        raw["practices"] = raw["practices"][:1]

    await import_text(db, registry(only_storgata))

    # Then nobody may administer Fjordbyen any more
    assert practice_names((await api.data(ME, hpr=KRISTIAN))["me"]) == ["Storgata legesenter"]
    assert practice_names((await api.data(ME, hpr=JACOB))["me"]) == []
    body = await api.post(PRACTICE, {"herId": FJORDBYEN}, hpr=JACOB)
    assert body["data"]["practice"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # But its settings are kept: patients still see the text
    patient = (await api.data(PATIENT_TEXT, {"herId": FJORDBYEN}))["patientService"]
    assert patient["practiceText"] == "Ring oss."

    # And when Fjordbyen comes back, its text and version are as they were
    await import_text(db, registry_text())
    practice = (await api.data(PRACTICE, {"herId": FJORDBYEN}, hpr=JACOB))["practice"]
    assert practice["version"] == 1
    texts = {t["slot"]: t["text"] for t in practice["texts"]}
    assert texts["RESEPTFORNYELSE"] == "Ring oss."


async def test_affiliations_not_in_file_are_removed(api, db):
    # When Kristian is no longer listed at Fjordbyen
    def drop_kristian(raw: dict[str, Any]) -> None:
        fjordbyen = raw["practices"][1]
        fjordbyen["practitioners"] = [
            p for p in fjordbyen["practitioners"] if p["hprNumber"] != KRISTIAN
        ]

    await import_text(db, registry(drop_kristian))

    # Then he keeps Storgata only, and Fjordbyen lists Jacob alone
    assert practice_names((await api.data(ME, hpr=KRISTIAN))["me"]) == ["Storgata legesenter"]
    body = await api.post(PRACTICE, {"herId": FJORDBYEN}, hpr=KRISTIAN)
    assert body["data"]["practice"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    practice = (await api.data(PRACTICE, {"herId": FJORDBYEN}, hpr=JACOB))["practice"]
    assert [p["hprNumber"] for p in practice["practitioners"]] == [JACOB]


def test_valid_org_number():
    assert valid_org_number("974600951")
    assert valid_org_number("923609016")
    assert not valid_org_number("974600952")
    assert not valid_org_number(org_number_with_check_digit_ten())
    assert not valid_org_number("97460095")
    assert not valid_org_number("9746009510")
    assert not valid_org_number("97460095a")
    assert not valid_org_number("")
