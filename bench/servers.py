"""Starting a benchmark's server and waiting until it answers (the Python ones and the Node
peers alike)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

START_SECONDS = 30


def started(
    command: list[str], *, cwd: Path, env: dict[str, str], port: int, name: str
) -> subprocess.Popen[bytes]:
    """The server's process once GET /graphql on `port` answers; stopped again if it exits,
    takes too long, or the wait is interrupted (the caller has no handle to stop it yet)."""
    process = subprocess.Popen(command, cwd=cwd, env=env)
    try:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"{name} exited with {process.returncode}")
            try:
                httpx.get(f"http://127.0.0.1:{port}/graphql", timeout=1)
                return process
            except httpx.TransportError:
                time.sleep(0.2)
        raise SystemExit(f"{name} did not start")
    except BaseException:
        process.kill()
        process.wait()
        raise
