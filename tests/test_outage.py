"""Database outages, for real: a PostgreSQL cluster of the test's own stopped and started, and
an SQLite file made unreachable, while a GP saves every 20 ms and patients read.

Patients of practices the instance has served keep getting answers; a practice never loaded
gets SERVICE_UNAVAILABLE; writes fail only with SERVICE_UNAVAILABLE (503 and Retry-After under
application/graphql-response+json) and work again at once when the database is back; no
acknowledged write is lost; /readyz follows the database."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import (
    FJORDBYEN,
    STORGATA,
    TODAY,
    error_codes,
    text_input,
)
from tests.outage_app import Instance, instance
from tests.own_postgres import OwnCluster, running_cluster

SAVE = """
mutation Save($input: SaveTextsInput!) {
  saveTexts(input: $input) { userErrors { code } }
}
"""

PANEL = """
query Panel($herId: Int!, $on: Date) {
  patientPanel(herId: $herId, practitionerHpr: 9144889, on: $on) {
    panelText services { service available }
  }
}
"""

SERVICE = """
query Service($herId: Int!, $on: Date) {
  patientService(herId: $herId, service: RESEPTFORNYELSE, on: $on) { title practiceText }
}
"""

PRACTICE = """
query Practice($herId: Int!) { practice(herId: $herId) { version } }
"""

LOG_PAGE = """
query Log($herId: Int!, $after: String) {
  practice(herId: $herId) {
    texts { slot text }
    auditLog(first: 100, after: $after) {
      edges { node { after } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

# Long enough for a slow machine, short enough that a hang fails the test rather than CI.
PHASE_DEADLINE_SECONDS = 30.0
# The promise: writes work again this soon after the database is back.
BACK_WITHIN_SECONDS = 2.0


@dataclass
class Report:
    """What the GP, the patients and the load balancer saw, by phase (before, down, back)."""

    phase: str = "before"
    acknowledged: list[tuple[str, str, float]] = field(default_factory=list)
    refused: list[tuple[str, int, str | None, list[dict[str, Any]]]] = field(default_factory=list)
    patient_reads: dict[str, int] = field(default_factory=dict)
    patient_failures: list[tuple[str, int, str]] = field(default_factory=list)
    ready: list[tuple[str, int]] = field(default_factory=list)
    back_at: float = 0.0
    unknown_practice: httpx.Response | None = None
    admin_query: httpx.Response | None = None

    def count(self, phase: str) -> int:
        return sum(1 for p, *_ in self.acknowledged if p == phase)


async def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PHASE_DEADLINE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        await asyncio.sleep(0.02)


async def outage_under_load(
    app: Instance, *, stop: Callable[[], Awaitable[None]], start: Callable[[], Awaitable[None]]
) -> Report:
    """A GP saves every 20 ms, two patients read and a load balancer asks /readyz, while the
    database goes away and comes back."""
    report = Report()
    done = asyncio.Event()

    async def gp() -> None:
        turn = 0
        while not done.is_set():
            phase, text = report.phase, f"Skriv {turn}"
            turn += 1
            response = await app.post(SAVE, text_input(STORGATA, "FASTLEGEPANEL", text), admin=True)
            body = response.json()
            if response.status_code == 200 and "errors" not in body:
                assert body["data"]["saveTexts"]["userErrors"] == []
                report.acknowledged.append((phase, text, time.monotonic()))
            else:
                retry_after = response.headers.get("retry-after")
                report.refused.append((phase, response.status_code, retry_after, body["errors"]))
            await asyncio.sleep(0.02)

    async def patient(number: int) -> None:
        turn = 0
        while not done.is_set():
            phase = report.phase
            # Other dates and both fields: response cache misses that the read model answers.
            on = (TODAY + timedelta(days=turn % 40)).isoformat()
            document = PANEL if (turn + number) % 2 else SERVICE
            turn += 1
            response = await app.post(document, {"herId": STORGATA, "on": on})
            body = response.json()
            if response.status_code != 200 or "errors" in body or None in body["data"].values():
                report.patient_failures.append((phase, response.status_code, response.text))
            else:
                report.patient_reads[phase] = report.patient_reads.get(phase, 0) + 1
            await asyncio.sleep(0.005)

    async def load_balancer() -> None:
        while not done.is_set():
            phase = report.phase
            response = await app.client.get("/readyz")
            report.ready.append((phase, response.status_code))
            await asyncio.sleep(0.05)

    def seen(phase: str, *, ready: int) -> bool:
        return any(p == phase and status == ready for p, status in report.ready)

    async def conductor() -> None:
        try:
            await until(lambda: report.count("before") >= 10, "writes before the outage")
            await until(lambda: report.patient_reads.get("before", 0) >= 20, "patient reads")
            report.phase = "down"
            await stop()
            await until(
                lambda: (
                    sum(1 for p, *_ in report.refused if p == "down") >= 5
                    and report.patient_reads.get("down", 0) >= 40
                    and seen("down", ready=503)
                ),
                "refused writes, patient reads and a 503 from /readyz during the outage",
            )
            report.unknown_practice = await app.post(PANEL, {"herId": FJORDBYEN, "on": None})
            report.admin_query = await app.post(PRACTICE, {"herId": STORGATA}, admin=True)
            await start()
            report.back_at = time.monotonic()
            report.phase = "back"
            await until(
                lambda: report.count("back") >= 10 and seen("back", ready=200),
                "writes and a ready instance after the outage",
            )
        finally:
            done.set()

    await asyncio.gather(conductor(), gp(), patient(0), patient(1), load_balancer())
    return report


async def read_back(app: Instance) -> tuple[str | None, list[str]]:
    """The panel text and every text the audit log says was saved."""
    texts, after = [], None
    while True:
        response = await app.post(LOG_PAGE, {"herId": STORGATA, "after": after}, admin=True)
        practice = response.json()["data"]["practice"]
        log = practice["auditLog"]
        texts += [json.loads(edge["node"]["after"])["FASTLEGEPANEL"] for edge in log["edges"]]
        if not log["pageInfo"]["hasNextPage"]:
            panel = next(t["text"] for t in practice["texts"] if t["slot"] == "FASTLEGEPANEL")
            return panel, texts
        after = log["pageInfo"]["endCursor"]


async def check(app: Instance, report: Report) -> None:
    # Patients of a practice the instance had served never noticed
    assert report.patient_failures == []
    assert report.patient_reads["down"] >= 40
    # A practice it had never loaded got a clear error
    assert report.unknown_practice is not None
    assert error_codes(report.unknown_practice.json()) == ["SERVICE_UNAVAILABLE"]
    # The GP's writes and queries failed only with SERVICE_UNAVAILABLE, a 503 with Retry-After
    assert report.admin_query is not None and report.admin_query.status_code == 503
    assert report.admin_query.headers["retry-after"] == "5"
    [error] = report.admin_query.json()["errors"]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert "Prøv igjen om litt" in error["message"]
    assert report.refused, "no write failed: the database was never down"
    for phase, status, retry_after, errors in report.refused:
        assert phase != "back", errors
        assert [e["extensions"]["code"] for e in errors] == ["SERVICE_UNAVAILABLE"], errors
        assert (status, retry_after) == (503, "5")
    # Writes worked again at once: the first one after the database was back succeeded
    first_back = min(at for phase, _, at in report.acknowledged if phase == "back")
    assert first_back - report.back_at < BACK_WITHIN_SECONDS
    # /readyz followed the database
    assert ("down", 503) in report.ready and report.ready[-1][1] == 200
    # No acknowledged write was lost, and the last one is what patients see
    panel, logged = await read_back(app)
    assert {text for _, text, _ in report.acknowledged} <= set(logged)
    assert panel == report.acknowledged[-1][1]
    print(
        f"\n{len(report.acknowledged)} writes acknowledged, {len(report.refused)} refused, "
        f"patient reads {report.patient_reads}, none failed"
    )


@pytest.fixture
def cluster() -> Iterator[OwnCluster]:
    with running_cluster() as own:
        yield own


async def test_postgresql_restart_under_load(cluster: OwnCluster):
    # Given an instance on a PostgreSQL cluster of our own, under load
    async with instance(cluster.url) as app:
        # When the cluster is stopped (fast shutdown: sessions are ended) and started again
        report = await outage_under_load(
            app,
            stop=lambda: asyncio.to_thread(cluster.stop, "fast"),
            start=lambda: asyncio.to_thread(cluster.start),
        )
        # Then
        await check(app, report)


async def test_postgresql_crash_under_load(cluster: OwnCluster):
    # Given an instance on a PostgreSQL cluster of our own, under load
    async with instance(cluster.url) as app:
        # When the cluster stops as in a crash (immediate: no checkpoint) and starts again
        report = await outage_under_load(
            app,
            stop=lambda: asyncio.to_thread(cluster.stop, "immediate"),
            start=lambda: asyncio.to_thread(cluster.start),
        )
        # Then
        await check(app, report)


async def test_sqlite_file_unreachable_under_load(tmp_path: Path):
    # Given an instance on an SQLite file in a folder of its own, under load
    folder = tmp_path / "data"
    away = tmp_path / "away"
    async with instance(f"sqlite+aiosqlite:///{folder / 'tilpass.db'}") as app:

        async def unreachable() -> None:
            # Renaming the folder works as root too (root ignores chmod). Open connections
            # keep their file handles, so the pool is emptied, as after a restart.
            folder.rename(away)
            await app.services.db.engine.dispose()

        async def reachable() -> None:
            away.rename(folder)

        # When the file cannot be opened for a while
        report = await outage_under_load(app, stop=unreachable, start=reachable)
        # Then
        await check(app, report)
