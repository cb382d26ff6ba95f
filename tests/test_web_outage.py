"""The admin page while the database is down, in headless Chromium against `tilpass serve` on
a PostgreSQL cluster of the test's own: the GP is told to try again shortly, and what she
typed stays until it can be saved."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.browser import ROOT, why_no_browser
from tests.own_postgres import OwnCluster, running_cluster
from tests.servers import Server

REASON = why_no_browser()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"nettlesertester: {REASON}")

if REASON is None:
    from playwright.sync_api import Page, expect

ASTRID = 9144889  # Storgata legesenter in the demo registry
UNAVAILABLE = "Tjenesten er midlertidig utilgjengelig – prøv igjen om litt."


@pytest.fixture(scope="module")
def cluster() -> Iterator[OwnCluster]:
    with running_cluster() as own:
        yield own


@pytest.fixture(scope="module")
def server(cluster: OwnCluster) -> Iterator[Server]:
    env = {
        **os.environ,
        "TILPASS_DATABASE_URL": cluster.url,
        "TILPASS_ENV": "development",
        "TILPASS_DATABASE_TIMEOUT_SECONDS": "2",
    }
    subprocess.run(
        [sys.executable, "-m", "cli", "seed-demo"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    running = Server(cwd=ROOT, env=env).start()
    try:
        yield running
    finally:
        running.stop()


def test_a_save_while_the_database_is_down_says_try_again_and_keeps_the_text(
    page: Page, cluster: OwnCluster
):
    # Given Astrid signed in, with an addition typed
    page.goto(f"/?dev-hpr={ASTRID}")
    box = page.get_by_role("region", name="Reseptfornyelse", exact=True)
    field = box.get_by_label("Tilleggsinformasjon fra legekontor")
    text = "Resepter fornyes innen tre virkedager."
    field.fill(text)
    # When she saves while the database is down
    cluster.stop("fast")
    try:
        page.get_by_role("button", name="Lagre").click()
        # Then she is told to try again shortly, and her text is still there
        expect(page.get_by_text(UNAVAILABLE)).to_be_visible()
        expect(field).to_have_value(text)
    finally:
        cluster.start()
    # And when the database is back, saving again works
    page.get_by_role("button", name="Lagre").click()
    expect(page.get_by_role("status").filter(has_text="lagret")).to_be_visible()
    expect(field).to_have_value(text)
    expect(page.get_by_text(UNAVAILABLE)).to_be_hidden()
