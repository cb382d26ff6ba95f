"""The patient view is cached whole, and never stale: ETags, 304s, Cache-Control, and
invalidation by writes here, writes elsewhere, and midnight."""

import asyncio
import json
from datetime import time, timedelta
from urllib.parse import urlencode

from tests.conftest import (
    ASTRID,
    KRISTIAN,
    STORGATA,
    TODAY,
    import_text,
    registry_text,
    samples,
    text_input,
)

PANEL = """
query Panel($herId: Int!, $hpr: Int) {
  patientPanel(herId: $herId, practitionerHpr: $hpr) {
    panelText
    services { service available absence { from returnsOn } }
  }
}
"""

SAVE_PANEL_TEXT = """
mutation Save($input: SaveTextsInput!) { saveTexts(input: $input) { userErrors { code } } }
"""

ADD_ABSENCE = """
mutation Add($input: AddAbsenceInput!) {
  addAbsence(input: $input) { absence { id } userErrors { code message } }
}
"""

ME = "query Me { me { hprNumber } }"

MIXED = """
query Mixed($herId: Int!) { patientPanel(herId: $herId) { panelText } me { hprNumber } }
"""


def panel_url(**variables) -> str:
    return "/graphql?" + urlencode({"query": PANEL, "variables": json.dumps(variables)})


async def save_panel_text(api, text: str) -> None:
    data = await api.data(
        SAVE_PANEL_TEXT,
        text_input(STORGATA, "FASTLEGEPANEL", text),
        hpr=ASTRID,
    )
    assert data["saveTexts"]["userErrors"] == []


async def test_patient_response_has_an_etag_and_must_be_revalidated(api):
    response = await api.client.get(panel_url(herId=STORGATA))
    assert response.status_code == 200
    assert response.headers["etag"].startswith('"')
    assert response.headers["cache-control"] == "public, max-age=0, s-maxage=50400"
    again = await api.client.get(panel_url(herId=STORGATA))
    assert again.headers["etag"] == response.headers["etag"]
    assert again.content == response.content


async def test_matching_if_none_match_gets_304(api):
    first = await api.client.get(panel_url(herId=STORGATA))
    etag = first.headers["etag"]
    response = await api.client.get(panel_url(herId=STORGATA), headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    other = await api.client.get(panel_url(herId=STORGATA), headers={"If-None-Match": '"x"'})
    assert other.status_code == 200


async def test_change_shows_in_the_next_request_with_a_new_etag(api):
    # Given a patient page cached, with its ETag
    first = await api.client.get(panel_url(herId=STORGATA))
    etag = first.headers["etag"]
    # When a GP changes the panel text on this instance
    await save_panel_text(api, "Stengt fredag.")
    # Then the very next conditional request gets the new view and a new ETag
    response = await api.client.get(panel_url(herId=STORGATA), headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.json()["data"]["patientPanel"]["panelText"] == "Stengt fredag."
    assert response.headers["etag"] != etag


async def test_post_is_cached_and_fresh_too(api):
    before = await api.data(PANEL, {"herId": STORGATA})
    assert before["patientPanel"]["panelText"] is None
    await save_panel_text(api, "Ny tekst.")
    after = await api.data(PANEL, {"herId": STORGATA})
    assert after["patientPanel"]["panelText"] == "Ny tekst."


async def test_etag_changes_exactly_when_the_response_does(api):
    # A write that leaves this view as it was keeps its ETag; one that changes it does not
    first = (await api.client.get(panel_url(herId=STORGATA))).headers["etag"]
    await api.data(
        SAVE_PANEL_TEXT,
        text_input(STORGATA, "TIMEBESTILLING", "Ring oss."),
        hpr=ASTRID,
    )
    assert (await api.client.get(panel_url(herId=STORGATA))).headers["etag"] == first
    await save_panel_text(api, "Endret.")
    assert (await api.client.get(panel_url(herId=STORGATA))).headers["etag"] != first


async def test_absence_from_tomorrow_switches_off_at_midnight_without_a_write(api, clock):
    # Given an absence from tomorrow, and today's view cached
    tomorrow = TODAY + timedelta(days=1)
    data = await api.data(
        ADD_ABSENCE,
        {
            "input": {
                "herId": STORGATA,
                "practitionerHpr": ASTRID,
                "from": tomorrow.isoformat(),
                "to": (tomorrow + timedelta(days=3)).isoformat(),
                "services": ["RESEPTFORNYELSE"],
            }
        },
        hpr=KRISTIAN,
    )
    assert data["addAbsence"]["userErrors"] == []
    clock.set(TODAY, at=time(23, 59))
    for _ in range(2):
        view = await api.data(PANEL, {"herId": STORGATA, "hpr": ASTRID})
        assert all(s["available"] for s in view["patientPanel"]["services"])
    # When midnight passes in Europe/Oslo
    clock.set(tomorrow, at=time(0, 0, 1))
    # Then the service is off, with no write in between
    view = await api.data(PANEL, {"herId": STORGATA, "hpr": ASTRID})
    off = {s["service"]: s["available"] for s in view["patientPanel"]["services"]}
    assert off["RESEPTFORNYELSE"] is False
    assert off["TIMEBESTILLING"] is True


async def test_admin_answers_are_never_shared_between_users(api):
    first = await api.post(ME, hpr=ASTRID)
    second = await api.post(ME, hpr=KRISTIAN)
    assert first["data"]["me"]["hprNumber"] == ASTRID
    assert second["data"]["me"]["hprNumber"] == KRISTIAN
    response = await api.client.post(
        "/graphql",
        json={"query": ME},
        headers={"Authorization": f"Bearer {api.token(ASTRID)}"},
    )
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers


async def test_a_query_that_asks_who_you_are_is_not_cached(api):
    anonymous = await api.post(MIXED, {"herId": STORGATA})
    signed_in = await api.post(MIXED, {"herId": STORGATA}, hpr=ASTRID)
    assert anonymous["data"]["me"] is None
    assert signed_in["data"]["me"] == {"hprNumber": ASTRID}


async def test_errors_are_not_cached(api):
    response = await api.client.get(panel_url(herId="nope"))
    assert "errors" in response.json()
    assert response.headers["cache-control"] == "no-store"


async def test_registry_import_by_another_process_shows_within_a_second(api, db):
    # Given the panel cached with every service offered
    view = await api.data(PANEL, {"herId": STORGATA})
    assert all(s["available"] for s in view["patientPanel"]["services"])
    # When the registry is re-imported elsewhere (not through this instance), dropping a service
    registry = json.loads(registry_text())
    registry["practices"][0]["offered"] = ["TIMEBESTILLING"]
    await import_text(db, json.dumps(registry))
    # Then this instance shows it within one second
    deadline = asyncio.get_running_loop().time() + 1.0
    while True:
        view = await api.data(PANEL, {"herId": STORGATA})
        available = {s["service"]: s["available"] for s in view["patientPanel"]["services"]}
        if available["RESEPTFORNYELSE"] is False:
            break
        assert asyncio.get_running_loop().time() < deadline, "stale after one second"
        await asyncio.sleep(0.05)
    assert available["TIMEBESTILLING"] is True


async def test_a_full_cache_lets_its_oldest_answer_go_first(api):
    # Given room for two answers, and three requests that differ only in their spacing
    api.services.cache.max_entries = 2
    first, second, third = (
        "/graphql?"
        + urlencode({"query": PANEL + " " * n, "variables": json.dumps({"herId": STORGATA})})
        for n in range(3)
    )
    hits = ("tilpass_response_cache_hits_total", (("operation", "query:patientPanel"),))
    for url in (first, second, third):
        assert (await api.client.get(url)).status_code == 200
    assert (await samples(api.client)).get(hits, 0) == 0
    # When the second is asked again, it is still kept
    await api.client.get(second)
    assert (await samples(api.client))[hits] == 1
    # But the first, the oldest, had gone to make room for the third
    await api.client.get(first)
    assert (await samples(api.client))[hits] == 1
    assert len(api.services.cache) == 2
