"""A PostgreSQL cluster of a test's own, for tests that stop and start the database: initdb in
a temporary folder, its own port, so the machine's server is left alone. As root the
commands run as the `postgres` user (PostgreSQL refuses to run as root)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.servers import free_port


def postgres_bin() -> Path | None:
    """The folder with initdb and pg_ctl: on PATH, or Debian's newest /usr/lib/postgresql."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    return Path(candidates[-1]).parent if candidates else None


def _version(path: str) -> float:
    try:
        return float(Path(path).parent.parent.name)
    except ValueError:
        return 0.0


def unavailable_reason() -> str | None:
    """Why a cluster of our own cannot be made here, or None when it can."""
    if postgres_bin() is None:
        return "PostgreSQL's initdb and pg_ctl are not installed (Debian: postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, and there is no postgres user to run PostgreSQL as"
        if shutil.which("runuser") is None:
            return "running as root without runuser to run PostgreSQL as postgres"
    return None


class OwnCluster:
    def __init__(self) -> None:
        self.bin = postgres_bin()
        assert self.bin is not None, unavailable_reason()
        self.root = Path(tempfile.mkdtemp(prefix="tilpass-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"
        self.running = False
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            log = self.root / "server.log"
            raise AssertionError(
                f"{program} failed:\n{done.stdout}\n{done.stderr}\n"
                + (log.read_text() if log.exists() else "")
            )

    def init(self) -> OwnCluster:
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--locale=C", "--no-sync",
        )  # fmt: skip
        return self

    def start(self) -> None:
        # fsync off: these tests stop the server process, never the machine, so what was
        # written reaches the disk through the page cache all the same.
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
            "-c max_connections=50"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options,
            "-w", "-t", "60", "start",
        )  # fmt: skip
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")
        self.running = False

    def remove(self) -> None:
        if self.running:
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def running_cluster() -> Iterator[OwnCluster]:
    """A started cluster of our own, removed afterwards; skips the test where none can be made."""
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(f"no PostgreSQL cluster of our own: {reason}")
    own = OwnCluster().init()
    try:
        own.start()
        yield own
    finally:
        own.remove()
