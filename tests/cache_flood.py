"""Floods one of the service's caches as an attacker would, in a process of its own, and prints
what the process's memory (RSS) and the cache hold before and after, as JSON.

Run by tests/test_cache_memory.py (`python -m tests.cache_flood KIND DATABASE_FILE`): a fresh
process, so that no earlier test's heap hides or adds growth. Kinds:
- `padded`: patient reads that differ only in a field the service ignores (50 KB each);
- `distinct`: patient reads with distinct answers, into a cache bounded at 2 MiB;
- `apq`: documents registered through APQ, each 20 KB and distinct, all valid, into a store
  bounded at 2 MiB;
- `apq-invalid`: the same, but none of them parses."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from app import Services, create_app
from auth.tokens import development_tokens
from edge.cache import ResponseCache
from edge.graphql_over_http import GraphQLOverHTTP
from models.catalog import load_catalog
from models.database import Database
from settings import Settings
from tests.conftest import STORGATA, Clock, import_text, registry_text

READ = """
query Read($herId: Int!, $on: Date) {
  patientService(herId: $herId, service: RESEPTFORNYELSE, on: $on) { title available }
}
"""
# The bounds of the `distinct` and `apq` floods: small, so that a short flood passes them.
SMALL_BOUND = 2 * 1024 * 1024
JSON_HEADERS = {"content-type": "application/json"}


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def view_of(app: Any) -> GraphQLOverHTTP:
    return next(route.app for route in app.routes if getattr(route, "path", "") == "/graphql")


def padded(number: int) -> dict[str, Any]:
    pad = f"{number:08d}" + "x" * 50_000
    return {"query": READ, "variables": {"herId": STORGATA}, "extensions": {"pad": pad}}


def distinct(number: int) -> dict[str, Any]:
    day = date(2024, 6, 10) + timedelta(days=number)
    return {"query": READ, "variables": {"herId": STORGATA, "on": day.isoformat()}}


def registered(number: int, valid: bool = True) -> dict[str, Any]:
    # A comment is no token, so a valid document may be as long as the body limit allows.
    document = f"# {number:08d}{'x' * 20_000}\n" + ("{ forms { id } }" if valid else "{ forms {")
    digest = hashlib.sha256(document.encode()).hexdigest()
    return {
        "query": document,
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}},
    }


FLOODS = {
    "padded": (padded, 3_000),
    "distinct": (distinct, 5_000),
    "apq": (registered, 400),
    "apq-invalid": (lambda number: registered(number, valid=False), 400),
}


async def flood(kind: str, database_file: Path) -> dict[str, Any]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{database_file}")
    db = Database(settings.database_url)
    await db.upgrade()
    await import_text(db, registry_text())
    tokens = await development_tokens(db, settings)
    cache = ResponseCache(max_bytes=SMALL_BOUND) if kind == "distinct" else ResponseCache()
    services = Services(db=db, catalog=load_catalog(), verifier=tokens, clock=Clock(), cache=cache)
    await services.start()
    app = create_app(services, settings=settings)
    documents = view_of(app).documents
    if kind == "apq":
        documents.max_registered_bytes = SMALL_BOUND
    make, count = FLOODS[kind]
    transport = httpx.ASGITransport(app=app)
    statuses: dict[int, int] = {}
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            # Warm up first: imports, parser and plans made once are no growth.
            for number in range(-50, 0):
                await client.post("/graphql", json=distinct(number))
            before = rss_bytes()
            for number in range(count):
                response = await client.post(
                    "/graphql", content=json.dumps(make(number)), headers=JSON_HEADERS
                )
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            after = rss_bytes()
    finally:
        await services.stop()
        await db.dispose()
    return {
        "kind": kind,
        "requests": count,
        "statuses": statuses,
        "rss_growth": after - before,
        "cache_entries": len(cache),
        "cache_bytes": cache.bytes,
        "cache_max_bytes": cache.max_bytes,
        "registered_bytes": documents.registered_bytes,
        "registered_max_bytes": documents.max_registered_bytes,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(flood(sys.argv[1], Path(sys.argv[2])))))
