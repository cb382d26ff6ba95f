"""Headless Chromium for the browser tests and the README's screenshots: finding the browser,
a real server on a fresh demo database, and axe-core's WCAG checks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from importlib import util
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.servers import Server

ROOT = Path(__file__).resolve().parents[1]

# The demo registry (models/demo-registry.json), which every browser test's server loads.
STORGATA = 8142519  # offers all four services
FJORDBYEN = 8142520  # all but e-konsultasjon
ASTRID = 9144889  # Storgata
KRISTIAN = 1810001  # Storgata and Fjordbyen
JACOB = 5550123  # Fjordbyen

# Debian's chromium, run as root in a container: no sandbox, no GPU, and nothing that phones
# home (the machine reaches no network but the package registries).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# WCAG 2.1 A and AA: what universal design (universell utforming) requires in Norway.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def chromium_path() -> str | None:
    """TILPASS_CHROMIUM, or the first Chromium on PATH (Debian's package is /usr/bin/chromium)."""
    configured = os.environ.get("TILPASS_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def why_no_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if util.find_spec("playwright") is None:
        return "Playwright for Python mangler (pip install -e '.[test]')"
    if util.find_spec("axe_playwright_python") is None:
        return "axe-playwright-python (axe-core) mangler (pip install -e '.[test]')"
    if chromium_path() is None:
        return (
            "fant ingen Chromium (apt-get install chromium, eller sett TILPASS_CHROMIUM); "
            "make test installerer den når den kjører som root med apt-get"
        )
    return None


def seeded_demo(folder: Path) -> dict[str, str]:
    """The environment of a development server on a fresh SQLite database in `folder`,
    loaded with `tilpass seed-demo`."""
    env = {
        **os.environ,
        "TILPASS_DATABASE_URL": f"sqlite:///{folder / 'tilpass.db'}",
        "TILPASS_ENV": "development",
    }
    subprocess.run(
        [sys.executable, "-m", "cli", "seed-demo"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return env


@contextmanager
def demo_server(folder: Path) -> Iterator[Server]:
    """`tilpass serve` on a fresh demo database in `folder` (seeded_demo)."""
    server = Server(cwd=ROOT, env=seeded_demo(folder)).start()
    # The server writes its log to a pipe; unread, a full pipe would stall it mid-test.
    log: deque[str] = deque(maxlen=200)
    if server.process is not None and server.process.stdout is not None:
        threading.Thread(target=log.extend, args=(server.process.stdout,), daemon=True).start()
    try:
        yield server
    finally:
        server.stop()


def development_token(server: Server, hpr: int) -> str:
    response = httpx.post(f"{server.base}/dev/token", json={"hpr": hpr}, timeout=10)
    response.raise_for_status()
    return response.json()["token"]


def graphql_as(server: Server, hpr: int, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """What a colleague does meanwhile, through the API with a development token: the data of
    an answer that must have no errors."""
    response = httpx.post(
        f"{server.base}/graphql",
        headers={"Authorization": f"Bearer {development_token(server, hpr)}"},
        json={"query": query, "variables": variables},
        timeout=10,
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def oslo_today() -> date:
    return datetime.now(ZoneInfo("Europe/Oslo")).date()


def dotted(day: date) -> str:
    """A date as the admin page writes it (dd.mm.yyyy)."""
    return day.strftime("%d.%m.%Y")


def axe_source() -> str:
    """axe.min.js as axe-playwright-python ships it (no download at test time)."""
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text("utf-8")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """WCAG 2.1 A/AA violations axe-core finds on the page as it is now (dialogs included)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated over the DevTools protocol, so the page's Content-Security-Policy (which
        # forbids inline scripts) stays as strict as in production.
        page.evaluate(axe_source())
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, { runOnly: { type: "tag", values: tags } });
            return result.violations.map((v) => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                nodes: v.nodes.map((n) => n.target.join(" ") + ": " + n.failureSummary),
            }));
        }""",
        WCAG_TAGS,
    )


def assert_accessible(page: Any, where: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"axe-core fant brudd på WCAG 2.1 AA ({where}):\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"])
        for v in violations
    )
