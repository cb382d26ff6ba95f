"""Counts the SQL statements each operation costs, cold (nothing cached).

    .venv/bin/python bench/sql_count.py [--absences 200]

Builds a practice with many absences, audit entries and practitioners on a fresh SQLite
database, then runs each operation once through the ASGI app and prints the statements
it sent (transaction control not counted)."""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from datetime import timedelta
from pathlib import Path

import httpx

from app import Services, create_app
from auth.tokens import development_tokens
from models.catalog import load_catalog
from models.database import Database, recording_statements
from resolvers.dates import oslo_date, system_clock
from resolvers.registry import import_registry, parse_registry
from settings import Settings

HER_ID, ASTRID, KRISTIAN = 8142519, 9144889, 1810001

OPERATIONS = {
    "patientService (with practitionerHpr)": (
        "query { patientService(herId: 8142519, service: RESEPTFORNYELSE, practitionerHpr: 9144889)"
        " { available practiceText form { id } entryPoints { form { id } } absence { returnsOn } } }"
    ),
    "patientService": (
        "query { patientService(herId: 8142519, service: RESEPTFORNYELSE)"
        " { available practiceText form { id } } }"
    ),
    "patientPanel (with practitionerHpr)": (
        "query { patientPanel(herId: 8142519, practitionerHpr: 9144889)"
        " { panelText services { available form { id } absence { returnsOn } } } }"
    ),
    "practice (admin, everything)": (
        "query { practice(herId: 8142519) { name version practitioners { name }"
        " texts { text } tools { activeForm { id } } absences(includePast: true)"
        " { practitioner { name } from to } auditLog(first: 100) { edges { node { summary } } } } }"
    ),
    "saveTexts": (
        'mutation { saveTexts(input: {herId: 8142519, texts: [{slot: FASTLEGEPANEL, text: "Ny"}]})'
        " { userErrors { code } } }"
    ),
}


def registry(practitioners: int) -> str:
    people = [{"hprNumber": ASTRID, "name": "Astrid Info"}]
    people += [{"hprNumber": 2000000 + n, "name": f"Lege {n}"} for n in range(practitioners)]
    practice = {
        "herId": HER_ID,
        "name": "Storgata legesenter",
        "orgNumber": "974600951",
        "offered": ["TIMEBESTILLING", "E_KONSULTASJON", "RESEPTFORNYELSE", "KONTAKT_LEGEKONTORET"],
        "practitioners": [*people, {"hprNumber": KRISTIAN, "name": "Kristian Larsen"}],
    }
    return json.dumps({"practices": [practice]})


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--absences", type=int, default=200)
    parser.add_argument("--practitioners", type=int, default=50)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tilpass-sql-"))
    settings = Settings(database_url=f"sqlite+aiosqlite:///{folder / 'count.db'}")
    db = Database(settings.database_url)
    await db.upgrade()
    async with db.write() as session:
        entries = parse_registry(load_catalog(), registry(args.practitioners))
        await import_registry(session=session, entries=entries)
    tokens = await development_tokens(db, settings)
    services = Services(db=db, catalog=load_catalog(), verifier=tokens)
    transport = httpx.ASGITransport(app=create_app(services, settings=settings))
    headers = {"Authorization": f"Bearer {tokens.issue(ASTRID)}"}
    today = oslo_date(system_clock())
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for n in range(args.absences):
            day = (today + timedelta(days=3 * n)).isoformat()
            add = (
                f"mutation {{ addAbsence(input: {{herId: {HER_ID}, practitionerHpr: {ASTRID},"
                f' from: "{day}", to: "{day}", services: [RESEPTFORNYELSE]}}) {{ userErrors {{ code }} }} }}'
            )
            await client.post("/graphql", json={"query": add}, headers=headers)
        print(
            f"{args.absences} absences, {args.absences} audit entries, "
            f"{args.practitioners + 2} practitioners\n"
        )
        for name, document in OPERATIONS.items():
            services.cache.clear()
            with recording_statements(db) as statements:
                response = await client.post("/graphql", json={"query": document}, headers=headers)
            assert "errors" not in response.json(), response.text
            print(f"{len(statements):3d}  {name}")
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
