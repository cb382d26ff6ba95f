"""Helsenorge's four languages: the patient view in bokmål, nynorsk, nordsamisk or English, and
the practice's additions per language."""

import copy
import json
from datetime import timedelta
from pathlib import Path

import pytest

from models.catalog import CatalogError, parse_catalog
from tests.conftest import ASTRID, STORGATA, TODAY, as_json

MODELS = Path(__file__).resolve().parents[1] / "models"
CATALOG = json.loads((MODELS / "catalog.json").read_text("utf-8"))
TRANSLATIONS = json.loads((MODELS / "translations.json").read_text("utf-8"))

SERVICE = """
query Service($herId: Int!, $language: Language, $hpr: Int, $on: Date) {
  patientService(
    herId: $herId, service: RESEPTFORNYELSE, language: $language, practitionerHpr: $hpr, on: $on
  ) {
    language title lead standardText
    practiceText practiceTextLanguage practiceTextUntil
    entryPoints { title form { id title } }
    absence { returnsOn message }
  }
}
"""

SERVICE_DEFAULT = """
query Service($herId: Int!) {
  patientService(herId: $herId, service: RESEPTFORNYELSE) { language title }
}
"""

PANEL = """
query Panel($herId: Int!, $language: Language, $on: Date) {
  patientPanel(herId: $herId, language: $language, on: $on) {
    panelText panelTextLanguage panelTextUntil
    services { service language title }
  }
}
"""

SAVE = """
mutation Save($input: SaveTextsInput!) {
  saveTexts(input: $input) {
    practice { version texts { slot text translations { language text } } }
    userErrors { field code message }
  }
}
"""

SCHEDULE = """
mutation Schedule($input: AddScheduledTextInput!) {
  addScheduledText(input: $input) { userErrors { code } }
}
"""

ADD_ABSENCE = """
mutation Add($input: AddAbsenceInput!) { addAbsence(input: $input) { userErrors { code } } }
"""

HISTORY = """
query History($herId: Int!) {
  practice(herId: $herId) { auditLog(first: 1) { edges { node { id summary before after } } } }
}
"""

REVERT = """
mutation Revert($input: RevertChangeInput!) {
  revertChange(input: $input) { userErrors { code } }
}
"""


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


async def save(api, *texts: tuple[str, str | None, str | None]) -> dict:
    """Saves (slot, language, text) entries in one saveTexts; the payload."""
    entries = [
        {"slot": slot, "text": text, **({} if language is None else {"language": language})}
        for slot, language, text in texts
    ]
    variables = {"input": {"herId": STORGATA, "texts": entries}}
    return (await api.data(SAVE, variables, hpr=ASTRID))["saveTexts"]


async def service(api, language: str | None, **variables) -> dict:
    variables = {"herId": STORGATA, "language": language, **variables}
    return (await api.data(SERVICE, variables))["patientService"]


def box(payload: dict, slot: str) -> dict:
    return next(t for t in payload["practice"]["texts"] if t["slot"] == slot)


# --- the catalogue's strings --------------------------------------------------------------


async def test_english_reader_gets_the_catalogue_in_english(api):
    view = await service(api, "EN")
    english = TRANSLATIONS["languages"]["EN"]
    assert view["language"] == "EN"
    assert view["title"] == english["services"]["RESEPTFORNYELSE"]["patientTitle"]
    assert view["lead"] == english["services"]["RESEPTFORNYELSE"]["patientLead"]
    assert view["standardText"] == english["textSlots"]["RESEPTFORNYELSE"]["standardText"]
    [entry] = view["entryPoints"]
    assert entry["title"] == english["entryPoints"]["RESEPTFORNYELSE"]["patientTitle"]
    # Forms stay in bokmål
    bokmal = await service(api, "NB")
    assert entry["form"] == bokmal["entryPoints"][0]["form"]


async def test_nynorsk_reader_gets_the_catalogue_in_nynorsk(api):
    view = await service(api, "NN")
    nynorsk = TRANSLATIONS["languages"]["NN"]
    assert view["language"] == "NN"
    assert view["title"] == nynorsk["services"]["RESEPTFORNYELSE"]["patientTitle"]
    assert view["standardText"] == nynorsk["textSlots"]["RESEPTFORNYELSE"]["standardText"]


async def test_northern_sami_falls_back_to_bokmal_as_a_whole(api):
    sami, bokmal = await service(api, "SE"), await service(api, "NB")
    assert sami == bokmal
    assert sami["language"] == "NB"


@pytest.mark.parametrize("document", ["null", "default"])
async def test_no_language_means_bokmal(api, document):
    if document == "null":
        view = await service(api, None)
    else:
        view = (await api.data(SERVICE_DEFAULT, {"herId": STORGATA}))["patientService"]
    service_spec = next(s for s in CATALOG["services"] if s["code"] == "RESEPTFORNYELSE")
    assert (view["language"], view["title"]) == ("NB", service_spec["patientTitle"])


async def test_every_service_of_the_panel_is_in_the_language(api):
    panel = (await api.data(PANEL, {"herId": STORGATA, "language": "EN"}))["patientPanel"]
    titles = TRANSLATIONS["languages"]["EN"]["services"]
    for item in panel["services"]:
        assert item["language"] == "EN"
        assert item["title"] == titles[item["service"]]["patientTitle"]


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("NB", "Tjenesten er midlertidig utilgjengelig. Den åpner igjen mandag 17. juni 2024."),
        ("NN", "Tenesta er mellombels utilgjengeleg. Ho opnar igjen måndag 17. juni 2024."),
        ("EN", "The service is temporarily unavailable. It opens again on Monday 17 June 2024."),
        ("SE", "Tjenesten er midlertidig utilgjengelig. Den åpner igjen mandag 17. juni 2024."),
    ],
)
async def test_absence_message_and_its_date_are_in_the_language(api, language, message):
    # Given Astrid away Monday 10 to Friday 14 June 2024
    data = await api.data(
        ADD_ABSENCE,
        {
            "input": {
                "herId": STORGATA,
                "practitionerHpr": ASTRID,
                "from": day(0),
                "to": day(4),
                "services": ["RESEPTFORNYELSE"],
            }
        },
        hpr=ASTRID,
    )
    assert data["addAbsence"]["userErrors"] == []
    view = await service(api, language, hpr=ASTRID)
    assert view["absence"] == {"returnsOn": "2024-06-17", "message": message}


# --- additions per language ---------------------------------------------------------------


async def test_one_slot_in_several_languages_in_one_save(api):
    payload = await save(
        api,
        ("RESEPTFORNYELSE", None, "Husk styrke."),
        ("RESEPTFORNYELSE", "EN", "Remember the strength."),
        ("RESEPTFORNYELSE", "NN", "Hugs styrke."),
    )
    assert payload["userErrors"] == []
    assert payload["practice"]["version"] == 1
    # Then `text` stays bokmål and the others come in Language order
    assert box(payload, "RESEPTFORNYELSE") == {
        "slot": "RESEPTFORNYELSE",
        "text": "Husk styrke.",
        "translations": [
            {"language": "NN", "text": "Hugs styrke."},
            {"language": "EN", "text": "Remember the strength."},
        ],
    }
    # And the audit entry keys other languages as SLOT/LANGUAGE
    entry = (await api.data(HISTORY, {"herId": STORGATA}, hpr=ASTRID))["practice"]
    node = entry["auditLog"]["edges"][0]["node"]
    assert as_json(node["after"]) == {
        "RESEPTFORNYELSE": "Husk styrke.",
        "RESEPTFORNYELSE/EN": "Remember the strength.",
        "RESEPTFORNYELSE/NN": "Hugs styrke.",
    }
    assert as_json(node["before"]) == dict.fromkeys(as_json(node["after"]))


async def test_same_slot_and_language_twice_is_a_duplicate(api):
    payload = await save(
        api,
        ("RESEPTFORNYELSE", "EN", "One."),
        ("RESEPTFORNYELSE", "NB", "En."),
        ("RESEPTFORNYELSE", "EN", "Two."),
    )
    errors = [(e["code"], e["field"]) for e in payload["userErrors"]]
    assert errors == [("DUPLICATE_SLOT", ["texts", "2", "slot"])]
    assert payload["practice"]["version"] == 0


async def test_limits_and_rules_are_per_text(api):
    payload = await save(
        api,
        ("FASTLEGEPANEL", None, "ø" * 200),
        ("FASTLEGEPANEL", "EN", "x" * 201),
        ("FASTLEGEPANEL", "SE", "Bures\u202e"),
    )
    errors = [(e["code"], e["field"]) for e in payload["userErrors"]]
    assert errors == [
        ("TOO_LONG", ["texts", "1", "text"]),
        ("INVALID_TEXT", ["texts", "2", "text"]),
    ]
    assert "200" in payload["userErrors"][0]["message"]
    assert box(payload, "FASTLEGEPANEL") == {
        "slot": "FASTLEGEPANEL",
        "text": None,
        "translations": [],
    }


async def test_removing_one_language_keeps_the_others(api):
    await save(api, ("RESEPTFORNYELSE", None, "Husk."), ("RESEPTFORNYELSE", "EN", "Remember."))
    payload = await save(api, ("RESEPTFORNYELSE", "EN", "  "))
    assert box(payload, "RESEPTFORNYELSE")["translations"] == []
    assert box(payload, "RESEPTFORNYELSE")["text"] == "Husk."


async def test_undo_of_an_english_addition(api):
    await save(api, ("RESEPTFORNYELSE", "EN", "Remember."))
    [edge] = (await api.data(HISTORY, {"herId": STORGATA}, hpr=ASTRID))["practice"]["auditLog"][
        "edges"
    ]
    variables = {"input": {"herId": STORGATA, "auditEntryId": edge["node"]["id"]}}
    reverted = await api.data(REVERT, variables, hpr=ASTRID)
    assert reverted["revertChange"]["userErrors"] == []
    assert (await service(api, "EN"))["practiceText"] is None


# --- the merge ----------------------------------------------------------------------------


async def test_the_reader_gets_the_addition_in_their_language_else_bokmal(api):
    await save(api, ("RESEPTFORNYELSE", None, "Husk styrke."), ("RESEPTFORNYELSE", "EN", "Dose."))
    english = await service(api, "EN")
    assert (english["practiceText"], english["practiceTextLanguage"]) == ("Dose.", "EN")
    nynorsk = await service(api, "NN")
    assert (nynorsk["practiceText"], nynorsk["practiceTextLanguage"]) == ("Husk styrke.", "NB")
    nothing = await service(api, "EN", on=day(1))
    assert nothing["practiceTextUntil"] is None


async def test_a_practices_own_sami_addition_is_shown_to_a_sami_reader(api):
    await save(api, ("RESEPTFORNYELSE", None, "Husk."), ("RESEPTFORNYELSE", "SE", "Muitte."))
    view = await service(api, "SE")
    assert view["language"] == "NB"  # the catalogue has no Sami translation
    assert (view["practiceText"], view["practiceTextLanguage"]) == ("Muitte.", "SE")


async def test_no_addition_has_no_language(api):
    view = await service(api, "EN")
    assert (view["practiceText"], view["practiceTextLanguage"]) == (None, None)


async def schedule(api, slot: str, language: str, text: str) -> None:
    variables = {
        "input": {
            "herId": STORGATA,
            "slot": slot,
            "language": language,
            "text": text,
            "from": day(0),
            "to": day(3),
        }
    }
    data = await api.data(SCHEDULE, variables, hpr=ASTRID)
    assert data["addScheduledText"]["userErrors"] == []


async def test_time_beats_language(api):
    # Given a standing English addition and a bokmål holiday notice
    await save(api, ("RESEPTFORNYELSE", "EN", "Remember the dose."))
    await schedule(api, "RESEPTFORNYELSE", "NB", "Ferie.")
    # Then the English reader gets the notice, in bokmål, marked so
    view = await service(api, "EN")
    assert (view["practiceText"], view["practiceTextLanguage"], view["practiceTextUntil"]) == (
        "Ferie.",
        "NB",
        day(3),
    )
    # And an English notice beats the bokmål one for the English reader, not for others
    await schedule(api, "RESEPTFORNYELSE", "EN", "Holiday.")
    assert (await service(api, "EN"))["practiceText"] == "Holiday."
    assert (await service(api, "NB"))["practiceText"] == "Ferie."
    # And after the notice the standing English addition is back
    after = await service(api, "EN", on=day(4))
    assert (after["practiceText"], after["practiceTextLanguage"]) == ("Remember the dose.", "EN")


async def test_panel_text_carries_its_language(api):
    await save(api, ("FASTLEGEPANEL", None, "Velkommen."), ("FASTLEGEPANEL", "NN", "Velkomen."))
    panel = (await api.data(PANEL, {"herId": STORGATA, "language": "NN"}))["patientPanel"]
    assert (panel["panelText"], panel["panelTextLanguage"], panel["panelTextUntil"]) == (
        "Velkomen.",
        "NN",
        None,
    )


async def test_an_english_answer_is_never_served_to_a_bokmal_request(api):
    await save(api, ("RESEPTFORNYELSE", None, "Husk."), ("RESEPTFORNYELSE", "EN", "Remember."))
    for _ in range(2):  # the second round is answered from the cache
        for language, text in (("EN", "Remember."), ("NB", "Husk."), ("EN", "Remember.")):
            response = await api.client.get(
                "/graphql",
                params={
                    "query": SERVICE,
                    "variables": json.dumps({"herId": STORGATA, "language": language}),
                },
            )
            assert response.json()["data"]["patientService"]["practiceText"] == text


# --- the translations file ----------------------------------------------------------------


def test_the_shipped_translations_load():
    catalog = parse_catalog(CATALOG, TRANSLATIONS)
    assert {code: spec.translated for code, spec in catalog.languages.items()} == {
        "NB": True,
        "NN": True,
        "SE": False,
        "EN": True,
    }


@pytest.mark.parametrize(
    ("language", "damage", "named"),
    [
        ("EN", lambda t: t["services"].pop("E_KONSULTASJON"), "services.E_KONSULTASJON"),
        ("NN", lambda t: t["entryPoints"]["E_KONTAKT"].pop("patientTitle"), "E_KONTAKT"),
        ("EN", lambda t: t.pop("absenceMessage"), "absenceMessage"),
        ("SE", lambda t: t.update(translated=True), "SE"),
    ],
)
def test_a_language_marked_translated_must_have_every_string(language, damage, named):
    translations = copy.deepcopy(TRANSLATIONS)
    damage(translations["languages"][language])
    with pytest.raises(CatalogError, match=named):
        parse_catalog(CATALOG, translations)


def test_a_new_translation_is_data_only():
    # Given Northern Sami translated with the English strings (as a stand-in)
    translations = copy.deepcopy(TRANSLATIONS)
    sami = {**translations["languages"]["EN"], "locale": "se", "name": "Davvisámegiella"}
    translations["languages"]["SE"] = sami
    catalog = parse_catalog(CATALOG, translations)
    # Then it is shown in its own right
    assert catalog.shown_language("SE") == "SE"
    assert (
        catalog.service_title("RESEPTFORNYELSE", "SE")
        == sami["services"]["RESEPTFORNYELSE"]["patientTitle"]
    )
