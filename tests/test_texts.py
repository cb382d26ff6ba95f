"""Info til pasient: saveTexts and Practice.texts."""

import json
import unicodedata
from pathlib import Path

import pytest

from tests.conftest import ASTRID, FJORDBYEN, JACOB, KRISTIAN, STORGATA, text_input

SAVE_TEXTS = """
mutation SaveTexts($input: SaveTextsInput!) {
  saveTexts(input: $input) {
    practice { version texts { slot text maxLength offered updatedByHpr } }
    userErrors { field code message }
  }
}
"""

PRACTICE_TEXTS = """
query Texts($herId: Int!) {
  practice(herId: $herId) { version texts { slot title standardText text maxLength offered } }
}
"""


def text_of(practice: dict, slot: str) -> str | None:
    return next(t["text"] for t in practice["texts"] if t["slot"] == slot)


async def test_saved_text_is_returned_and_version_bumped(api):
    # Given Storgata at version 0
    # When Astrid saves an addition for Reseptfornyelse
    data = await api.data(
        SAVE_TEXTS,
        {
            "input": {
                "herId": STORGATA,
                "expectedVersion": 0,
                "texts": [{"slot": "RESEPTFORNYELSE", "text": "Husk styrke."}],
            }
        },
        hpr=ASTRID,
    )
    # Then it is saved, by her, and the version moved by one
    payload = data["saveTexts"]
    assert payload["userErrors"] == []
    assert payload["practice"]["version"] == 1
    assert text_of(payload["practice"], "RESEPTFORNYELSE") == "Husk styrke."
    row = next(t for t in payload["practice"]["texts"] if t["slot"] == "RESEPTFORNYELSE")
    assert row["updatedByHpr"] == ASTRID


async def test_text_over_limit_is_refused(api):
    data = await api.data(
        SAVE_TEXTS,
        text_input(STORGATA, "FASTLEGEPANEL", "æ" * 201),
        hpr=ASTRID,
    )
    errors = data["saveTexts"]["userErrors"]
    assert [e["code"] for e in errors] == ["TOO_LONG"]
    assert errors[0]["field"] == ["texts", "0", "text"]
    assert "200" in errors[0]["message"]
    assert data["saveTexts"]["practice"]["version"] == 0


async def test_practice_of_another_practice_is_forbidden_for_save(api):
    body = await api.post(
        SAVE_TEXTS,
        text_input(STORGATA, "FASTLEGEPANEL", "x"),
        hpr=JACOB,
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# ---------------------------------------------------------------------------
# Helpers for the tests below

SLOTS = [
    "FASTLEGEPANEL",
    "RESEPTFORNYELSE",
    "E_KONSULTASJON",
    "KONTAKT_LEGEKONTORET",
    "TIMEBESTILLING",
]
CATALOG = json.loads(
    (Path(__file__).resolve().parents[1] / "models" / "catalog.json").read_text("utf-8")
)

AUDIT_ACTIONS = """
query Audit($herId: Int!) {
  practice(herId: $herId) { version auditLog(first: 100) { edges { node { action } } } }
}
"""


async def save(api, texts: list[dict], *, her_id: int = STORGATA, hpr: int = ASTRID, **extra):
    """The saveTexts payload; the request itself must raise no top-level error."""
    data = await api.data(
        SAVE_TEXTS, {"input": {"herId": her_id, "texts": texts, **extra}}, hpr=hpr
    )
    return data["saveTexts"]


async def save_ok(api, texts: list[dict], **kwargs) -> dict:
    payload = await save(api, texts, **kwargs)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["practice"]


async def practice_state(api, her_id: int = STORGATA, hpr: int = ASTRID) -> tuple[int, int, dict]:
    """(version, number of audit entries, texts by slot) as the admin page would read them."""
    audit = (await api.data(AUDIT_ACTIONS, {"herId": her_id}, hpr=hpr))["practice"]
    texts = (await api.data(PRACTICE_TEXTS, {"herId": her_id}, hpr=hpr))["practice"]
    return (
        audit["version"],
        len(audit["auditLog"]["edges"]),
        {t["slot"]: t["text"] for t in texts["texts"]},
    )


def codes(payload: dict) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


# ---------------------------------------------------------------------------
# Length limits


async def test_panel_text_of_exactly_200_is_accepted(api):
    # Given an empty Storgata
    # When Astrid saves a panel text of exactly 200 characters
    practice = await save_ok(api, [{"slot": "FASTLEGEPANEL", "text": "x" * 200}])
    # Then it is stored whole
    assert text_of(practice, "FASTLEGEPANEL") == "x" * 200
    assert practice["version"] == 1


async def test_panel_text_of_201_plain_characters_is_refused(api):
    payload = await save(api, [{"slot": "FASTLEGEPANEL", "text": "x" * 201}])
    assert codes(payload) == ["TOO_LONG"]
    assert "200" in payload["userErrors"][0]["message"]
    assert text_of(payload["practice"], "FASTLEGEPANEL") is None


@pytest.mark.parametrize("slot", SLOTS[1:])
async def test_other_slots_accept_exactly_300(api, slot):
    practice = await save_ok(api, [{"slot": slot, "text": "y" * 300}])
    assert text_of(practice, slot) == "y" * 300


@pytest.mark.parametrize("slot", SLOTS[1:])
async def test_other_slots_refuse_301_naming_the_limit(api, slot):
    # When a text one over the limit of 300 is saved
    payload = await save(api, [{"slot": slot, "text": "y" * 301}])
    # Then TOO_LONG names the limit, and nothing is saved
    assert codes(payload) == ["TOO_LONG"]
    assert payload["userErrors"][0]["field"] == ["texts", "0", "text"]
    assert "300" in payload["userErrors"][0]["message"]
    assert text_of(payload["practice"], slot) is None
    assert payload["practice"]["version"] == 0


async def test_length_counts_norwegian_letters_as_one_code_point(api):
    # Given 300 × "å" (600 bytes in UTF-8) and "æøå" × 100
    practice = await save_ok(
        api,
        [
            {"slot": "RESEPTFORNYELSE", "text": "å" * 300},
            {"slot": "KONTAKT_LEGEKONTORET", "text": "æøå" * 100},
            {"slot": "FASTLEGEPANEL", "text": "Ø" * 200},
        ],
    )
    # Then all are within the limits
    assert text_of(practice, "RESEPTFORNYELSE") == "å" * 300
    assert text_of(practice, "KONTAKT_LEGEKONTORET") == "æøå" * 100
    assert text_of(practice, "FASTLEGEPANEL") == "Ø" * 200
    # And one more letter is over
    payload = await save(api, [{"slot": "RESEPTFORNYELSE", "text": "å" * 301}])
    assert codes(payload) == ["TOO_LONG"]


async def test_decomposed_accent_counts_once_and_is_stored_nfc(api):
    # Given "é" typed decomposed as "e" + U+0301: 600 code points before NFC, 300 after
    decomposed = "e\u0301" * 300
    # When saved
    practice = await save_ok(api, [{"slot": "E_KONSULTASJON", "text": decomposed}])
    # Then it is accepted and stored composed (NFC)
    assert text_of(practice, "E_KONSULTASJON") == "\u00e9" * 300
    _, _, texts = await practice_state(api)
    assert texts["E_KONSULTASJON"] == unicodedata.normalize("NFC", decomposed)


async def test_length_is_counted_after_normalising_line_breaks_and_trimming(api):
    # Given 299 characters once "\r\n" is "\n", with padding that trimming removes
    raw = "   " + "x" + "\r\nx" * 149 + "\r\n\r\n  "
    assert len(raw) > 300
    # When saved
    practice = await save_ok(api, [{"slot": "RESEPTFORNYELSE", "text": raw}])
    # Then it fits
    assert text_of(practice, "RESEPTFORNYELSE") == "x" + "\nx" * 149


# ---------------------------------------------------------------------------
# Normalisation


async def test_line_breaks_become_newline(api):
    practice = await save_ok(
        api, [{"slot": "KONTAKT_LEGEKONTORET", "text": "Linje 1\r\nLinje 2\rLinje 3\nLinje 4"}]
    )
    assert text_of(practice, "KONTAKT_LEGEKONTORET") == "Linje 1\nLinje 2\nLinje 3\nLinje 4"


async def test_leading_and_trailing_white_space_is_trimmed(api):
    practice = await save_ok(
        api, [{"slot": "RESEPTFORNYELSE", "text": " \t\n  Husk styrke. \r\n\t "}]
    )
    assert text_of(practice, "RESEPTFORNYELSE") == "Husk styrke."


@pytest.mark.parametrize("blank", ["   \n", "", "\r\n\t ", None], ids=repr)
async def test_blank_or_null_removes_the_addition(api, blank):
    # Given Storgata has an addition for Reseptfornyelse
    await save_ok(api, [{"slot": "RESEPTFORNYELSE", "text": "Husk styrke."}])
    # When it is saved blank (or null)
    practice = await save_ok(api, [{"slot": "RESEPTFORNYELSE", "text": blank}])
    # Then the addition is gone, and that was a change
    assert text_of(practice, "RESEPTFORNYELSE") is None
    assert practice["version"] == 2


async def test_markup_is_stored_as_typed(api):
    text = '<b>Hei</b> & "velkommen" <script>alert(1)</script>'
    practice = await save_ok(api, [{"slot": "FASTLEGEPANEL", "text": text}])
    assert text_of(practice, "FASTLEGEPANEL") == text


# ---------------------------------------------------------------------------
# Forbidden characters


@pytest.mark.parametrize(
    "text",
    ["Hei\x00du", "Pling\x07", "\x1b[31mRødt", "Slett\x7f", "A\x85B"],
    ids=["NUL", "BEL", "ESC", "DEL", "NEL"],
)
async def test_control_characters_are_invalid(api, text):
    payload = await save(api, [{"slot": "RESEPTFORNYELSE", "text": text}])
    assert codes(payload) == ["INVALID_TEXT"]
    assert payload["userErrors"][0]["field"] == ["texts", "0", "text"]
    assert payload["practice"]["version"] == 0
    assert text_of(payload["practice"], "RESEPTFORNYELSE") is None


@pytest.mark.parametrize("char", ["\u202a", "\u202e", "\u2066", "\u2069"], ids=ascii)
async def test_bidi_controls_are_invalid(api, char):
    payload = await save(api, [{"slot": "FASTLEGEPANEL", "text": f"Ring oss {char}4444 5555"}])
    assert codes(payload) == ["INVALID_TEXT"]
    assert payload["practice"]["version"] == 0


@pytest.mark.parametrize(
    "text", ["Hei\x0b", "\x1c Hei", "Hei\x0c", "\x1fHei", "\x1d\x1eHei"], ids=ascii
)
async def test_control_that_trimming_would_remove_is_still_invalid(api, text):
    # Given a control character at the edge, which str.strip() would take away
    # When saved
    payload = await save(api, [{"slot": "TIMEBESTILLING", "text": text}])
    # Then it is refused: the check comes before trimming
    assert codes(payload) == ["INVALID_TEXT"]
    assert text_of(payload["practice"], "TIMEBESTILLING") is None


async def test_newline_and_tab_are_allowed_inside_text(api):
    text = "Åpningstider:\n\tMandag\t08–16\n\tTirsdag\t08–16"
    practice = await save_ok(api, [{"slot": "KONTAKT_LEGEKONTORET", "text": text}])
    assert text_of(practice, "KONTAKT_LEGEKONTORET") == text


# ---------------------------------------------------------------------------
# One save: all or nothing


async def test_same_slot_twice_is_duplicate_slot(api):
    payload = await save(
        api,
        [
            {"slot": "RESEPTFORNYELSE", "text": "Første"},
            {"slot": "RESEPTFORNYELSE", "text": "Andre"},
        ],
    )
    assert codes(payload) == ["DUPLICATE_SLOT"]
    assert payload["userErrors"][0]["field"] == ["texts", "1", "slot"]
    assert text_of(payload["practice"], "RESEPTFORNYELSE") is None
    assert payload["practice"]["version"] == 0


async def test_one_invalid_text_saves_nothing(api):
    # Given Storgata with one addition already, at version 1 with one audit entry
    await save_ok(api, [{"slot": "TIMEBESTILLING", "text": "Gammel"}])
    # When a save has one valid and one invalid text
    payload = await save(
        api,
        [
            {"slot": "RESEPTFORNYELSE", "text": "Gyldig"},
            {"slot": "TIMEBESTILLING", "text": "Ugyldig\x00"},
        ],
    )
    # Then the error points at the invalid one
    assert codes(payload) == ["INVALID_TEXT"]
    assert payload["userErrors"][0]["field"] == ["texts", "1", "text"]
    # And nothing was saved: not the valid text, no version bump, no audit entry
    assert text_of(payload["practice"], "RESEPTFORNYELSE") is None
    version, entries, texts = await practice_state(api)
    assert (version, entries) == (1, 1)
    assert texts["RESEPTFORNYELSE"] is None
    assert texts["TIMEBESTILLING"] == "Gammel"


async def test_error_field_is_the_index_of_the_offending_text(api):
    payload = await save(
        api,
        [
            {"slot": "FASTLEGEPANEL", "text": "ok"},
            {"slot": "RESEPTFORNYELSE", "text": "ok"},
            {"slot": "E_KONSULTASJON", "text": "z" * 301},
            {"slot": "KONTAKT_LEGEKONTORET", "text": "ok"},
            {"slot": "TIMEBESTILLING", "text": "\u202eok"},
        ],
    )
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("TOO_LONG", ["texts", "2", "text"]),
        ("INVALID_TEXT", ["texts", "4", "text"]),
    ]
    version, entries, texts = await practice_state(api)
    assert (version, entries) == (0, 0)
    assert set(texts.values()) == {None}


@pytest.mark.parametrize(
    "again",
    ["Husk styrke.", "  Husk styrke.\r\n", "\tHusk styrke. \n"],
    ids=["same", "padded-crlf", "padded-tab"],
)
async def test_save_that_changes_nothing_bumps_nothing(api, again):
    # Given a saved addition (version 1, one audit entry)
    await save_ok(api, [{"slot": "RESEPTFORNYELSE", "text": "Husk styrke."}])
    # When the same text (or one that normalises to it) is saved again
    practice = await save_ok(
        api,
        [{"slot": "RESEPTFORNYELSE", "text": again}, {"slot": "TIMEBESTILLING", "text": None}],
    )
    # Then no version bump and no audit entry
    assert practice["version"] == 1
    version, entries, texts = await practice_state(api)
    assert (version, entries) == (1, 1)
    assert texts["RESEPTFORNYELSE"] == "Husk styrke."


async def test_decomposed_text_equal_to_stored_nfc_changes_nothing(api):
    await save_ok(api, [{"slot": "FASTLEGEPANEL", "text": "Kaf\u00e9 åpent"}])
    practice = await save_ok(api, [{"slot": "FASTLEGEPANEL", "text": "Kafe\u0301 åpent"}])
    assert practice["version"] == 1
    assert (await practice_state(api))[:2] == (1, 1)


async def test_stale_expected_version_changes_nothing(api):
    # Given Storgata at version 1
    await save_ok(api, [{"slot": "FASTLEGEPANEL", "text": "Velkommen"}])
    # When Kristian saves with the version he loaded before that change
    payload = await save(
        api,
        [{"slot": "FASTLEGEPANEL", "text": "Overskrevet"}],
        hpr=KRISTIAN,
        expectedVersion=0,
    )
    # Then STALE_VERSION on expectedVersion, and the first change stands
    assert codes(payload) == ["STALE_VERSION"]
    assert payload["userErrors"][0]["field"] == ["expectedVersion"]
    assert payload["practice"]["version"] == 1
    version, entries, texts = await practice_state(api)
    assert (version, entries) == (1, 1)
    assert texts["FASTLEGEPANEL"] == "Velkommen"


async def test_current_expected_version_is_accepted(api):
    await save_ok(api, [{"slot": "FASTLEGEPANEL", "text": "Velkommen"}])
    practice = await save_ok(
        api, [{"slot": "FASTLEGEPANEL", "text": "Ny tekst"}], hpr=KRISTIAN, expectedVersion=1
    )
    assert practice["version"] == 2
    assert text_of(practice, "FASTLEGEPANEL") == "Ny tekst"
    row = next(t for t in practice["texts"] if t["slot"] == "FASTLEGEPANEL")
    assert row["updatedByHpr"] == KRISTIAN


async def test_slots_left_out_keep_their_text(api):
    # Given additions in two slots
    await save_ok(
        api,
        [
            {"slot": "RESEPTFORNYELSE", "text": "Husk styrke."},
            {"slot": "TIMEBESTILLING", "text": "Ring før 09."},
        ],
    )
    # When only one of them is saved
    practice = await save_ok(api, [{"slot": "RESEPTFORNYELSE", "text": "Husk dose."}])
    # Then the other keeps its text
    assert text_of(practice, "RESEPTFORNYELSE") == "Husk dose."
    assert text_of(practice, "TIMEBESTILLING") == "Ring før 09."
    assert practice["version"] == 2


# ---------------------------------------------------------------------------
# Reading the texts


async def test_texts_follow_slot_order_and_catalogue(api):
    practice = (await api.data(PRACTICE_TEXTS, {"herId": STORGATA}, hpr=ASTRID))["practice"]
    # One per TextSlot, in TextSlot order
    assert [t["slot"] for t in practice["texts"]] == SLOTS
    # Titles, standard texts and limits as in the catalogue
    expected = {
        s["code"]: (s["adminTitle"], s["standardText"], s["maxLength"])
        for s in CATALOG["textSlots"]
    }
    for t in practice["texts"]:
        assert (t["title"], t["standardText"], t["maxLength"]) == expected[t["slot"]]
        assert t["text"] is None
    by_slot = {t["slot"]: t for t in practice["texts"]}
    assert by_slot["FASTLEGEPANEL"]["standardText"] is None
    assert by_slot["TIMEBESTILLING"]["standardText"] is None
    assert by_slot["FASTLEGEPANEL"]["maxLength"] == 200
    assert by_slot["RESEPTFORNYELSE"]["title"] == "Reseptfornyelse"
    assert by_slot["RESEPTFORNYELSE"]["standardText"].startswith("Be om å få fornyet")


async def test_offered_comes_from_the_registry(api):
    # Fjordbyen does not offer e-konsultasjon; the panel is always "offered"
    fjordbyen = (await api.data(PRACTICE_TEXTS, {"herId": FJORDBYEN}, hpr=KRISTIAN))["practice"]
    offered = {t["slot"]: t["offered"] for t in fjordbyen["texts"]}
    assert offered == {
        "FASTLEGEPANEL": True,
        "RESEPTFORNYELSE": True,
        "E_KONSULTASJON": False,
        "KONTAKT_LEGEKONTORET": True,
        "TIMEBESTILLING": True,
    }
    storgata = (await api.data(PRACTICE_TEXTS, {"herId": STORGATA}, hpr=KRISTIAN))["practice"]
    assert all(t["offered"] for t in storgata["texts"])
