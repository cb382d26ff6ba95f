"""No client can fill the memory through the caches: each flood of tests/cache_flood.py runs
in a fresh process, and the process's RSS grows by no more than the bound the README states.

The bounds: the response cache at most its byte bound (64 MiB by default) and the APQ store at
most its own (16 MiB); the caches keyed by document text (parser, validation, plans, metrics
names) at most 256 documents each. Before the fix, the padded flood alone grew the process by
about 150 MB."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cache_flood import SMALL_BOUND

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
# The documents of the `apq` flood are 20 KB: four caches of 256 of them hold about 20 MiB.
TEXT_KEYED_CACHES = 4 * 256 * 20_000
# What the allocator, the database driver and the interpreter may add on their own.
SLACK = 16 * MIB


def flood(kind: str, tmp_path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "tests.cache_flood", kind, str(tmp_path / "flood.db")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("kind", ["padded", "distinct", "apq", "apq-invalid"])
def test_a_flood_keeps_memory_within_its_bound(kind, tmp_path):
    result = flood(kind, tmp_path)

    assert result["statuses"] == {"200": result["requests"]}
    if kind == "padded":
        # 3,000 reads of 50 KB each, padded in `extensions`: one entry for all of them.
        assert result["cache_entries"] <= 51  # the 50 warm-up reads and this one
        assert result["rss_growth"] < SLACK
    elif kind == "distinct":
        assert result["cache_bytes"] <= SMALL_BOUND
        assert result["cache_entries"] < result["requests"]
        assert result["rss_growth"] < SMALL_BOUND + SLACK
    elif kind == "apq":
        assert 0 < result["registered_bytes"] <= SMALL_BOUND
        assert result["rss_growth"] < SMALL_BOUND + TEXT_KEYED_CACHES + SLACK
    else:
        assert result["registered_bytes"] == 0
        assert result["rss_growth"] < TEXT_KEYED_CACHES + SLACK
