"""The graphql-http server audit (npm package `graphql-http`, the specification's own) against a
real `tilpass serve`: no warning and no error. Notices (MAY rules the service chose not to
follow, such as 200 for a missing query under application/json) are allowed.

Needs Node and npm: the audit's packages are installed into tests/audit/node_modules from its
package-lock.json the first time. Without Node the test is skipped with the reason."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.servers import Server

AUDIT = Path(__file__).resolve().parent / "audit"


def audit_packages() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("the graphql-http audit needs Node and npm")
    if (AUDIT / "node_modules" / "graphql-http").is_dir():
        return
    installed = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--silent"],
        cwd=AUDIT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if installed.returncode != 0:
        pytest.skip(f"could not install the graphql-http audit: {installed.stderr.strip()}")


def test_graphql_http_audit_has_no_warning_or_error(tmp_path):
    # Given the audit's packages and a server on a fresh database
    audit_packages()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TILPASS_", "OTEL_"))}
    env["TILPASS_DATABASE_URL"] = f"sqlite:///{tmp_path / 'tilpass.db'}"
    server = Server(cwd=tmp_path, env=env).start()
    try:
        # When the audit runs against it
        ran = subprocess.run(
            ["node", str(AUDIT / "audit.mjs"), f"{server.base}/graphql"],
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        server.stop()
    assert ran.returncode == 0, ran.stderr
    results = json.loads(ran.stdout)
    # Then every audit ran, and none warns or fails
    assert len(results) > 50
    failing = [r for r in results if r["status"] in ("warn", "error")]
    assert failing == [], failing
