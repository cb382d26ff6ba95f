"""The audit log: one entry per successful change, newest first, paged with cursors."""

import base64
import json
from datetime import UTC, datetime, time, timedelta

import pytest

from tests.conftest import (
    ASTRID,
    FJORDBYEN,
    JACOB,
    KRISTIAN,
    STORGATA,
    TODAY,
    as_json,
    error_codes,
    text_input,
)

SAVE_TEXTS = """
mutation SaveTexts($input: SaveTextsInput!) {
  saveTexts(input: $input) { practice { version } userErrors { field code message } }
}
"""

CHOOSE_FORM = """
mutation ChooseForm($input: ChooseFormInput!) {
  chooseForm(input: $input) { practice { version } userErrors { field code message } }
}
"""

ADD_ABSENCE = """
mutation AddAbsence($input: AddAbsenceInput!) {
  addAbsence(input: $input) { practice { version } userErrors { field code message } }
}
"""

AUDIT_LOG = """
query Audit($herId: Int!, $first: Int, $after: String) {
  practice(herId: $herId) {
    version
    auditLog(first: $first, after: $after) {
      edges { cursor node { id at actorHpr action summary before after } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

AUDIT_LOG_DEFAULT_FIRST = """
query Audit($herId: Int!) {
  practice(herId: $herId) {
    auditLog { edges { node { id } } pageInfo { hasNextPage endCursor } }
  }
}
"""


async def save_texts(api, texts: list[dict], *, her_id: int = STORGATA, hpr: int = ASTRID):
    data = await api.data(SAVE_TEXTS, {"input": {"herId": her_id, "texts": texts}}, hpr=hpr)
    return data["saveTexts"]


async def save_ok(api, texts: list[dict], **kwargs) -> None:
    payload = await save_texts(api, texts, **kwargs)
    assert payload["userErrors"] == [], payload["userErrors"]


async def audit_log(
    api, *, her_id: int = STORGATA, hpr: int = ASTRID, first: int | None = 100, after=None
) -> dict:
    variables = {"herId": her_id, "first": first, "after": after}
    data = await api.data(AUDIT_LOG, variables, hpr=hpr)
    return data["practice"]["auditLog"]


def nodes(log: dict) -> list[dict]:
    return [edge["node"] for edge in log["edges"]]


async def make_entries(api, count: int) -> None:
    """`count` successful saves, each a change: Reseptfornyelse becomes "v0", "v1", …"""
    for n in range(count):
        await save_ok(api, [{"slot": "RESEPTFORNYELSE", "text": f"v{n}"}])


# ---------------------------------------------------------------------------
# What an entry holds


async def test_save_appends_one_entry_with_changed_values(api):
    # Given an empty log
    assert nodes(await audit_log(api)) == []
    # When Astrid saves an addition for Reseptfornyelse
    await save_ok(api, [{"slot": "RESEPTFORNYELSE", "text": "Husk styrke."}])
    # Then exactly one entry records who, what and the values verbatim
    [entry] = nodes(await audit_log(api))
    assert entry["action"] == "saveTexts"
    assert entry["actorHpr"] == ASTRID
    assert "Reseptfornyelse" in entry["summary"]
    assert as_json(entry["before"]) == {"RESEPTFORNYELSE": None}
    assert as_json(entry["after"]) == {"RESEPTFORNYELSE": "Husk styrke."}


async def test_entry_holds_only_changed_slots_verbatim(api):
    # Given an addition for Reseptfornyelse
    await save_ok(api, [{"slot": "RESEPTFORNYELSE", "text": "Husk styrke."}])
    # When Kristian saves it unchanged, removes nothing else, and writes a panel text
    await save_ok(
        api,
        [
            {"slot": "RESEPTFORNYELSE", "text": "Husk styrke."},
            {"slot": "TIMEBESTILLING", "text": None},
            {"slot": "FASTLEGEPANEL", "text": "  Velkommen!\r\n«Ring» & <b>"},
        ],
        hpr=KRISTIAN,
    )
    # Then one new entry, by him, with only the panel text, normalised as stored
    newest, oldest = nodes(await audit_log(api))
    assert newest["actorHpr"] == KRISTIAN
    assert as_json(newest["before"]) == {"FASTLEGEPANEL": None}
    assert as_json(newest["after"]) == {"FASTLEGEPANEL": "Velkommen!\n«Ring» & <b>"}
    assert oldest["actorHpr"] == ASTRID


async def test_changing_an_addition_records_old_and_new_value(api):
    # Given an addition for Reseptfornyelse
    await save_ok(api, [{"slot": "RESEPTFORNYELSE", "text": "Husk styrke."}])
    # When it is changed
    await save_ok(api, [{"slot": "RESEPTFORNYELSE", "text": "Husk styrke og dose."}])
    # Then the entry holds the value before the change and the one after
    newest = nodes(await audit_log(api))[0]
    assert as_json(newest["before"]) == {"RESEPTFORNYELSE": "Husk styrke."}
    assert as_json(newest["after"]) == {"RESEPTFORNYELSE": "Husk styrke og dose."}


async def test_removing_an_addition_records_old_value_and_null(api):
    await save_ok(api, [{"slot": "KONTAKT_LEGEKONTORET", "text": "Svar innen to dager."}])
    await save_ok(api, [{"slot": "KONTAKT_LEGEKONTORET", "text": "   "}])
    newest = nodes(await audit_log(api))[0]
    assert newest["action"] == "saveTexts"
    assert as_json(newest["before"]) == {"KONTAKT_LEGEKONTORET": "Svar innen to dager."}
    assert as_json(newest["after"]) == {"KONTAKT_LEGEKONTORET": None}


async def test_every_successful_save_appends_exactly_one_entry(api):
    for n in range(1, 4):
        await save_ok(
            api,
            [
                {"slot": "FASTLEGEPANEL", "text": f"Panel {n}"},
                {"slot": "TIMEBESTILLING", "text": f"Time {n}"},
            ],
        )
        log = await audit_log(api)
        assert len(log["edges"]) == n
    data = await api.data(AUDIT_LOG, {"herId": STORGATA, "first": 100}, hpr=ASTRID)
    assert data["practice"]["version"] == 3


async def test_at_is_an_iso_datetime_with_utc_offset(api):
    # Given the clock at 10:00 in Oslo on 10 June 2024 (08:00 UTC, summer time)
    await save_ok(api, [{"slot": "FASTLEGEPANEL", "text": "Hei"}])
    [entry] = nodes(await audit_log(api))
    at = datetime.fromisoformat(entry["at"])
    assert at.utcoffset() is not None
    assert at == datetime(2024, 6, 10, 8, 0, tzinfo=UTC)


async def test_entries_are_newest_first(api, clock):
    # Given three changes of different kinds at 09:00, 10:00 and 11:00
    clock.set(TODAY, time(9, 0))
    await save_ok(api, [{"slot": "RESEPTFORNYELSE", "text": "Husk styrke."}])
    clock.set(TODAY, time(10, 0))
    chosen = await api.data(
        CHOOSE_FORM,
        {"input": {"herId": STORGATA, "entryPoint": "RESEPTFORNYELSE", "formId": None}},
        hpr=ASTRID,
    )
    assert chosen["chooseForm"]["userErrors"] == []
    clock.set(TODAY, time(11, 0))
    added = await api.data(
        ADD_ABSENCE,
        {
            "input": {
                "herId": STORGATA,
                "practitionerHpr": KRISTIAN,
                "from": TODAY.isoformat(),
                "to": (TODAY + timedelta(days=3)).isoformat(),
                "services": ["E_KONSULTASJON"],
            }
        },
        hpr=ASTRID,
    )
    assert added["addAbsence"]["userErrors"] == []
    # Then the log lists them newest first
    entries = nodes(await audit_log(api))
    assert [e["action"] for e in entries] == ["addAbsence", "chooseForm", "saveTexts"]
    ats = [datetime.fromisoformat(e["at"]) for e in entries]
    assert ats == sorted(ats, reverse=True)
    assert len(set(ats)) == 3


# ---------------------------------------------------------------------------
# Paging


async def test_walking_all_pages_returns_every_entry_once(api):
    # Given seven entries
    await make_entries(api, 7)
    everything = nodes(await audit_log(api))
    assert len(everything) == 7
    # When the log is read three at a time
    seen, pages, after = [], [], None
    while True:
        log = await audit_log(api, first=3, after=after)
        pages.append(len(log["edges"]))
        seen.extend(nodes(log))
        assert log["pageInfo"]["endCursor"] == log["edges"][-1]["cursor"]
        if not log["pageInfo"]["hasNextPage"]:
            break
        after = log["pageInfo"]["endCursor"]
        assert len(pages) < 10, "paging does not end"
    # Then every entry comes exactly once, newest first
    assert pages == [3, 3, 1]
    assert [e["id"] for e in seen] == [e["id"] for e in everything]
    assert len({e["id"] for e in seen}) == 7
    assert [as_json(e["after"]) for e in seen] == [
        {"RESEPTFORNYELSE": f"v{n}"} for n in range(6, -1, -1)
    ]


async def test_page_ending_exactly_at_the_last_entry_has_no_next(api):
    await make_entries(api, 4)
    first = await audit_log(api, first=2)
    assert first["pageInfo"]["hasNextPage"] is True
    second = await audit_log(api, first=2, after=first["pageInfo"]["endCursor"])
    assert len(second["edges"]) == 2
    assert second["pageInfo"]["hasNextPage"] is False


async def test_empty_log_has_no_next_page_and_no_cursor(api):
    log = await audit_log(api)
    assert log["edges"] == []
    assert log["pageInfo"] == {"hasNextPage": False, "endCursor": None}


async def test_default_page_size_is_50(api):
    # Given 51 entries
    await make_entries(api, 51)
    # When the log is read without `first`
    data = await api.data(AUDIT_LOG_DEFAULT_FIRST, {"herId": STORGATA}, hpr=ASTRID)
    log = data["practice"]["auditLog"]
    # Then 50 come, and there is more
    assert len(log["edges"]) == 50
    assert log["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize("first", [1, 100])
async def test_first_at_the_bounds_is_accepted(api, first):
    await make_entries(api, 2)
    log = await audit_log(api, first=first)
    assert len(log["edges"]) == min(first, 2)
    assert log["pageInfo"]["hasNextPage"] is (first < 2)


@pytest.mark.parametrize("first", [0, 101, -1])
async def test_first_out_of_range_is_bad_user_input(api, first):
    await make_entries(api, 1)
    body = await api.post(AUDIT_LOG, {"herId": STORGATA, "first": first}, hpr=ASTRID)
    assert "BAD_USER_INPUT" in error_codes(body)
    assert body["data"] is None or body["data"]["practice"] is None


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "", b64("something else"), b64(json.dumps({"id": 1})), b64("audit:9999")],
    ids=["garbage", "empty", "b64-text", "b64-json", "b64-unknown-id"],
)
async def test_cursor_not_handed_out_is_bad_user_input(api, cursor):
    await make_entries(api, 2)
    body = await api.post(AUDIT_LOG, {"herId": STORGATA, "first": 10, "after": cursor}, hpr=ASTRID)
    assert "BAD_USER_INPUT" in error_codes(body)


def b64_bytes(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


# Cursors the service never hands out, each of which must be refused before the database sees
# it: a number past PostgreSQL's integer (the column's type), or past what int() reads.
@pytest.mark.parametrize(
    "cursor",
    [
        b64("audit:" + "9" * 10),
        b64("audit:" + "9" * 25),
        b64("audit:" + "9" * 5_000),
        b64("audit:-1"),
        b64("audit:0"),
        b64("audit:00001"),
        b64("audit:١٢"),
        "Ã¦Ã¸Ã¥ÆØÅ",
        "not base64!",
        b64_bytes(bytes(range(200, 216))),  # as long as a real cursor, not text
        "A" * 60_000,  # under the body limit, so that it reaches the resolver
    ],
    ids=[
        "int32-overflow",
        "25-digits",
        "5000-digits",
        "negative",
        "zero",
        "leading-zeros",
        "non-ascii-digits",
        "non-ascii",
        "not-base64",
        "b64-junk",
        "huge",
    ],
)
async def test_cursor_out_of_range_or_malformed_is_bad_user_input(api, cursor):
    await make_entries(api, 2)
    body = await api.post(AUDIT_LOG, {"herId": STORGATA, "first": 10, "after": cursor}, hpr=ASTRID)
    assert error_codes(body) == ["BAD_USER_INPUT"], body


async def test_cursor_from_another_practice_is_bad_user_input(api):
    # Given Kristian, at both practices, with entries in both logs
    await make_entries(api, 2)
    await save_ok(api, [{"slot": "FASTLEGEPANEL", "text": "Fjord"}], her_id=FJORDBYEN, hpr=JACOB)
    await save_ok(api, [{"slot": "FASTLEGEPANEL", "text": "Fjord 2"}], her_id=FJORDBYEN, hpr=JACOB)
    fjord = await audit_log(api, her_id=FJORDBYEN, hpr=KRISTIAN, first=1)
    assert fjord["pageInfo"]["hasNextPage"] is True
    # When he pages Storgata's log with a cursor from Fjordbyen's
    body = await api.post(
        AUDIT_LOG,
        {"herId": STORGATA, "first": 10, "after": fjord["pageInfo"]["endCursor"]},
        hpr=KRISTIAN,
    )
    # Then it is refused
    assert "BAD_USER_INPUT" in error_codes(body)
    # And the cursor still works where it came from
    rest = await audit_log(
        api, her_id=FJORDBYEN, hpr=KRISTIAN, after=fjord["pageInfo"]["endCursor"]
    )
    assert len(rest["edges"]) == 1


# ---------------------------------------------------------------------------
# No entry without a change


@pytest.mark.parametrize(
    ("document", "input_", "code"),
    [
        (SAVE_TEXTS, {"texts": [{"slot": "FASTLEGEPANEL", "text": "x" * 201}]}, "TOO_LONG"),
        (SAVE_TEXTS, {"texts": [{"slot": "FASTLEGEPANEL", "text": "Hei\x07"}]}, "INVALID_TEXT"),
        (
            SAVE_TEXTS,
            {"texts": [{"slot": "FASTLEGEPANEL", "text": "a"}, {"slot": "FASTLEGEPANEL"}]},
            "DUPLICATE_SLOT",
        ),
        (
            SAVE_TEXTS,
            {"expectedVersion": 0, "texts": [{"slot": "FASTLEGEPANEL", "text": "Ny"}]},
            "STALE_VERSION",
        ),
        (
            CHOOSE_FORM,
            {"entryPoint": "RESEPTFORNYELSE", "formId": "finnes-ikke"},
            "UNKNOWN_FORM",
        ),
        (
            CHOOSE_FORM,
            {"entryPoint": "RESEPTFORNYELSE", "formId": "beskriv-symptomene-dine"},
            "FORM_NOT_ALLOWED",
        ),
        (
            ADD_ABSENCE,
            {
                "practitionerHpr": ASTRID,
                "from": "2024-06-01",
                "to": "2024-06-05",
                "services": ["E_KONSULTASJON"],
            },
            "IN_PAST",
        ),
        (
            ADD_ABSENCE,
            {
                "practitionerHpr": JACOB,
                "from": "2024-06-11",
                "to": "2024-06-12",
                "services": ["E_KONSULTASJON"],
            },
            "NOT_AFFILIATED",
        ),
    ],
    ids=[
        "TOO_LONG",
        "INVALID_TEXT",
        "DUPLICATE_SLOT",
        "STALE_VERSION",
        "UNKNOWN_FORM",
        "FORM_NOT_ALLOWED",
        "IN_PAST",
        "NOT_AFFILIATED",
    ],
)
async def test_no_entry_after_a_user_error(api, document, input_, code):
    # Given one entry (version 1)
    await save_ok(api, [{"slot": "FASTLEGEPANEL", "text": "Velkommen"}])
    # When a mutation fails with a user error
    data = await api.data(document, {"input": {"herId": STORGATA, **input_}}, hpr=ASTRID)
    payload = next(iter(data.values()))
    assert [e["code"] for e in payload["userErrors"]] == [code]
    # Then the log has no new entry and the version did not move
    assert len((await audit_log(api))["edges"]) == 1
    assert payload["practice"]["version"] == 1


async def test_no_entry_after_a_forbidden_save(api):
    body = await api.post(
        SAVE_TEXTS,
        text_input(STORGATA, "FASTLEGEPANEL", "x"),
        hpr=JACOB,
    )
    assert error_codes(body) == ["FORBIDDEN"]
    assert (await audit_log(api))["edges"] == []
