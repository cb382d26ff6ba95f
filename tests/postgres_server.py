"""Finds the PostgreSQL server the tests may use: prints its URL, or nothing.

`make test` runs this before pytest. A local cluster that is installed but down is started
(pg_ctlcluster, as on this project's machines). Under CI (CI=true) a missing server is an
error, so that a green run always means both engines passed."""

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import asyncpg

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


async def reachable(url: str) -> bool:
    try:
        connection = await asyncpg.connect(url.replace("+asyncpg", ""), timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await connection.close()
    return True


def start_local_cluster() -> None:
    versions = Path("/etc/postgresql")
    if not shutil.which("pg_ctlcluster") or not versions.is_dir():
        return
    for version in sorted(p.name for p in versions.iterdir()):
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
            capture_output=True,
            check=False,
            timeout=60,
        )


def main() -> int:
    url = os.environ.get("TILPASS_TEST_DATABASE_URL") or DEFAULT_URL
    if not asyncio.run(reachable(url)):
        start_local_cluster()
    if asyncio.run(reachable(url)):
        print(url)
        return 0
    message = f"PostgreSQL svarer ikke på {url}; testene kjører bare på SQLite."
    print(message, file=sys.stderr)
    return 1 if os.environ.get("CI") == "true" else 0


if __name__ == "__main__":
    raise SystemExit(main())
