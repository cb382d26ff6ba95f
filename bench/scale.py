"""Cold patient-view latency with national data and with 100 times as much.

    .venv/bin/python bench/scale.py [--factor 100] [--samples 1000]

Builds two SQLite databases through the migrations, fills them in bulk (1x: about 1,600
practices, 5,000 practitioners, 10,000 absences; the other `--factor` times that), then asks
for patientPanel with practitionerHpr through the ASGI app, emptying the response cache
before every request so that each one is cold, in two ways: a practice's first read (its
read-model snapshot forgotten too, so the read loads it from the database) and a later cold
read (the snapshot held). Prints p50 and p90 of each for both sizes and the ratios."""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import httpx

from app import Services, create_app
from auth.tokens import development_tokens
from models.catalog import load_catalog
from models.database import Database
from settings import Settings

PRACTICES, PRACTITIONERS_PER_PRACTICE, ABSENCES_PER_PRACTITIONER = 1_600, 3, 2
SERVICES = '["TIMEBESTILLING", "E_KONSULTASJON", "RESEPTFORNYELSE", "KONTAKT_LEGEKONTORET"]'
PANEL = (
    "query Panel($herId: Int!, $hpr: Int) { patientPanel(herId: $herId, practitionerHpr: $hpr)"
    " { panelText services { available practiceText form { id } absence { returnsOn } } } }"
)


def fill(path: Path, factor: int) -> list[tuple[int, int]]:
    """Bulk rows straight into the migrated file; returns (herId, hpr) pairs to ask for."""
    practices = PRACTICES * factor
    today = date.today()
    connection = sqlite3.connect(path)
    with connection:
        connection.executemany(
            "INSERT INTO practice (her_id, name, org_number, offered, version, changed_in)"
            " VALUES (?, ?, '974600951', ?, 0, 0)",
            ((100_000 + p, f"Legekontor {p}", SERVICES) for p in range(practices)),
        )
        people = [
            (1_000_000 + p * PRACTITIONERS_PER_PRACTICE + n, 100_000 + p)
            for p in range(practices)
            for n in range(PRACTITIONERS_PER_PRACTICE)
        ]
        connection.executemany(
            "INSERT INTO practitioner (hpr_number, name) VALUES (?, ?)",
            ((hpr, f"Lege {hpr}") for hpr, _ in people),
        )
        connection.executemany(
            "INSERT INTO affiliation (her_id, hpr_number) VALUES (?, ?)",
            ((her_id, hpr) for hpr, her_id in people),
        )
        connection.executemany(
            "INSERT INTO absence (id, her_id, hpr_number, from_date, to_date, services,"
            " created_at, created_by_hpr) VALUES (?, ?, ?, ?, ?, '[\"RESEPTFORNYELSE\"]',"
            " '2024-01-01 00:00:00', ?)",
            (
                (f"{hpr}-{a}", her_id, hpr, str(start), str(start + timedelta(days=6)), hpr)
                for hpr, her_id in people
                for a in range(ABSENCES_PER_PRACTITIONER)
                for start in [today + timedelta(days=30 * a + hpr % 20)]
            ),
        )
        connection.executemany(
            "INSERT INTO practice_text (her_id, slot, text, updated_at, updated_by_hpr)"
            " VALUES (?, 'FASTLEGEPANEL', 'Velkommen til oss.', '2024-01-01 00:00:00', 1)",
            ((100_000 + p,) for p in range(practices)),
        )
    connection.execute("ANALYZE")
    connection.close()
    return people


async def measure(folder: Path, factor: int, samples: int) -> dict[str, list[float]]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{folder / f'scale{factor}.db'}")
    db = Database(settings.database_url)
    await db.upgrade()
    started = time.monotonic()
    people = fill(folder / f"scale{factor}.db", factor)
    print(
        f"{factor:4d}x: {len(people) // 3} practices, {len(people)} practitioners, "
        f"{len(people) * ABSENCES_PER_PRACTITIONER} absences (built in {time.monotonic() - started:.0f} s)"
    )
    tokens = await development_tokens(db, settings)
    services = Services(db=db, catalog=load_catalog(), verifier=tokens)
    transport = httpx.ASGITransport(app=create_app(services, settings=settings))
    chosen = random.Random(7).sample(people, samples)
    timings: dict[str, list[float]] = {"first read": [], "later cold read": []}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def timed(her_id: int, hpr: int) -> float:
            services.cache.clear()
            begin = time.perf_counter()
            response = await client.post(
                "/graphql", json={"query": PANEL, "variables": {"herId": her_id, "hpr": hpr}}
            )
            elapsed = (time.perf_counter() - begin) * 1000
            assert response.json()["data"]["patientPanel"] is not None
            return elapsed

        for hpr, her_id in chosen[:50]:
            await timed(her_id, hpr)
        for hpr, her_id in chosen:
            services.read_model.invalidate([her_id])
            timings["first read"].append(await timed(her_id, hpr))
            timings["later cold read"].append(await timed(her_id, hpr))
    await db.dispose()
    return timings


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--factor", type=int, default=100)
    parser.add_argument("--samples", type=int, default=1000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tilpass-scale-"))
    results = {factor: await measure(folder, factor, args.samples) for factor in (1, args.factor)}
    for kind in results[1]:
        p50s = {}
        for factor, timings in results.items():
            p50s[factor] = statistics.median(timings[kind])
            p90 = statistics.quantiles(timings[kind], n=10)[-1]
            print(
                f"{factor:4d}x  patientPanel, {kind:16}  p50 {p50s[factor]:.2f} ms  p90 {p90:.2f} ms"
            )
        print(f"      p50 ratio {args.factor}x / 1x, {kind}: {p50s[args.factor] / p50s[1]:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
