"""Who is logged in (`me`), the practice's own facts (`practice`), and registry re-imports
taking effect at once."""

import json
from datetime import timedelta

import jwt
import pytest

from tests.conftest import (
    ASTRID,
    FJORDBYEN,
    JACOB,
    KRISTIAN,
    STORGATA,
    STRANGER,
    error_codes,
    import_text,
    registry_text,
    text_input,
)

ME = """
query Me {
  me { hprNumber name practices { herId name } }
}
"""

PRACTICE = """
query Practice($herId: Int!) {
  practice(herId: $herId) {
    herId name orgNumber version
    practitioners { hprNumber name }
  }
}
"""

PRACTICE_TEXTS = """
query Texts($herId: Int!) {
  practice(herId: $herId) { version texts { slot text updatedByHpr } }
}
"""

SAVE_TEXTS = """
mutation SaveTexts($input: SaveTextsInput!) {
  saveTexts(input: $input) {
    practice { version }
    userErrors { field code message }
  }
}
"""


def registry_with(change) -> str:
    """The test registry (tests/registry.json) after `change` has edited its parsed JSON."""
    registry = json.loads(registry_text())
    change(registry)
    return json.dumps(registry, ensure_ascii=False)


def practice_entry(registry: dict, her_id: int) -> dict:
    return next(p for p in registry["practices"] if p["herId"] == her_id)


def without_astrid(registry: dict) -> None:
    storgata = practice_entry(registry, STORGATA)
    storgata["practitioners"] = [p for p in storgata["practitioners"] if p["hprNumber"] != ASTRID]


def text_of(practice: dict, slot: str) -> str | None:
    return next(t["text"] for t in practice["texts"] if t["slot"] == slot)


# --- me ---------------------------------------------------------------------------------


async def test_me_gives_the_practitioner_and_practices_sorted_by_name(api):
    # Given Kristian, affiliated with Storgata (imported first, lower herId) and Fjordbyen
    # When he asks who he is
    data = await api.data(ME, hpr=KRISTIAN)
    # Then he gets his HPR number, his name and both practices, by name
    assert data["me"] == {
        "hprNumber": KRISTIAN,
        "name": "Kristian Larsen",
        "practices": [
            {"herId": FJORDBYEN, "name": "Fjordbyen fastlegekontor"},
            {"herId": STORGATA, "name": "Storgata legesenter"},
        ],
    }


async def test_me_of_a_practitioner_with_one_practice(api):
    data = await api.data(ME, hpr=ASTRID)
    assert data["me"] == {
        "hprNumber": ASTRID,
        "name": "Astrid Info",
        "practices": [{"herId": STORGATA, "name": "Storgata legesenter"}],
    }


@pytest.mark.parametrize("who", ["no token", "not in registry"])
async def test_me_is_null_without_a_known_practitioner_and_no_error(api, who):
    # Given a request that does not speak for anyone in the registry
    token = {"no token": None, "not in registry": api.token(STRANGER)}[who]
    # When it asks who is logged in
    body = await api.post(ME, token=token)
    # Then `me` is null, and that is not an error
    assert "errors" not in body, body["errors"]
    assert body["data"] == {"me": None}


@pytest.mark.parametrize(
    "who", ["garbage token", "token signed with another secret", "expired token"]
)
async def test_me_with_an_invalid_credential_is_unauthenticated(api, who):
    # Given a credential that is no longer, or never was, valid
    token = {
        "garbage token": "not-a-jwt",
        "token signed with another secret": jwt.encode(
            jwt.decode(api.token(ASTRID), options={"verify_signature": False}),
            "another secret that is long enough for HS256 use",
            algorithm="HS256",
        ),
        "expired token": api.tokens.issue(ASTRID, ttl=timedelta(seconds=-120)),
    }[who]
    # When it asks who is logged in
    body = await api.post(ME, token=token)
    # Then the page can tell "sign in again" from "not in HPR"
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] == {"me": None}


# --- practice ---------------------------------------------------------------------------


async def test_practice_gives_its_facts_and_practitioners_sorted_by_name(api):
    # Given Fjordbyen, whose registry entry lists Kristian before Jacob
    # When Kristian opens it
    data = await api.data(PRACTICE, {"herId": FJORDBYEN}, hpr=KRISTIAN)
    # Then he sees its facts at version 0 and the "Behandler" choices by name
    assert data["practice"] == {
        "herId": FJORDBYEN,
        "name": "Fjordbyen fastlegekontor",
        "orgNumber": "923609016",
        "version": 0,
        "practitioners": [
            {"hprNumber": JACOB, "name": "Jacob Tore"},
            {"hprNumber": KRISTIAN, "name": "Kristian Larsen"},
        ],
    }


async def test_practice_as_seen_by_any_affiliated_practitioner(api):
    expected = {
        "herId": STORGATA,
        "name": "Storgata legesenter",
        "orgNumber": "974600951",
        "version": 0,
        "practitioners": [
            {"hprNumber": ASTRID, "name": "Astrid Info"},
            {"hprNumber": KRISTIAN, "name": "Kristian Larsen"},
        ],
    }
    assert (await api.data(PRACTICE, {"herId": STORGATA}, hpr=ASTRID))["practice"] == expected
    assert (await api.data(PRACTICE, {"herId": STORGATA}, hpr=KRISTIAN))["practice"] == expected


# --- registry re-import -----------------------------------------------------------------


async def test_removed_affiliation_forbids_the_practice_at_once(api, db):
    # Given Astrid, who has just opened Storgata
    await api.data(PRACTICE, {"herId": STORGATA}, hpr=ASTRID)
    # When a registry import no longer lists her at Storgata
    await import_text(db, registry_with(without_astrid))
    # Then her very next request is refused
    body = await api.post(PRACTICE, {"herId": STORGATA}, hpr=ASTRID)
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["data"] == {"practice": None}


async def test_removed_affiliation_empties_me_practices_at_once(api, db):
    # Given Astrid, who sees Storgata in her list
    assert (await api.data(ME, hpr=ASTRID))["me"]["practices"] != []
    # When the registry removes her only affiliation
    await import_text(db, registry_with(without_astrid))
    # Then she is still herself, but with no practices to choose from
    assert (await api.data(ME, hpr=ASTRID))["me"] == {
        "hprNumber": ASTRID,
        "name": "Astrid Info",
        "practices": [],
    }


async def test_practice_keeps_its_texts_when_an_author_loses_her_affiliation(api, db):
    # Given a text Astrid saved at Storgata
    saved = await api.data(
        SAVE_TEXTS,
        text_input(STORGATA, "RESEPTFORNYELSE", "Husk styrke."),
        hpr=ASTRID,
    )
    assert saved["saveTexts"]["userErrors"] == []
    # When the registry removes Astrid from Storgata
    await import_text(db, registry_with(without_astrid))
    # Then Kristian still sees her text, at the same version, and she is no longer a choice
    practice = (await api.data(PRACTICE_TEXTS, {"herId": STORGATA}, hpr=KRISTIAN))["practice"]
    assert practice["version"] == 1
    assert text_of(practice, "RESEPTFORNYELSE") == "Husk styrke."
    row = next(t for t in practice["texts"] if t["slot"] == "RESEPTFORNYELSE")
    assert row["updatedByHpr"] == ASTRID
    members = (await api.data(PRACTICE, {"herId": STORGATA}, hpr=KRISTIAN))["practice"]
    assert members["practitioners"] == [{"hprNumber": KRISTIAN, "name": "Kristian Larsen"}]


async def test_renamed_practitioner_shows_at_once(api, db):
    # Given Astrid listed first at Storgata
    before = (await api.data(PRACTICE, {"herId": STORGATA}, hpr=KRISTIAN))["practice"]
    assert [m["name"] for m in before["practitioners"]] == ["Astrid Info", "Kristian Larsen"]

    # When the registry renames her to a name that sorts after Kristian
    def rename(registry: dict) -> None:
        for member in practice_entry(registry, STORGATA)["practitioners"]:
            if member["hprNumber"] == ASTRID:
                member["name"] = "Zara Øvrebø"

    await import_text(db, registry_with(rename))
    # Then the new name shows at once, in name order, and in her own `me`
    after = (await api.data(PRACTICE, {"herId": STORGATA}, hpr=KRISTIAN))["practice"]
    assert after["practitioners"] == [
        {"hprNumber": KRISTIAN, "name": "Kristian Larsen"},
        {"hprNumber": ASTRID, "name": "Zara Øvrebø"},
    ]
    assert (await api.data(ME, hpr=ASTRID))["me"]["name"] == "Zara Øvrebø"


async def test_new_affiliation_and_renamed_practice_take_effect_at_once(api, db):
    # Given Jacob, refused at Storgata
    assert error_codes(await api.post(PRACTICE, {"herId": STORGATA}, hpr=JACOB)) == ["FORBIDDEN"]

    # When the registry adds him there and renames Storgata
    def change(registry: dict) -> None:
        storgata = practice_entry(registry, STORGATA)
        storgata["name"] = "Askeladden legesenter"
        storgata["practitioners"].append({"hprNumber": JACOB, "name": "Jacob Tore"})

    await import_text(db, registry_with(change))
    # Then he may open it, and his practices list it first under its new name
    practice = (await api.data(PRACTICE, {"herId": STORGATA}, hpr=JACOB))["practice"]
    assert practice["name"] == "Askeladden legesenter"
    assert [m["hprNumber"] for m in practice["practitioners"]] == [ASTRID, JACOB, KRISTIAN]
    assert (await api.data(ME, hpr=JACOB))["me"]["practices"] == [
        {"herId": STORGATA, "name": "Askeladden legesenter"},
        {"herId": FJORDBYEN, "name": "Fjordbyen fastlegekontor"},
    ]
