"""The exported schema: committed, compatible with the contract, and described for GraphiQL."""

from pathlib import Path

import pytest
from graphql import build_schema, find_breaking_changes

from schema.root import export_sdl
from tests.conftest import TESTS

PROJECT = TESTS.parent
SHARED = PROJECT.parent / "shared"

INTROSPECTION = """
query Described {
  __schema {
    types {
      kind name description
      fields(includeDeprecated: true) { name description }
      inputFields { name description }
    }
  }
}
"""

DESCRIBED_KINDS = {"OBJECT", "INPUT_OBJECT", "ENUM"}


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_committed_schema_is_up_to_date():
    committed = read(PROJECT / "schema.graphql")
    assert committed == export_sdl(), "schema.graphql is stale: run `make schema`"


def test_exported_schema_has_no_breaking_changes_against_the_contract():
    contract = build_schema(read(TESTS / "contract.graphql"))
    exported = build_schema(export_sdl())
    changes = find_breaking_changes(contract, exported)
    assert changes == [], "\n".join(f"{c.type.name}: {c.description}" for c in changes)


def test_contract_copy_matches_the_shared_contract():
    # Version 2 is the contract since scheduled texts, undo and languages have all landed.
    shared = SHARED / "contract" / "schema-v2.graphql"
    if not shared.exists():
        pytest.skip("no shared contract beside the project")
    assert read(TESTS / "contract.graphql") == read(shared), "copy the shared contract again"


def test_catalog_copy_matches_the_shared_catalog():
    shared = SHARED / "catalog" / "catalog.json"
    if not shared.exists():
        pytest.skip("no shared catalogue beside the project")
    assert read(PROJECT / "models" / "catalog.json") == read(shared), "copy the catalogue again"


def test_translations_copy_matches_the_shared_translations():
    shared = SHARED / "catalog" / "translations.json"
    if not shared.exists():
        pytest.skip("no shared translations beside the project")
    copy = PROJECT / "models" / "translations.json"
    assert read(copy) == read(shared), "copy the translations again"


def test_version_1_clients_still_work():
    shared = SHARED / "contract" / "schema.graphql"
    if not shared.exists():
        pytest.skip("no shared contract beside the project")
    changes = find_breaking_changes(
        build_schema(read(shared)), build_schema(read(PROJECT / "schema.graphql"))
    )
    assert changes == []


async def test_every_type_and_field_has_a_description(api):
    data = await api.data(INTROSPECTION)
    missing = []
    for kind in data["__schema"]["types"]:
        if kind["name"].startswith("__") or kind["kind"] not in DESCRIBED_KINDS:
            continue
        if not (kind["description"] or "").strip():
            missing.append(kind["name"])
        for field in (kind["fields"] or []) + (kind["inputFields"] or []):
            if not (field["description"] or "").strip():
                missing.append(f"{kind['name']}.{field['name']}")
    assert missing == [], f"without a description: {', '.join(missing)}"
