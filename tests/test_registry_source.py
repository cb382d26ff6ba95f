"""Where a registry sync reads from: a paged FHIR search over real HTTP (tests/fhir_server.py)
gives the same registry as a file, and a page that fails changes nothing."""

from __future__ import annotations

import asyncio

import pytest

from resolvers.registry import RegistryError
from resolvers.registry_fhir import read_bundles
from resolvers.registry_source import load_pages
from resolvers.registry_sync import sync_registry
from tests.conftest import TODAY
from tests.fhir_bundles import (
    bundle_text,
    find,
    organization,
    practitioner,
    registry_resources,
    role,
)
from tests.fhir_server import FhirServer
from tests.test_registry_sync import ALL_SERVICES, NEW_HPR, NEW_PRACTICE, state

TOKEN = "registertoken-123"


def changed_registry() -> list[dict]:
    """The test registry with a new practice and GP, Jacob's role ended and Storgata renamed."""
    resources = registry_resources()
    find(resources, "Organization/her-8142519")["name"] = "Storgata legesenter AS"
    find(resources, "PractitionerRole/her-8142520-hpr-5550123")["period"] = {"end": "2024-01-31"}
    return [
        *resources,
        organization(NEW_PRACTICE, "Nyby legesenter", "974600951"),
        practitioner(NEW_HPR, "Nina", "Ny"),
        role(NEW_PRACTICE, NEW_HPR),
        {"resourceType": "Location", "id": "l1", "name": "Nyby"},
    ]


async def sync_from(db, sources: list[str], token: str | None = TOKEN) -> None:
    pages = await asyncio.to_thread(load_pages, sources, token=token)
    registry = read_bundles(pages, today=TODAY)
    await sync_registry(db=db, registry=registry, offered=ALL_SERVICES)


@pytest.fixture
def fhir():
    with FhirServer(changed_registry(), page_size=2, token=TOKEN) as server:
        yield server


async def test_a_paged_search_gives_the_same_registry_as_a_file(api, db, fhir, tmp_path):
    # Given the changed registry as one file, synced into a database of its own
    from_file = tmp_path / "registry.json"
    from_file.write_text(bundle_text(changed_registry()), encoding="utf-8")
    # When the same registry is synced from the paged search
    await sync_from(db, [fhir.search_url])
    # Then every page was fetched, with the token, and the result is the file's
    assert len(fhir.requests) == 3  # 5 roles, 2 a page
    assert all(auth == f"Bearer {TOKEN}" for _, auth in fhir.requests)
    by_search = await state(db)
    await sync_from(db, [str(from_file)])
    assert await state(db) == by_search
    assert (NEW_PRACTICE, NEW_HPR) in by_search["affiliations"]
    assert (8142520, 5550123) not in by_search["affiliations"]


@pytest.mark.parametrize("page", [1, 2, 3])
async def test_a_page_that_fails_changes_nothing(api, db, fhir, page):
    before = await state(db)
    fhir.fail_page = page
    with pytest.raises(RegistryError) as refused:
        await sync_from(db, [fhir.search_url])
    assert await state(db) == before
    message = str(refused.value)
    assert "500" in message and fhir.url in message


async def test_an_error_outcome_on_a_page_changes_nothing(api, db, fhir):
    before = await state(db)
    fhir.outcome_page = 2
    with pytest.raises(RegistryError, match="kilden meldte en feil"):
        await sync_from(db, [fhir.search_url])
    assert await state(db) == before


async def test_a_refused_token_changes_nothing(api, db, fhir):
    before = await state(db)
    with pytest.raises(RegistryError, match="401"):
        await sync_from(db, [fhir.search_url], token="feil")
    assert await state(db) == before


async def test_the_token_goes_to_no_other_server(api, db, fhir):
    # Given a second server that a page's next link would lead to
    with FhirServer(registry_resources(), page_size=2) as elsewhere:
        fhir.next_base = elsewhere.url
        before = await state(db)
        with pytest.raises(RegistryError, match="annen server"):
            await sync_from(db, [fhir.search_url])
        assert elsewhere.requests == []
    assert await state(db) == before


async def test_a_missing_file_is_named(api, db, tmp_path):
    with pytest.raises(RegistryError, match="finnes-ikke"):
        await sync_from(db, [str(tmp_path / "finnes-ikke.json")])
