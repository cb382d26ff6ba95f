"""What the CDN in front of Helsenorge may keep (edge/cache.py): successful patient reads by
GET until the next midnight in Oslo, filed under their practices' surrogate keys; nothing
else, and nothing that may already be outdated."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from urllib.parse import urlencode

import pytest

from tests.conftest import ASTRID, FJORDBYEN, KRISTIAN, STORGATA, TODAY, text_input

PANEL = """
query Panel($herId: Int!) { patientPanel(herId: $herId) { panelText } }
"""

TWO = """
query Two($a: Int!, $b: Int!) {
  a: patientService(herId: $a, service: TIMEBESTILLING) { offered }
  b: patientService(herId: $b, service: TIMEBESTILLING) { offered }
}
"""

SAVE = """
mutation Save($input: SaveTextsInput!) { saveTexts(input: $input) { userErrors { code } } }
"""

ME = "query Me { me { hprNumber } }"
SHARED_AT_TEN = "public, max-age=0, s-maxage=50400"  # 10:00 in Oslo: 14 hours to midnight


def url(document: str, **variables: object) -> str:
    return "/graphql?" + urlencode({"query": document, "variables": json.dumps(variables)})


async def test_a_read_by_get_is_shared_until_midnight_under_its_practice(api):
    response = await api.client.get(url(PANEL, herId=STORGATA))
    assert response.status_code == 200
    assert response.headers["cache-control"] == SHARED_AT_TEN
    assert response.headers["surrogate-key"] == f"practice-{STORGATA}"
    assert response.headers["xkey"] == f"practice-{STORGATA}"
    assert response.headers["etag"]
    # And the same from the response cache, with its 304
    again = await api.client.get(
        url(PANEL, herId=STORGATA), headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.headers["cache-control"] == SHARED_AT_TEN
    assert again.headers["xkey"] == f"practice-{STORGATA}"


# (Oslo date and time, seconds to the next midnight)
MIDNIGHTS = [
    (TODAY, time(23, 59, 30), 30),
    (TODAY, time(0, 0), 86_400),
    (date(2024, 3, 30), time(12, 0), 12 * 3600),  # the night summer time begins
    (date(2024, 3, 31), time(1, 0), 22 * 3600),  # a day of 23 hours: 01:00 is 22 h before
    (date(2024, 10, 27), time(1, 0), 24 * 3600),  # a day of 25 hours
]


@pytest.mark.parametrize(("day", "at", "seconds"), MIDNIGHTS)
async def test_s_maxage_runs_to_the_next_oslo_midnight(api, clock, day, at, seconds):
    clock.set(day, at)
    response = await api.client.get(url(PANEL, herId=STORGATA))
    assert response.headers["cache-control"] == f"public, max-age=0, s-maxage={seconds}"


async def test_a_read_of_two_practices_names_both(api):
    response = await api.client.get(url(TWO, a=FJORDBYEN, b=STORGATA))
    keys = f"practice-{STORGATA} practice-{FJORDBYEN}"
    assert response.headers["surrogate-key"] == response.headers["xkey"] == keys


async def test_an_unknown_practice_is_shared_under_its_number(api):
    # So that the practice's first sync purges the "unknown" answer
    response = await api.client.get(url(PANEL, herId=8000000))
    assert response.json() == {"data": {"patientPanel": None}}
    assert response.headers["xkey"] == "practice-8000000"


async def test_post_reads_are_revalidated_and_not_filed(api):
    response = await api.client.post("/graphql", json={"query": PANEL, "variables": {"herId": 1}})
    assert response.headers["cache-control"] == "public, no-cache"
    assert "xkey" not in response.headers and "surrogate-key" not in response.headers


@pytest.mark.parametrize(
    "headers",
    [{"Authorization": "Bearer x"}, {"Cookie": "__Host-tilpass_session=abc"}],
    ids=["authorization", "session-cookie"],
)
async def test_a_read_with_credentials_is_not_shared(api, headers):
    response = await api.client.get(url(PANEL, herId=STORGATA), headers=headers)
    assert response.status_code == 200
    assert "s-maxage" not in response.headers["cache-control"]
    assert "xkey" not in response.headers


async def test_a_third_party_cookie_does_not_stop_sharing(api):
    response = await api.client.get(url(PANEL, herId=STORGATA), headers={"Cookie": "_ga=GA1.1"})
    assert response.headers["cache-control"] == SHARED_AT_TEN


@pytest.mark.parametrize(
    ("path", "hpr"),
    [
        (url(ME), ASTRID),
        (url(PANEL, herId="x"), None),  # a variable error
        (url("query { nothing }"), None),  # a validation error
        ("/graphql?query=" + "{", None),  # a syntax error
    ],
    ids=["admin", "variable-error", "validation-error", "syntax-error"],
)
async def test_admin_answers_and_errors_are_never_stored(api, path, hpr):
    headers = {"Authorization": f"Bearer {api.token(hpr)}"} if hpr else {}
    response = await api.client.get(path, headers=headers)
    assert response.headers["cache-control"] == "no-store"
    assert "xkey" not in response.headers


async def test_answers_while_the_database_is_unreachable_are_not_shared(api):
    # Given a read the response cache holds
    assert (await api.client.get(url(PANEL, herId=STORGATA))).headers["cache-control"] == (
        SHARED_AT_TEN
    )
    # When the change watcher finds the database unreachable
    watcher = api.services.watcher
    watcher.unreachable_since = watcher.monotonic()
    try:
        # Then patients still get the last known state, but no shared cache may keep it
        response = await api.client.get(url(PANEL, herId=STORGATA))
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, no-cache"
        assert "xkey" not in response.headers
    finally:
        watcher.unreachable_since = None


async def test_a_read_across_a_change_is_not_shared(api, monkeypatch):
    # Given a change that commits while a read is being answered
    read_model = api.services.read_model
    load = read_model.snapshot

    async def load_then_change(her_id: int):
        snapshot = await load(her_id)
        body = await api.post(SAVE, text_input(STORGATA, "FASTLEGEPANEL", "Ny."), hpr=ASTRID)
        assert body["data"]["saveTexts"]["userErrors"] == []
        return snapshot

    monkeypatch.setattr(read_model, "snapshot", load_then_change)
    # When the read is answered
    response = await api.client.get(url(PANEL, herId=STORGATA))
    # Then it may be outdated already: the CDN must not keep it
    assert response.status_code == 200
    assert response.json()["data"]["patientPanel"]["panelText"] is None
    assert "s-maxage" not in response.headers["cache-control"]


def test_the_clock_in_these_tests_is_ten_in_oslo(clock):
    assert clock().astimezone(UTC).replace(tzinfo=None) == datetime(2024, 6, 10, 8, 0)


async def test_each_media_type_is_its_own_representation(api):
    as_json = await api.client.get(
        url(PANEL, herId=STORGATA), headers={"Accept": "application/json"}
    )
    graphql = "application/graphql-response+json"
    as_graphql = await api.client.get(url(PANEL, herId=STORGATA), headers={"Accept": graphql})
    assert as_json.content == as_graphql.content
    assert as_json.headers["etag"] != as_graphql.headers["etag"]
    for response in (as_json, as_graphql):
        assert "accept" in response.headers["vary"].lower().split(", ")
    # A revalidation with the other type's ETag is no match
    other = await api.client.get(
        url(PANEL, herId=STORGATA),
        headers={"Accept": graphql, "If-None-Match": as_json.headers["etag"]},
    )
    assert other.status_code == 200


async def test_a_read_across_another_practices_change_is_still_shared(api, monkeypatch):
    # Given a change to Fjordbyen that commits while a read of Storgata is answered
    read_model = api.services.read_model
    load = read_model.snapshot

    async def load_then_change_elsewhere(her_id: int):
        snapshot = await load(her_id)
        text = text_input(FJORDBYEN, "FASTLEGEPANEL", "Ny.")
        body = await api.post(SAVE, text, hpr=KRISTIAN)
        assert body["data"]["saveTexts"]["userErrors"] == []
        return snapshot

    monkeypatch.setattr(read_model, "snapshot", load_then_change_elsewhere)
    # Then the read of Storgata may still go to the CDN
    response = await api.client.get(url(PANEL, herId=STORGATA))
    assert response.headers["cache-control"] == SHARED_AT_TEN
