"""The patient view's read model: practices held in memory, fresh after every change (here at
once, elsewhere within a second), and bounded."""

import asyncio
import json
from datetime import time, timedelta

import httpx

from app import Services, create_app
from auth.tokens import development_tokens
from models.catalog import load_catalog
from models.database import Database, recording_statements
from tests.conftest import (
    ASTRID,
    FJORDBYEN,
    STORGATA,
    TODAY,
    Api,
    import_text,
    registry_text,
    text_input,
)

PANEL = """
query Panel($herId: Int!, $hpr: Int, $on: Date) {
  patientPanel(herId: $herId, practitionerHpr: $hpr, on: $on) {
    practice { name } panelText services { service available }
  }
}
"""

SAVE = """
mutation Save($input: SaveTextsInput!) { saveTexts(input: $input) { userErrors { code } } }
"""

_days = iter(range(1, 10_000))


def fresh_day() -> str:
    """A date no earlier request used, so the response cache cannot answer: the read model must."""
    return (TODAY + timedelta(days=next(_days))).isoformat()


async def panel(api: Api, her_id: int = STORGATA, hpr: int | None = None) -> dict | None:
    variables = {"herId": her_id, "hpr": hpr, "on": fresh_day()}
    return (await api.data(PANEL, variables))["patientPanel"]


async def within_a_second(check) -> None:
    deadline = asyncio.get_running_loop().time() + 1.0
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "stale after one second"
        await asyncio.sleep(0.05)


async def instance(db_url: str, settings, clock, **options) -> tuple[Services, Api]:
    db = Database(db_url)
    tokens = await development_tokens(db, settings)
    services = Services(db=db, catalog=load_catalog(), verifier=tokens, clock=clock, **options)
    await services.start()
    transport = httpx.ASGITransport(app=create_app(services, settings=settings))
    client = httpx.AsyncClient(transport=transport, base_url="http://other")
    return services, Api(client=client, tokens=tokens, services=services)


async def close(services: Services, api: Api) -> None:
    await api.client.aclose()
    await services.stop()
    await services.db.dispose()


async def test_a_change_here_shows_in_the_very_next_read(api):
    assert (await panel(api))["panelText"] is None  # held from now on
    await api.data(SAVE, text_input(STORGATA, "FASTLEGEPANEL", "Stengt i dag."), hpr=ASTRID)
    assert (await panel(api))["panelText"] == "Stengt i dag."


async def test_a_change_on_another_instance_shows_within_a_second(api, settings, clock):
    # Given a second instance that holds Storgata
    services, other = await instance(settings.database_url, settings, clock)
    try:
        assert (await panel(other))["panelText"] is None
        # When a GP saves through the first instance
        await api.data(SAVE, text_input(STORGATA, "FASTLEGEPANEL", "Ny tekst."), hpr=ASTRID)

        # Then the second shows it within one second
        async def shows() -> bool:
            return (await panel(other))["panelText"] == "Ny tekst."

        await within_a_second(shows)
    finally:
        await close(services, other)


async def test_a_registry_import_elsewhere_shows_within_a_second(api, db):
    # Given Storgata held, with Astrid affiliated and every service offered
    assert (await panel(api, hpr=ASTRID)) is not None
    # When another process imports a registry where Astrid has left and a service is gone
    registry = json.loads(registry_text())
    storgata = registry["practices"][0]
    storgata["offered"] = ["TIMEBESTILLING"]
    storgata["practitioners"] = [p for p in storgata["practitioners"] if p["hprNumber"] != ASTRID]
    await import_text(db, json.dumps(registry))

    # Then within a second her patients' view is refused and the service is off for everyone
    async def shows() -> bool:
        return await panel(api, hpr=ASTRID) is None

    await within_a_second(shows)
    offered = {s["service"]: s["available"] for s in (await panel(api))["services"]}
    assert offered["RESEPTFORNYELSE"] is False and offered["TIMEBESTILLING"] is True


async def test_a_practice_added_by_an_import_is_found_at_once(api, db):
    new_her_id = 8142599
    assert await panel(api, new_her_id) is None
    registry = json.loads(registry_text())
    registry["practices"].append(
        {**registry["practices"][1], "herId": new_her_id, "name": "Nytt legekontor"}
    )
    await import_text(db, json.dumps(registry))
    assert (await panel(api, new_her_id))["practice"]["name"] == "Nytt legekontor"


async def test_memory_is_bounded_least_recently_read_first(api, db, settings, clock):
    # Given an instance that may hold one practice
    services, small = await instance(settings.database_url, settings, clock, read_model_practices=1)
    try:
        await services.stop()  # the change watcher's polls are not the reads' statements
        await panel(small, STORGATA)
        await panel(small, FJORDBYEN)
        # Then it holds only the one read last
        assert len(services.read_model) == 1
        with recording_statements(services.db) as statements:
            await panel(small, FJORDBYEN)
        assert statements == []
        # And the other is read again from the database
        with recording_statements(services.db) as statements:
            await panel(small, STORGATA)
        assert 1 <= len(statements) <= 2
        assert len(services.read_model) == 1
    finally:
        await small.client.aclose()
        await services.db.dispose()


async def test_concurrent_first_reads_of_a_practice_load_it_once(api, db):
    await api.services.stop()
    api.services.read_model.clear()
    with recording_statements(db) as statements:
        views = await asyncio.gather(*(panel(api) for _ in range(20)))
    assert all(view["practice"]["name"] for view in views)
    assert len(statements) <= 2


ADD_SCHEDULED = """
mutation Add($input: AddScheduledTextInput!) { addScheduledText(input: $input) { userErrors { code } } }
"""
TODAYS_PANEL = (
    "query Panel($herId: Int!) { patientPanel(herId: $herId) { panelText panelTextUntil } }"
)


async def test_a_scheduled_text_starts_at_midnight_without_a_write_or_a_statement(api, db, clock):
    # Given a holiday notice from tomorrow, and the practice read (and held) today
    tomorrow = TODAY + timedelta(days=1)
    notice = {"herId": STORGATA, "slot": "FASTLEGEPANEL", "text": "Vi har ferie."}
    period = {"from": tomorrow.isoformat(), "to": (tomorrow + timedelta(days=2)).isoformat()}
    added = await api.data(ADD_SCHEDULED, {"input": {**notice, **period}}, hpr=ASTRID)
    assert added["addScheduledText"]["userErrors"] == []
    today = (await api.data(TODAYS_PANEL, {"herId": STORGATA}))["patientPanel"]
    assert today["panelText"] != "Vi har ferie."
    await api.services.stop()  # the change watcher's polls are not the read's statements
    # When the clock passes midnight in Oslo
    clock.set(tomorrow, time(0, 0, 1))
    with recording_statements(db) as statements:
        after = (await api.data(TODAYS_PANEL, {"herId": STORGATA}))["patientPanel"]
    # Then patients see the notice, from what is held
    assert after == {"panelText": "Vi har ferie.", "panelTextUntil": period["to"]}
    assert statements == []
