"""Database faults beyond a plain outage: a database that hangs instead of refusing, the end
of the stale window, and a connection lost while a change is being committed."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection

from settings import SettingsError, load_settings
from tests.conftest import STORGATA, error_codes, postgres_database, text_input
from tests.outage_app import instance
from tests.own_postgres import OwnCluster, running_cluster

PANEL = """
query Panel($herId: Int!) {
  patientPanel(herId: $herId) { panelText services { service available } }
}
"""

SAVE = """
mutation Save($input: SaveTextsInput!) {
  saveTexts(input: $input) { userErrors { code } }
}
"""

PRACTICE = """
query Practice($herId: Int!) { practice(herId: $herId) { version texts { slot text } } }
"""


def processes_of(cluster: OwnCluster) -> list[int]:
    """The postmaster and its children (backends and helpers)."""
    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
    return [postmaster, *map(int, children)]


@contextmanager
def frozen(cluster: OwnCluster) -> Iterator[None]:
    """Every process of the cluster stopped (SIGSTOP): connections open, nothing answers, as
    when the database's machine hangs or the network drops packets."""
    pids = processes_of(cluster)
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


async def test_a_database_that_hangs_costs_an_error_not_a_hang():
    if not Path("/proc/self/task").is_dir():
        pytest.skip("needs /proc to find the cluster's processes")
    with running_cluster() as cluster:
        # Given an instance with a one-second database timeout that has served a practice
        async with instance(cluster.url, timeout=1.0) as app:
            assert (await app.post(PANEL, {"herId": STORGATA})).status_code == 200
            # When the database stops answering (the client gives up after 30 s)
            with frozen(cluster):
                query = await app.post(PRACTICE, {"herId": STORGATA}, admin=True)
                save = await app.post(
                    SAVE, text_input(STORGATA, "FASTLEGEPANEL", "Under frysen"), admin=True
                )
                panel = await app.post(PANEL, {"herId": STORGATA})
                ready = await app.client.get("/readyz")
            # Then admin requests get SERVICE_UNAVAILABLE, patients what is known, and the
            # instance is taken out of rotation
            assert query.status_code == 503 and error_codes(query.json()) == ["SERVICE_UNAVAILABLE"]
            assert save.status_code == 503
            assert error_codes(save.json()) == ["SERVICE_UNAVAILABLE"]
            assert panel.status_code == 200 and "errors" not in panel.json()
            assert ready.status_code == 503
            # And when it answers again, so does the instance
            saved = await app.post(
                SAVE, text_input(STORGATA, "FASTLEGEPANEL", "Etter frysen"), admin=True
            )
            assert saved.json() == {"data": {"saveTexts": {"userErrors": []}}}
            assert (await app.client.get("/readyz")).status_code == 200


async def test_after_the_stale_window_patients_wait_for_the_database(tmp_path: Path):
    folder, away = tmp_path / "data", tmp_path / "away"
    async with instance(f"sqlite+aiosqlite:///{folder / 'tilpass.db'}") as app:
        # Given an instance that has served a practice, whose change watcher we drive
        watcher = app.services.watcher
        assert watcher is not None
        await watcher.stop()
        now = [1000.0]
        watcher.monotonic = lambda: now[0]
        assert "errors" not in (await app.post(PANEL, {"herId": STORGATA})).json()
        # When the database file cannot be opened
        folder.rename(away)
        await app.services.db.engine.dispose()
        await watcher.tick()
        # Then patients get the last known state until the stale window ends
        now[0] += watcher.stale_for - 1
        await watcher.tick()
        assert "errors" not in (await app.post(PANEL, {"herId": STORGATA})).json()
        now[0] += 1
        await watcher.tick()
        refused = (await app.post(PANEL, {"herId": STORGATA})).json()
        assert error_codes(refused) == ["SERVICE_UNAVAILABLE"]
        # And after it, once the database answers again
        away.rename(folder)
        await watcher.tick()
        assert "errors" not in (await app.post(PANEL, {"herId": STORGATA})).json()


async def test_a_commit_whose_outcome_is_unknown_says_so():
    async with postgres_database() as url, instance(url) as app:
        # Given a connection that is ended by the server just as the change commits
        def end_connection(connection: Connection) -> None:
            connection.exec_driver_sql("SELECT pg_terminate_backend(pg_backend_pid())")

        engine = app.services.db.engine.sync_engine
        event.listen(engine, "commit", end_connection, once=True)
        # When the GP saves
        response = await app.post(
            SAVE, text_input(STORGATA, "FASTLEGEPANEL", "Kanskje lagret"), admin=True
        )
        # Then the GP is told the change may or may not be saved, and to look first
        [error] = response.json()["errors"]
        assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE", "commitUnknown": True}
        assert error["message"].startswith("Vi vet ikke om endringen ble lagret")
        # And the next request works
        practice = await app.post(PRACTICE, {"herId": STORGATA}, admin=True)
        assert "errors" not in practice.json()


def test_the_outage_settings():
    assert (load_settings({}).stale_for_seconds, load_settings({}).database_timeout_seconds) == (
        300,
        5,
    )
    given = load_settings(
        {"TILPASS_STALE_FOR_SECONDS": "60", "TILPASS_DATABASE_TIMEOUT_SECONDS": "2"}
    )
    assert (given.stale_for_seconds, given.database_timeout_seconds) == (60, 2)
    with pytest.raises(SettingsError, match="TILPASS_STALE_FOR_SECONDS"):
        load_settings({"TILPASS_STALE_FOR_SECONDS": "fem minutter"})


async def test_under_application_json_an_outage_is_a_200_with_the_code(tmp_path: Path):
    folder, away = tmp_path / "data", tmp_path / "away"
    async with instance(f"sqlite+aiosqlite:///{folder / 'tilpass.db'}") as app:
        # Given a database file that cannot be opened
        folder.rename(away)
        await app.services.db.engine.dispose()
        try:
            # When a client from before the GraphQL-over-HTTP specification asks
            response = await app.client.post(
                "/graphql",
                json={"query": PRACTICE, "variables": {"herId": STORGATA}},
                headers={"Authorization": f"Bearer {app.token}", "Accept": "application/json"},
            )
        finally:
            away.rename(folder)
        # Then it gets 200, as for every request that reaches GraphQL, and the code
        assert response.status_code == 200 and "retry-after" not in response.headers
        assert response.json()["data"] == {"practice": None}
        assert error_codes(response.json()) == ["SERVICE_UNAVAILABLE"]


async def test_an_answer_from_the_last_known_state_does_not_outlive_the_outage(tmp_path: Path):
    folder, away = tmp_path / "data", tmp_path / "away"
    async with instance(f"sqlite+aiosqlite:///{folder / 'tilpass.db'}") as app:
        # Given a practice patients have read, whose change watcher we drive
        watcher = app.services.watcher
        assert watcher is not None
        await watcher.stop()
        assert (await app.post(PANEL, {"herId": STORGATA})).json()["data"]["patientPanel"][
            "panelText"
        ] is None
        # And a change the watcher has seen, which patients have not read yet
        saved = await app.post(SAVE, text_input(STORGATA, "FASTLEGEPANEL", "Ny tekst"), admin=True)
        assert saved.json() == {"data": {"saveTexts": {"userErrors": []}}}
        await watcher.tick()
        # When the database goes away before they do
        folder.rename(away)
        await app.services.db.engine.dispose()
        await watcher.tick()
        # Then patients get the last known state
        during = (await app.post(PANEL, {"herId": STORGATA})).json()
        assert during["data"]["patientPanel"]["panelText"] is None
        # And once the database is back, the change, although no poll finds it new
        away.rename(folder)
        await watcher.tick()
        after = (await app.post(PANEL, {"herId": STORGATA})).json()
        assert after["data"]["patientPanel"]["panelText"] == "Ny tekst"
