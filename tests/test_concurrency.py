"""Many GPs at once, and several instances on one database: nothing lost, nothing doubled."""

import asyncio
import json

import httpx
import pytest

from app import Services, create_app
from auth.tokens import development_tokens
from models.catalog import load_catalog
from models.database import Database
from tests.conftest import ASTRID, KRISTIAN, STORGATA, Api

SAVE_TEXTS = """
mutation Save($input: SaveTextsInput!) {
  saveTexts(input: $input) { practice { version } userErrors { code } }
}
"""

PANEL_TEXT = """
query Panel($herId: Int!) { patientPanel(herId: $herId) { panelText } }
"""

VERSION_AND_LOG = """
query Log($herId: Int!, $after: String) {
  practice(herId: $herId) {
    version
    auditLog(first: 100, after: $after) {
      edges { node { action after } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""


def save(text: str, expected_version: int | None = None) -> dict:
    entry = {"herId": STORGATA, "texts": [{"slot": "FASTLEGEPANEL", "text": text}]}
    if expected_version is not None:
        entry["expectedVersion"] = expected_version
    return {"input": entry}


@pytest.fixture
async def second_api(api, settings, clock):
    """Another instance of the service: its own engine and pool on the same database."""
    db = Database(settings.database_url)
    tokens = await development_tokens(db, settings)
    services = Services(db=db, catalog=load_catalog(), verifier=tokens, clock=clock)
    await services.start()
    transport = httpx.ASGITransport(app=create_app(services, settings=settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://second") as client:
        yield Api(client=client, tokens=tokens)
    await services.stop()
    await db.dispose()


async def whole_log(api: Api) -> tuple[int, list[dict]]:
    entries, after = [], None
    while True:
        data = await api.data(VERSION_AND_LOG, {"herId": STORGATA, "after": after}, hpr=ASTRID)
        log = data["practice"]["auditLog"]
        entries += [edge["node"] for edge in log["edges"]]
        if not log["pageInfo"]["hasNextPage"]:
            return data["practice"]["version"], entries
        after = log["pageInfo"]["endCursor"]


async def test_sixteen_saves_with_the_same_expected_version_one_wins(api, second_api):
    # Given sixteen GPs on two instances who all read version 0
    instances = [api, second_api]
    tokens = [api.token(ASTRID), api.token(KRISTIAN)]
    # When they all save at once with expectedVersion 0
    bodies = await asyncio.gather(
        *(
            instances[i % 2].post(SAVE_TEXTS, save(f"Utkast {i}", 0), token=tokens[i % 2])
            for i in range(16)
        )
    )
    # Then exactly one save wins, fifteen are told their version is stale, none crash
    assert all("errors" not in body for body in bodies), bodies
    codes = [[e["code"] for e in body["data"]["saveTexts"]["userErrors"]] for body in bodies]
    assert codes.count([]) == 1
    assert codes.count(["STALE_VERSION"]) == 15
    version, entries = await whole_log(api)
    assert version == 1
    assert len(entries) == 1


async def test_two_hundred_saves_from_sixteen_clients_all_count(api, second_api):
    # Given sixteen clients, half on each instance, with no expectedVersion
    instances = [api, second_api]
    token = api.token(ASTRID)

    async def client(number: int) -> list[dict]:
        results = []
        for turn in range(number, 200, 16):
            results.append(
                await instances[number % 2].post(SAVE_TEXTS, save(f"Melding {turn}"), token=token)
            )
        return results

    # When they send 200 different saves between them
    bodies = [body for batch in await asyncio.gather(*map(client, range(16))) for body in batch]
    # Then every save is applied once: version 200, 200 audit entries, no errors
    assert len(bodies) == 200
    assert all("errors" not in body for body in bodies), [b for b in bodies if "errors" in b][:3]
    assert all(body["data"]["saveTexts"]["userErrors"] == [] for body in bodies)
    version, entries = await whole_log(api)
    assert version == 200
    assert len(entries) == 200
    saved = {json.loads(entry["after"])["FASTLEGEPANEL"] for entry in entries}
    assert saved == {f"Melding {turn}" for turn in range(200)}


async def test_a_write_shows_on_both_instances(api, second_api):
    # Given both instances have served the patient panel once
    for instance in (api, second_api):
        data = await instance.data(PANEL_TEXT, {"herId": STORGATA})
        assert data["patientPanel"]["panelText"] is None
    # When a GP saves through the first instance
    await api.data(SAVE_TEXTS, save("Vi har ferie i juli."), hpr=ASTRID)
    # Then the next patient read on that instance shows it
    data = await api.data(PANEL_TEXT, {"herId": STORGATA})
    assert data["patientPanel"]["panelText"] == "Vi har ferie i juli."
    # And the other instance shows it within one second
    deadline = asyncio.get_running_loop().time() + 1.0
    while True:
        data = await second_api.data(PANEL_TEXT, {"herId": STORGATA})
        if data["patientPanel"]["panelText"] == "Vi har ferie i juli.":
            break
        assert asyncio.get_running_loop().time() < deadline, "not visible within one second"
        await asyncio.sleep(0.05)
