"""Integrerte verktøy: the public form catalogue, Practice.tools, chooseForm and what patients see."""

import json
from pathlib import Path

import pytest

from tests.conftest import ASTRID, FJORDBYEN, JACOB, KRISTIAN, STORGATA, as_json, error_codes

# The catalogue as shipped, read straight from the JSON (not through the app's loader).
CATALOG = json.loads(
    (Path(__file__).resolve().parent.parent / "models" / "catalog.json").read_text(encoding="utf-8")
)
ENTRY_POINTS = [ep["code"] for ep in CATALOG["entryPoints"]]
FORM_IDS = [form["id"] for form in CATALOG["forms"]]

FORNY_RESEPT = "forny-resept-standard"
ALTERNATIV = "alternativ-skjemaingang-timebestilling"
KONSULTASJON_STANDARD = "konsultasjon-kontrollsporsmal-standard"
BESKRIV_SYMPTOMENE = "beskriv-symptomene-dine"

FORM_FIELDS = "id title kind standard displayName questionnaireRef entryPoints"

FORMS = f"""
query Forms($entryPoint: EntryPoint) {{
  forms(entryPoint: $entryPoint) {{ {FORM_FIELDS} }}
}}
"""

PRACTICE_TOOLS = """
query Tools($herId: Int!) {
  practice(herId: $herId) {
    version
    tools {
      entryPoint title isDefault
      activeForm { id }
      availableForms { id }
    }
    auditLog(first: 100) { edges { node { action actorHpr before after } } }
  }
}
"""

CHOOSE_FORM = """
mutation ChooseForm($input: ChooseFormInput!) {
  chooseForm(input: $input) {
    tool { entryPoint title isDefault activeForm { id displayName } availableForms { id } }
    practice {
      version
      tools { entryPoint isDefault activeForm { id } }
      auditLog(first: 100) { edges { node { action actorHpr before after } } }
    }
    userErrors { field code message }
  }
}
"""

PATIENT_SERVICE = """
query Patient($herId: Int!, $service: Service!) {
  patientService(herId: $herId, service: $service) {
    offered
    form { id }
    entryPoints { entryPoint form { id } }
  }
}
"""


def catalogue_default(entry_point: str) -> str | None:
    return next(
        (f["id"] for f in CATALOG["forms"] if f["standard"] and entry_point in f["entryPoints"]),
        None,
    )


def allowed_at(entry_point: str) -> list[str]:
    return [f["id"] for f in CATALOG["forms"] if entry_point in f["entryPoints"]]


def tool_of(practice: dict, entry_point: str) -> dict:
    return next(t for t in practice["tools"] if t["entryPoint"] == entry_point)


def active_id(tool: dict) -> str | None:
    return tool["activeForm"]["id"] if tool["activeForm"] else None


def audit_nodes(practice: dict) -> list[dict]:
    return [edge["node"] for edge in practice["auditLog"]["edges"]]


async def practice_state(api, her_id: int = STORGATA, hpr: int = ASTRID) -> dict:
    return (await api.data(PRACTICE_TOOLS, {"herId": her_id}, hpr=hpr))["practice"]


async def choose(api, hpr: int = ASTRID, **fields) -> dict:
    payload = (await api.data(CHOOSE_FORM, {"input": {"herId": STORGATA, **fields}}, hpr=hpr))[
        "chooseForm"
    ]
    return payload


async def patient_form(api, her_id: int, service: str) -> dict:
    return (await api.data(PATIENT_SERVICE, {"herId": her_id, "service": service}))[
        "patientService"
    ]


# --- forms: the public catalogue ------------------------------------------------------------


async def test_forms_is_public_and_lists_every_catalogue_form(api):
    # Given no token at all
    # When the catalogue is asked for
    body = await api.post(FORMS)
    # Then every form of the catalogue comes back, with its catalogue facts
    assert "errors" not in body, body.get("errors")
    forms = body["data"]["forms"]
    assert sorted(f["id"] for f in forms) == sorted(FORM_IDS)
    by_id = {f["id"]: f for f in forms}
    for spec in CATALOG["forms"]:
        form = by_id[spec["id"]]
        assert form["title"] == spec["title"]
        assert form["kind"] == spec["kind"]
        assert form["standard"] is spec["standard"]
        assert form["questionnaireRef"] == f"Questionnaire/{spec['id']}"
        assert form["entryPoints"] == spec["entryPoints"]


async def test_form_display_names_follow_the_admin_page(api):
    # Given the public catalogue
    forms = {f["id"]: f for f in (await api.data(FORMS))["forms"]}
    # Then a standard checkpoint is marked "(Standard)"
    assert forms[FORNY_RESEPT]["displayName"] == "Sjekkpunkt: Forny resept (Standard)"
    # And control questions are labelled "Kontrollspørsmål"
    assert (
        forms[KONSULTASJON_STANDARD]["displayName"]
        == "Kontrollspørsmål: Konsultasjon - Kontrollspørsmål - Standard (Standard)"
    )
    assert forms["e-kontakt-hva-gjelder"]["displayName"] == (
        "Kontrollspørsmål: Hva gjelder henvendelsen"
    )
    # And a non-standard form has no "(Standard)" suffix
    assert forms[ALTERNATIV]["displayName"] == (
        "Sjekkpunkt: Alternativ skjemaingang for timebestilling"
    )
    for spec in CATALOG["forms"]:
        assert forms[spec["id"]]["displayName"].endswith(" (Standard)") is spec["standard"]


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
async def test_forms_at_an_entry_point_are_only_those_allowed_there(api, entry_point):
    # When the catalogue is asked for one entry point, without a token
    forms = (await api.data(FORMS, {"entryPoint": entry_point}))["forms"]
    # Then exactly the forms the catalogue allows there come back
    assert sorted(f["id"] for f in forms) == sorted(allowed_at(entry_point))
    assert all(entry_point in f["entryPoints"] for f in forms)


# --- Practice.tools -------------------------------------------------------------------------


async def test_tools_show_nine_rows_with_catalogue_defaults_until_a_choice(api):
    # Given Storgata, where no form has been chosen yet
    practice = await practice_state(api)
    # Then there is one row per entry point, in EntryPoint order, with the admin titles
    tools = practice["tools"]
    assert [t["entryPoint"] for t in tools] == ENTRY_POINTS
    assert len(tools) == 9
    assert [t["title"] for t in tools] == [ep["adminTitle"] for ep in CATALOG["entryPoints"]]
    # And each row has the catalogue default in force, marked as default
    for tool in tools:
        assert tool["isDefault"] is True
        assert active_id(tool) == catalogue_default(tool["entryPoint"])
        assert sorted(f["id"] for f in tool["availableForms"]) == sorted(
            allowed_at(tool["entryPoint"])
        )
    # And where the catalogue has no standard form, none applies
    for entry_point in ("E_KONSULTASJON", "E_KONTAKT", "KONTAKT_FASTLEGEN"):
        assert tool_of(practice, entry_point)["activeForm"] is None
    assert active_id(tool_of(practice, "RESEPTFORNYELSE")) == FORNY_RESEPT
    assert active_id(tool_of(practice, "TIMEBESTILLING_LABTIME")) == KONSULTASJON_STANDARD


# --- chooseForm: changes --------------------------------------------------------------------


async def test_choosing_an_allowed_form_makes_it_active(api):
    # Given Storgata at version 0 with the default at Timebestilling konsultasjon
    # When Astrid chooses the alternative form there
    payload = await choose(
        api, entryPoint="TIMEBESTILLING_KONSULTASJON", formId=ALTERNATIV, expectedVersion=0
    )
    # Then it is the active form, no longer the default, and the version moved by one
    assert payload["userErrors"] == []
    assert payload["tool"]["entryPoint"] == "TIMEBESTILLING_KONSULTASJON"
    assert active_id(payload["tool"]) == ALTERNATIV
    assert payload["tool"]["isDefault"] is False
    assert payload["practice"]["version"] == 1
    # And one audit entry records it, by her, with the old and the new form
    entries = audit_nodes(payload["practice"])
    assert len(entries) == 1
    entry = entries[0]
    assert entry["action"] == "chooseForm"
    assert entry["actorHpr"] == ASTRID
    before, after = as_json(entry["before"]), as_json(entry["after"])
    assert isinstance(before, dict) and isinstance(after, dict)
    assert KONSULTASJON_STANDARD in json.dumps(before)
    assert ALTERNATIV in json.dumps(after)
    assert ALTERNATIV not in json.dumps(before)
    # And a fresh read of the practice agrees
    tool = tool_of(await practice_state(api), "TIMEBESTILLING_KONSULTASJON")
    assert active_id(tool) == ALTERNATIV
    assert tool["isDefault"] is False


async def test_choosing_no_form_means_ingen(api):
    # Given Reseptfornyelse with its standard form in force
    # When Astrid chooses no form ("Ingen")
    payload = await choose(api, entryPoint="RESEPTFORNYELSE", formId=None)
    # Then no form is active, and that is the practice's own choice, not the default
    assert payload["userErrors"] == []
    assert payload["tool"]["activeForm"] is None
    assert payload["tool"]["isDefault"] is False
    assert payload["practice"]["version"] == 1
    assert [e["action"] for e in audit_nodes(payload["practice"])] == ["chooseForm"]
    tool = tool_of(await practice_state(api), "RESEPTFORNYELSE")
    assert tool["activeForm"] is None
    assert tool["isDefault"] is False


async def test_reset_to_default_brings_back_the_catalogue_default(api):
    # Given Astrid has chosen "Ingen" at Reseptfornyelse (version 1)
    await choose(api, entryPoint="RESEPTFORNYELSE", formId=None)
    # When she resets it to the default
    payload = await choose(
        api, entryPoint="RESEPTFORNYELSE", resetToDefault=True, expectedVersion=1
    )
    # Then the standard form applies again, marked as default, and that was a change
    assert payload["userErrors"] == []
    assert active_id(payload["tool"]) == FORNY_RESEPT
    assert payload["tool"]["isDefault"] is True
    assert payload["practice"]["version"] == 2
    assert [e["action"] for e in audit_nodes(payload["practice"])] == ["chooseForm"] * 2


async def test_reset_while_the_default_applies_changes_nothing(api):
    # Given Storgata at version 0, where the default applies at Reseptfornyelse
    # When Astrid resets it to the default
    payload = await choose(api, entryPoint="RESEPTFORNYELSE", resetToDefault=True)
    # Then nothing happened: no error, no version bump, no audit entry
    assert payload["userErrors"] == []
    assert active_id(payload["tool"]) == FORNY_RESEPT
    assert payload["tool"]["isDefault"] is True
    assert payload["practice"]["version"] == 0
    assert audit_nodes(payload["practice"]) == []


async def test_choosing_the_form_already_chosen_changes_nothing(api):
    # Given Astrid has chosen the alternative form (version 1, one audit entry)
    await choose(api, entryPoint="TIMEBESTILLING_KONSULTASJON", formId=ALTERNATIV)
    # When she chooses it again
    payload = await choose(api, entryPoint="TIMEBESTILLING_KONSULTASJON", formId=ALTERNATIV)
    # Then nothing changed
    assert payload["userErrors"] == []
    assert active_id(payload["tool"]) == ALTERNATIV
    assert payload["tool"]["isDefault"] is False
    assert payload["practice"]["version"] == 1
    assert len(audit_nodes(payload["practice"])) == 1


async def test_choosing_ingen_again_changes_nothing(api):
    # Given Astrid has chosen "Ingen" at Reseptfornyelse
    await choose(api, entryPoint="RESEPTFORNYELSE", formId=None)
    # When she chooses "Ingen" again
    payload = await choose(api, entryPoint="RESEPTFORNYELSE", formId=None)
    # Then nothing changed
    assert payload["userErrors"] == []
    assert payload["tool"]["activeForm"] is None
    assert payload["practice"]["version"] == 1
    assert len(audit_nodes(payload["practice"])) == 1


async def test_choosing_the_standard_form_explicitly_while_default_applies_is_a_change(api):
    # Given the default (the standard form) applies at Reseptfornyelse
    # When Astrid chooses that same standard form explicitly
    payload = await choose(api, entryPoint="RESEPTFORNYELSE", formId=FORNY_RESEPT)
    # Then the same form is in force, but now as her choice: a change
    assert payload["userErrors"] == []
    assert active_id(payload["tool"]) == FORNY_RESEPT
    assert payload["tool"]["isDefault"] is False
    assert payload["practice"]["version"] == 1
    assert [e["action"] for e in audit_nodes(payload["practice"])] == ["chooseForm"]
    tool = tool_of(await practice_state(api), "RESEPTFORNYELSE")
    assert tool["isDefault"] is False


# --- chooseForm: user errors ----------------------------------------------------------------


async def test_unknown_form_is_refused(api):
    # When Astrid chooses a form id the catalogue does not have
    payload = await choose(api, entryPoint="RESEPTFORNYELSE", formId="finnes-ikke")
    # Then UNKNOWN_FORM on formId, and nothing changed
    errors = payload["userErrors"]
    assert [e["code"] for e in errors] == ["UNKNOWN_FORM"]
    assert errors[0]["field"] == ["formId"]
    assert errors[0]["message"]
    assert payload["practice"]["version"] == 0
    assert audit_nodes(payload["practice"]) == []
    assert active_id(payload["tool"]) == FORNY_RESEPT
    assert payload["tool"]["isDefault"] is True


async def test_known_form_not_allowed_at_the_entry_point_is_refused(api):
    # When Astrid puts the prescription form in front of e-konsultasjon
    payload = await choose(api, entryPoint="E_KONSULTASJON", formId=FORNY_RESEPT)
    # Then FORM_NOT_ALLOWED (the form exists, it just may not go there), and nothing changed
    errors = payload["userErrors"]
    assert [e["code"] for e in errors] == ["FORM_NOT_ALLOWED"]
    assert errors[0]["field"] == ["formId"]
    assert payload["practice"]["version"] == 0
    assert audit_nodes(payload["practice"]) == []
    assert payload["tool"]["activeForm"] is None
    assert payload["tool"]["isDefault"] is True


async def test_reset_to_default_with_a_form_id_is_refused(api):
    # When Astrid both resets and names a form (allowed there)
    payload = await choose(
        api, entryPoint="TIMEBESTILLING_KONSULTASJON", formId=ALTERNATIV, resetToDefault=True
    )
    # Then FORM_NOT_ALLOWED, and nothing changed
    assert [e["code"] for e in payload["userErrors"]] == ["FORM_NOT_ALLOWED"]
    assert payload["practice"]["version"] == 0
    assert audit_nodes(payload["practice"]) == []
    assert active_id(payload["tool"]) == KONSULTASJON_STANDARD
    assert payload["tool"]["isDefault"] is True


async def test_stale_version_changes_nothing(api):
    # Given Storgata at version 0
    # When Astrid chooses a form believing the practice is at version 3
    payload = await choose(
        api, entryPoint="TIMEBESTILLING_KONSULTASJON", formId=ALTERNATIV, expectedVersion=3
    )
    # Then STALE_VERSION on expectedVersion, and the choice was not made
    errors = payload["userErrors"]
    assert [e["code"] for e in errors] == ["STALE_VERSION"]
    assert errors[0]["field"] == ["expectedVersion"]
    assert payload["practice"]["version"] == 0
    assert audit_nodes(payload["practice"]) == []
    state = await practice_state(api)
    assert active_id(tool_of(state, "TIMEBESTILLING_KONSULTASJON")) == KONSULTASJON_STANDARD
    assert tool_of(state, "TIMEBESTILLING_KONSULTASJON")["isDefault"] is True


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"entryPoint": "RESEPTFORNYELSE", "formId": "finnes-ikke"}, "UNKNOWN_FORM"),
        ({"entryPoint": "RESEPTFORNYELSE", "formId": ALTERNATIV}, "FORM_NOT_ALLOWED"),
        (
            {"entryPoint": "RESEPTFORNYELSE", "formId": FORNY_RESEPT, "resetToDefault": True},
            "FORM_NOT_ALLOWED",
        ),
        (
            {"entryPoint": "RESEPTFORNYELSE", "formId": FORNY_RESEPT, "expectedVersion": 0},
            "STALE_VERSION",
        ),
        (
            {"entryPoint": "RESEPTFORNYELSE", "resetToDefault": True, "expectedVersion": 7},
            "STALE_VERSION",
        ),
    ],
)
async def test_user_error_returns_the_practice_as_it_stands(api, fields, code):
    # Given Astrid chose "Ingen" at Reseptfornyelse (version 1, one audit entry)
    await choose(api, entryPoint="RESEPTFORNYELSE", formId=None)
    before = await practice_state(api)
    # When a change is refused
    payload = await choose(api, **fields)
    # Then the payload carries the error and the practice exactly as it stood
    assert [e["code"] for e in payload["userErrors"]] == [code]
    practice = payload["practice"]
    assert practice["version"] == 1
    assert len(audit_nodes(practice)) == 1
    assert payload["tool"]["activeForm"] is None
    assert payload["tool"]["isDefault"] is False
    assert [(t["entryPoint"], active_id(t), t["isDefault"]) for t in practice["tools"]] == [
        (t["entryPoint"], active_id(t), t["isDefault"]) for t in before["tools"]
    ]
    # And a fresh read agrees that nothing moved
    assert await practice_state(api) == before


# --- The patient side -----------------------------------------------------------------------


async def test_patient_sees_a_change_in_the_very_next_request(api):
    # Given patients of Storgata get the standard form before prescription renewal
    patient = await patient_form(api, STORGATA, "RESEPTFORNYELSE")
    assert patient["form"]["id"] == FORNY_RESEPT
    assert [(e["entryPoint"], e["form"]["id"]) for e in patient["entryPoints"]] == [
        ("RESEPTFORNYELSE", FORNY_RESEPT)
    ]
    # When Astrid chooses "Ingen" there
    await choose(api, entryPoint="RESEPTFORNYELSE", formId=None)
    # Then the very next patient request goes straight to the service
    patient = await patient_form(api, STORGATA, "RESEPTFORNYELSE")
    assert patient["form"] is None
    assert [(e["entryPoint"], e["form"]) for e in patient["entryPoints"]] == [
        ("RESEPTFORNYELSE", None)
    ]
    # And when she resets it, the standard form is back at once
    await choose(api, entryPoint="RESEPTFORNYELSE", resetToDefault=True)
    patient = await patient_form(api, STORGATA, "RESEPTFORNYELSE")
    assert patient["form"]["id"] == FORNY_RESEPT
    assert patient["entryPoints"][0]["form"]["id"] == FORNY_RESEPT


async def test_patient_form_is_null_for_a_service_the_practice_does_not_offer(api):
    # Given Fjordbyen does not offer e-konsultasjon, yet Kristian chooses a form there
    payload = (
        await api.data(
            CHOOSE_FORM,
            {
                "input": {
                    "herId": FJORDBYEN,
                    "entryPoint": "E_KONSULTASJON",
                    "formId": BESKRIV_SYMPTOMENE,
                }
            },
            hpr=KRISTIAN,
        )
    )["chooseForm"]
    assert payload["userErrors"] == []
    # When a patient of Fjordbyen looks at e-konsultasjon
    patient = await patient_form(api, FJORDBYEN, "E_KONSULTASJON")
    # Then the service is not offered and no form is shown anywhere
    assert patient["offered"] is False
    assert patient["form"] is None
    assert [e["entryPoint"] for e in patient["entryPoints"]] == ["E_KONSULTASJON"]
    assert all(e["form"] is None for e in patient["entryPoints"])
    # While at Storgata, which offers it, the choice is Storgata's own (still none)
    assert (await patient_form(api, STORGATA, "E_KONSULTASJON"))["form"] is None


# --- Access ---------------------------------------------------------------------------------


async def test_choose_form_without_token_is_unauthenticated(api):
    # When someone without a token tries to choose a form
    body = await api.post(
        CHOOSE_FORM, {"input": {"herId": STORGATA, "entryPoint": "RESEPTFORNYELSE"}}
    )
    # Then a top-level UNAUTHENTICATED error, no data, and nothing changed
    assert body["data"] is None
    assert error_codes(body) == ["UNAUTHENTICATED"]
    state = await practice_state(api)
    assert state["version"] == 0
    assert audit_nodes(state) == []
    assert active_id(tool_of(state, "RESEPTFORNYELSE")) == FORNY_RESEPT
    assert tool_of(state, "RESEPTFORNYELSE")["isDefault"] is True
    # And the tools are not readable without a token either
    body = await api.post(PRACTICE_TOOLS, {"herId": STORGATA})
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert (body["data"] or {}).get("practice") is None


async def test_choose_form_for_a_practice_one_is_not_affiliated_with_is_forbidden(api):
    # When Jacob (Fjordbyen only) tries to change Storgata's prescription form
    body = await api.post(
        CHOOSE_FORM,
        {"input": {"herId": STORGATA, "entryPoint": "RESEPTFORNYELSE", "formId": None}},
        hpr=JACOB,
    )
    # Then a top-level FORBIDDEN error, no data, and nothing changed
    assert body["data"] is None
    assert error_codes(body) == ["FORBIDDEN"]
    state = await practice_state(api)
    assert state["version"] == 0
    assert audit_nodes(state) == []
    assert active_id(tool_of(state, "RESEPTFORNYELSE")) == FORNY_RESEPT
    assert (await patient_form(api, STORGATA, "RESEPTFORNYELSE"))["form"]["id"] == FORNY_RESEPT
