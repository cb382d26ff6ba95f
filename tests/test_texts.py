"""Info til pasient: saveTexts and Practice.texts."""

from tests.conftest import ASTRID, JACOB, STORGATA

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
        {"input": {"herId": STORGATA, "texts": [{"slot": "FASTLEGEPANEL", "text": "æ" * 201}]}},
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
        {"input": {"herId": STORGATA, "texts": [{"slot": "FASTLEGEPANEL", "text": "x"}]}},
        hpr=JACOB,
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
