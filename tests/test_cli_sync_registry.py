"""`tilpass sync-registry`, run as a separate process the way an operator (or cron) runs it:
its exit status, what it prints, its JSON log and its metrics file."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import TESTS
from tests.fhir_bundles import bundle_text, find, registry_resources
from tests.fhir_server import FhirServer
from tests.test_cli import tilpass

DEMO = TESTS.parent / "models" / "demo-registry.fhir.json"
SECRET = "hemmelig-registertoken"


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return tmp_path / "data" / "tilpass.db"


@pytest.fixture
def env(db_file: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TILPASS_")}
    environ["TILPASS_DATABASE_URL"] = f"sqlite:///{db_file}"
    return environ


def migrated(tmp_path: Path, env: dict[str, str]) -> None:
    """An empty database with its tables (any command that opens the database makes them)."""
    assert tilpass("token", "--hpr", "1000000", cwd=tmp_path, env=env).returncode == 0


def rows(db_file: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(db_file) as connection:
        return {
            table: sorted(connection.execute(f"SELECT * FROM {table}").fetchall())
            for table in ("practice", "practitioner", "affiliation", "change_counter")
        }


def log_lines(stderr: str) -> list[dict]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def metrics(path: Path) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(path.read_text(encoding="utf-8")):
        for sample in family.samples:
            found[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_the_demo_bundle_syncs_and_an_unchanged_repeat_changes_nothing(tmp_path, env, db_file):
    env["TILPASS_REGISTRY_METRICS_FILE"] = str(tmp_path / "tilpass_registry.prom")
    first = tilpass("sync-registry", str(DEMO), cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert "legekontor: 2 lagt til; behandlere: 3 lagt til; tilknytninger: 4 lagt til" in (
        first.stdout
    )
    (entry,) = [line for line in log_lines(first.stderr) if line["message"] == "registry sync"]
    assert entry["counts"] == {"practice_added": 2, "practitioner_added": 3, "affiliation_added": 4}
    found = metrics(tmp_path / "tilpass_registry.prom")
    assert found["tilpass_registry_sync_success", ()] == 1
    changes = ("tilpass_registry_sync_changes", (("action", "added"), ("kind", "affiliation")))
    assert found[changes] == 4
    after_first = rows(db_file)
    again = tilpass("sync-registry", str(DEMO), cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    assert "ingenting endret" in again.stdout
    assert rows(db_file) == after_first
    assert metrics(tmp_path / "tilpass_registry.prom")[changes] == 0


def test_an_invalid_bundle_exits_1_names_the_resource_and_changes_nothing(tmp_path, env, db_file):
    env["TILPASS_REGISTRY_METRICS_FILE"] = str(tmp_path / "tilpass_registry.prom")
    assert tilpass("sync-registry", str(DEMO), cwd=tmp_path, env=env).returncode == 0
    before = rows(db_file)
    succeeded = metrics(tmp_path / "tilpass_registry.prom")
    resources = registry_resources()
    find(resources, "Practitioner/hpr-5550123")["identifier"][0]["value"] = "12345"
    bad = tmp_path / "feil.json"
    bad.write_text(bundle_text(resources), encoding="utf-8")
    result = tilpass("sync-registry", str(bad), cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "ingenting er endret" in result.stderr
    assert "HPR-nummer må ha 7–9 sifre, ikke «12345»" in result.stderr
    assert "urn:uuid:" in result.stderr  # the resource, by its fullUrl
    assert rows(db_file) == before
    found = metrics(tmp_path / "tilpass_registry.prom")
    assert found["tilpass_registry_sync_success", ()] == 0
    last_success = "tilpass_registry_sync_last_success_timestamp_seconds", ()
    assert found[last_success] == succeeded[last_success]


def test_a_dry_run_lists_the_changes_and_makes_none(tmp_path, env, db_file):
    migrated(tmp_path, env)
    before = rows(db_file)
    result = tilpass("sync-registry", "--dry-run", str(DEMO), cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "legekontor lagt til: Storgata legesenter (HER-id 8142519)" in result.stdout
    assert "tilknytning lagt til: HPR 9144889 ved Storgata legesenter" in result.stdout
    assert "Prøvekjøring, ingenting er endret" in result.stdout
    assert rows(db_file) == before


@pytest.mark.parametrize("fail_page", [None, 2])
def test_a_fhir_search_is_followed_with_the_token_kept_secret(tmp_path, env, db_file, fail_page):
    env["TILPASS_REGISTRY_TOKEN"] = SECRET
    migrated(tmp_path, env)
    with FhirServer(registry_resources(), page_size=1, token=SECRET) as fhir:
        fhir.fail_page = fail_page
        result = tilpass("sync-registry", fhir.search_url, cwd=tmp_path, env=env)
    assert len(fhir.requests) == (2 if fail_page else 4)
    assert SECRET not in result.stdout + result.stderr
    if fail_page:
        assert result.returncode == 1
        assert "serveren svarte 500" in result.stderr and "page=2" in result.stderr
        assert rows(db_file)["practice"] == []
    else:
        assert result.returncode == 0, result.stderr
        assert len(rows(db_file)["affiliation"]) == 4
