"""The Node peers of bench/compare.py --peers: Fastify + Mercurius with graphql-jit, and
graphql-yoga, both serving the benchmark's patientService document (bench/peers/).

Their packages are pinned by bench/peers/package-lock.json and installed with `npm ci` into
bench/peers/node_modules the first time they are needed. Each peer runs as one Node process
(no cluster), started with the same pinning prefix as the Python servers, and answers with
the service's own answer, which compare.py records at the start of its run (BENCH_ANSWER_FILE).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx

from bench import servers

FOLDER = Path(__file__).resolve().parent / "peers"
# Scenario name -> server file in FOLDER.
PEERS: dict[str, str] = {
    "Mercurius + graphql-jit POST": "mercurius.js",
    "graphql-yoga POST": "yoga.js",
}
PACKAGES = ("fastify", "mercurius", "graphql-jit", "graphql-yoga", "graphql")


def prepare() -> str | None:
    """Installs the peers' packages when missing; returns why the peers cannot run, or None."""
    if not shutil.which("node"):
        return "node is missing (apt-get install nodejs npm)"
    if (FOLDER / "node_modules" / ".package-lock.json").exists():
        return None
    if not shutil.which("npm"):
        return "npm is missing (apt-get install npm), so bench/peers/node_modules cannot be made"
    print("installing the peers' packages: npm ci in bench/peers", flush=True)
    done = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=FOLDER,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return f"npm ci failed in bench/peers: {done.stderr.strip()[-500:]}"
    return None


def versions() -> str:
    """Node's version and those of the peers' packages, for the table's heading."""
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    found = []
    for name in PACKAGES:
        manifest = FOLDER / "node_modules" / name / "package.json"
        if manifest.exists():
            found.append(f"{name} {json.loads(manifest.read_text())['version']}")
    return f"node {node}, " + ", ".join(found)


def start(
    name: str, port: int, answer_file: Path, prefix: list[str], env: dict[str, str]
) -> subprocess.Popen[bytes]:
    """Starts the peer of scenario `name` on `port` and waits until it answers."""
    command = [*prefix, "node", PEERS[name], str(port)]
    env = {**env, "BENCH_ANSWER_FILE": str(answer_file)}
    return servers.started(command, cwd=FOLDER, env=env, port=port, name=PEERS[name])


def check_answer(name: str, url: str, body: str, expected: dict) -> None:
    """The peer must give the service's answer: the same data, so the same work to write."""
    got = httpx.post(url, content=body, headers={"Content-Type": "application/json"}).json()
    if got != expected:
        raise SystemExit(f"{name} answers {got}, not the service's {expected}")


def start_wanted(
    only: str | None,
    folder: Path,
    answer: httpx.Response,
    body: str,
    prefix: list[str],
    env: dict[str, str],
) -> tuple[dict[str, str], list[subprocess.Popen[bytes]]]:
    """Starts the peers whose scenario `only` (a regex, or None for all) finds, each checked
    against the service's `answer` to `body`: their URLs by scenario name, and processes.
    Prints why and starts none when Node or the packages are missing."""
    wanted = [name for name in PEERS if not only or re.search(only, name)]
    why_not = prepare() if wanted else None
    if why_not:
        print(f"no peers: {why_not}", file=sys.stderr)
        return {}, []
    answer_file = folder / "answer.json"
    answer_file.write_text(answer.text)
    urls: dict[str, str] = {}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for port, name in enumerate(wanted, start=18005):
            processes.append(start(name, port, answer_file, prefix, env))
            urls[name] = f"http://127.0.0.1:{port}/graphql"
            check_answer(name, urls[name], body, answer.json())
    except BaseException:
        stop(processes)
        raise
    return urls, processes


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Stops the processes (gently, then by force after 10 s)."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
