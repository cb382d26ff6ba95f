"""Patient reads behind two real Varnish instances (deploy/varnish/tilpass.vcl) in front of the
app: kept until they can change, and dropped from both within a second of every kind of
change, however a cache misbehaves (DOMAIN.md, Version 3, "Patient reads behind a CDN")."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from app import create_app
from edge.purge import Purger
from resolvers.registry_fhir import read_bundles
from resolvers.registry_sync import sync_registry
from tests.conftest import (
    ASTRID,
    KRISTIAN,
    STORGATA,
    TESTS,
    TODAY,
    add_absence,
    choose_form,
    save_texts,
    text_input,
)
from tests.fhir_bundles import bundle_text, find, registry_resources
from tests.listening import listening
from tests.servers import Server
from tests.test_read_model import instance
from tests.test_registry_sync import ALL_SERVICES
from tests.varnish import Varnish, varnish_missing

pytestmark = pytest.mark.skipif(varnish_missing() is not None, reason=str(varnish_missing()))

PANEL = """
query Panel($herId: Int!, $hpr: Int) {
  patientPanel(herId: $herId, practitionerHpr: $hpr) {
    panelText
    services { service available practiceText form { id } entryPoints { form { id } } absence { message } }
  }
}
"""

ME = "query Me { me { hprNumber } }"

ADD_SCHEDULED = """
mutation Add($input: AddScheduledTextInput!) {
  addScheduledText(input: $input) { scheduledText { id } userErrors { code } }
}
"""

LOG = """
query Log($herId: Int!) { practice(herId: $herId) { auditLog(first: 1) { edges { node { id } } } } }
"""

REVERT = """
mutation Revert($input: RevertChangeInput!) { revertChange(input: $input) { userErrors { code } } }
"""

SAVE = """
mutation Save($input: SaveTextsInput!) { saveTexts(input: $input) { userErrors { code } } }
"""

PANEL_URL = "/graphql?" + urlencode(
    {"query": PANEL, "variables": json.dumps({"herId": STORGATA, "hpr": ASTRID})}
)


class Caches:
    """Two Varnish instances in front of the test's app, which purges both."""

    def __init__(self, api, first: Varnish, second: Varnish) -> None:
        self.api, self.varnishes = api, (first, second)

    async def get(self, varnish: Varnish, path: str = PANEL_URL, **headers: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=varnish.url, timeout=5) as client:
            return await client.get(path, headers=headers)

    async def warm(self) -> None:
        """Each cache holds the panel: a MISS, then a HIT."""
        for varnish in self.varnishes:
            assert (await self.get(varnish)).headers["x-cache"] == "MISS"
            assert (await self.get(varnish)).headers["x-cache"] == "HIT"

    async def hold(self) -> None:
        """Each cache holds the panel as it is now. An answer given while the origin was
        forgetting a change is not stored, and for a few seconds after one the cache asks the
        origin every time (hit-for-miss): keep asking until a read is kept."""
        deadline = time.monotonic() + 10
        for varnish in self.varnishes:
            while (await self.get(varnish)).headers["x-cache"] != "HIT":
                assert time.monotonic() < deadline, f"{varnish.url} keeps nothing"
                await asyncio.sleep(0.1)

    async def purged_within(self, seconds: float, *varnishes: Varnish) -> None:
        deadline = time.monotonic() + seconds
        waiting = list(varnishes or self.varnishes)
        while waiting:
            response = await self.get(waiting[0])
            if response.headers["x-cache"] == "MISS":
                waiting.pop(0)
                continue
            assert time.monotonic() < deadline, f"{waiting[0].url} still holds the old read"
            await asyncio.sleep(0.02)


@pytest.fixture
async def caches(api, settings) -> AsyncIterator[Caches]:
    async with listening(create_app(api.services, settings=settings)) as port:
        with Varnish(port) as first, Varnish(port) as second:
            services = api.services
            await services.stop()
            services.purger = Purger([first.url, second.url], timeout=0.5)
            await services.start()
            yield Caches(api, first, second)


async def _text(api) -> None:
    await save_texts(api, STORGATA, {"TIMEBESTILLING": "Ring før kl. 9."}, hpr=ASTRID)


async def _form(api) -> None:
    await choose_form(api, STORGATA, "E_KONTAKT", "e-kontakt-hva-gjelder")


async def _absence(api) -> None:
    await add_absence(api, TODAY, TODAY + timedelta(days=2), ["TIMEBESTILLING"])


async def _scheduled(api) -> None:
    fields = {
        "herId": STORGATA,
        "slot": "FASTLEGEPANEL",
        "text": "Stengt i dag.",
        "from": str(TODAY),
    }
    data = await api.data(ADD_SCHEDULED, {"input": {**fields, "to": str(TODAY)}}, hpr=ASTRID)
    assert data["addScheduledText"]["userErrors"] == []


async def _registry(api) -> None:
    resources = registry_resources()
    find(resources, "Organization/her-8142519")["active"] = False
    registry = read_bundles([("kilde.json", bundle_text(resources))], today=TODAY)
    await sync_registry(db=api.services.db, registry=registry, offered=ALL_SERVICES)


CHANGES: dict[str, Callable[..., Awaitable[None]]] = {
    "text": _text,
    "form": _form,
    "absence": _absence,
    "scheduled-text": _scheduled,
    "registry-sync": _registry,
}


@pytest.mark.parametrize("kind", list(CHANGES))
async def test_each_kind_of_change_is_purged_from_both_caches_within_a_second(caches, kind):
    # Given both caches hold Storgata's panel
    await caches.warm()
    before = (await caches.get(caches.varnishes[0])).json()
    # When the practice changes
    await CHANGES[kind](caches.api)
    # Then both drop it within a second, and show the change
    await caches.purged_within(1.0)
    for varnish in caches.varnishes:
        assert (await caches.get(varnish)).json() != before


async def test_a_revert_is_purged_from_both_caches(caches):
    api = caches.api
    await _text(api)
    log = await api.data(LOG, {"herId": STORGATA}, hpr=ASTRID)
    entry = log["practice"]["auditLog"]["edges"][0]["node"]["id"]
    await caches.purged_within(1.0)
    await caches.hold()
    data = await api.data(REVERT, {"input": {"herId": STORGATA, "auditEntryId": entry}}, hpr=ASTRID)
    assert data["revertChange"]["userErrors"] == []
    await caches.purged_within(1.0)


async def test_a_read_is_kept_until_the_next_oslo_midnight(caches, clock):
    # Given the clock two seconds before midnight in Oslo (every answer from now on says
    # s-maxage=2), and Astrid away from tomorrow
    clock.set(TODAY, clock_time(23, 59, 58))
    await add_absence(
        caches.api, TODAY + timedelta(days=1), TODAY + timedelta(days=3), ["TIMEBESTILLING"]
    )
    first, _ = caches.varnishes
    await caches.hold()
    response = await caches.get(first)
    assert _available(response) is True
    # (the cache keeps s-maxage to itself: a proxy further on could not be purged)
    assert response.headers["cache-control"] == "public, max-age=0"
    # When midnight comes
    clock.set(TODAY + timedelta(days=1), clock_time(0, 0, 1))
    # Then the cache still answers from its copy, although the origin would not
    kept = await caches.get(first)
    assert kept.headers["x-cache"] == "HIT" and _available(kept) is True
    # And shows the absence once its copy runs out (2 s, and a fetch in grace), without a purge
    deadline = time.monotonic() + 6.0
    while _available(await caches.get(first)):
        assert time.monotonic() < deadline, "yesterday's read outlived midnight"
        await asyncio.sleep(0.1)


def _available(response: httpx.Response) -> bool:
    services = response.json()["data"]["patientPanel"]["services"]
    return next(s["available"] for s in services if s["service"] == "TIMEBESTILLING")


async def test_admin_answers_and_errors_are_never_kept(caches):
    first, _ = caches.varnishes
    token = caches.api.token(ASTRID)
    me = "/graphql?" + urlencode({"query": ME})
    bad = "/graphql?" + urlencode({"query": PANEL, "variables": json.dumps({"herId": "x"})})
    for _ in range(2):
        admin = await caches.get(first, me, Authorization=f"Bearer {token}")
        assert admin.json() == {"data": {"me": {"hprNumber": ASTRID}}}
        assert admin.headers["x-cache"] == "MISS"
        error = await caches.get(first, bad)
        assert error.json()["errors"] and error.headers["x-cache"] == "MISS"


async def test_the_media_types_are_kept_apart_and_other_cookies_do_not_matter(caches):
    first, _ = caches.varnishes
    graphql = "application/graphql-response+json"
    as_json = await caches.get(first, Accept="application/json")
    as_graphql = await caches.get(first, Accept=graphql, Cookie="_ga=GA1.2.3; consent=yes")
    assert as_json.headers["content-type"].startswith("application/json")
    assert as_graphql.headers["content-type"].startswith(graphql)
    assert as_graphql.headers["x-cache"] == "MISS"  # its own object
    again = await caches.get(first, Accept=graphql, Cookie="_ga=GA1.9.9")
    assert again.headers["x-cache"] == "HIT"
    assert again.headers["content-type"].startswith(graphql)


async def test_a_hung_cache_slows_no_write_nor_the_other_cache(caches):
    # Given purges that wait up to a minute for an answer (so that a write that waited for
    # one could not return before the cache answers again), both caches holding the panel,
    # and then one hanging (SIGSTOP)
    services = caches.api.services
    await services.stop()
    services.purger = Purger([varnish.url for varnish in caches.varnishes], timeout=60)
    await services.start()
    await caches.warm()
    hung, other = caches.varnishes
    hung.pause()
    try:
        # When a GP saves
        started = time.monotonic()
        await _text(caches.api)
        # Then the write returns without waiting for the hung cache (a write takes well under
        # a second; the bound leaves room for a loaded machine), and the other cache is
        # purged within a second
        assert time.monotonic() - started < 5.0
        await caches.purged_within(1.0, other)
    finally:
        hung.resume()
    # And the hung one is purged once it answers again (its retry comes within the backoff)
    await caches.purged_within(12.0, hung)


async def test_a_change_whose_instance_died_after_committing_is_purged(tmp_path: Path):
    # Given two instances on one database, each purging one Varnish in front of the other
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILPASS_")}
    env["TILPASS_DATABASE_URL"] = f"sqlite:///{tmp_path / 'tilpass.db'}"
    env["TILPASS_ENV"] = "development"
    cwd = TESTS.parent
    writer = Server(cwd=cwd, env=env)
    survivor = Server(cwd=cwd, env=env)
    with Varnish(survivor.port) as varnish:
        env["TILPASS_PURGE_URLS"] = varnish.url
        for server in (writer, survivor):
            server.start()
        try:
            _seed(env, cwd)
            async with httpx.AsyncClient(base_url=varnish.url, timeout=5) as client:
                assert (await client.get(PANEL_URL)).headers["x-cache"] == "MISS"
                assert (await client.get(PANEL_URL)).headers["x-cache"] == "HIT"
                # When the writer commits a change and is killed as soon as it has answered
                token = _token(env, cwd)
                async with httpx.AsyncClient(base_url=writer.base, timeout=5) as direct:
                    body = (
                        await direct.post(
                            "/graphql",
                            json={
                                "query": SAVE,
                                "variables": text_input(STORGATA, "FASTLEGEPANEL", "Hei."),
                            },
                            headers={"Authorization": f"Bearer {token}"},
                        )
                    ).json()
                os.kill(writer.process.pid, signal.SIGKILL)
                assert body["data"]["saveTexts"]["userErrors"] == []
                # Then the other instance purges it from the cache within a second
                deadline = time.monotonic() + 1.0
                while _panel_text(await client.get(PANEL_URL)) != "Hei.":
                    assert time.monotonic() < deadline, "the dead instance's change never purged"
                    await asyncio.sleep(0.02)
                # And no copy from before the change is kept afterwards
                await asyncio.sleep(2.0)
                assert _panel_text(await client.get(PANEL_URL)) == "Hei."
        finally:
            writer.kill()
            survivor.kill()


def _panel_text(response: httpx.Response) -> str | None:
    return response.json()["data"]["patientPanel"]["panelText"]


def _seed(env: dict[str, str], cwd: Path) -> None:
    registry = TESTS / "registry.json"
    command = [sys.executable, "-m", "cli", "import-registry", str(registry)]
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)


def _token(env: dict[str, str], cwd: Path) -> str:
    command = [sys.executable, "-m", "cli", "token", "--hpr", str(KRISTIAN)]
    result = subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True, text=True)
    return result.stdout.strip().splitlines()[-1]


async def test_a_cache_refilled_from_an_instance_that_lags_is_purged_again(api, settings, clock):
    # Given a cache in front of instance B, which polls the change log slowly (0.9 s), and
    # instance A, where GPs write and which purges the cache
    lagging, _ = await instance(settings.database_url, settings, clock)
    try:
        lagging.watcher.interval = 0.9
        async with listening(create_app(lagging, settings=settings)) as port:
            with Varnish(port) as varnish:
                await api.services.stop()
                api.services.purger = Purger([varnish.url], timeout=0.5)
                await api.services.start()
                async with httpx.AsyncClient(base_url=varnish.url, timeout=5) as client:
                    assert _panel_text(await client.get(PANEL_URL)) is None
                    # When a GP saves on A while patients keep reading through the cache
                    await _text_on_panel(api, "Ny tekst.")
                    deadline = time.monotonic() + 2.0
                    while time.monotonic() < deadline:
                        await client.get(PANEL_URL)
                        await asyncio.sleep(0.02)
                    # Then whatever B gave the cache before it saw the change was purged again:
                    # the cache shows the change, and keeps showing it
                    for _ in range(3):
                        assert _panel_text(await client.get(PANEL_URL)) == "Ny tekst."
                        await asyncio.sleep(0.3)
    finally:
        await lagging.stop()
        await lagging.db.dispose()


async def _text_on_panel(api, text: str) -> None:
    data = await api.data(SAVE, text_input(STORGATA, "FASTLEGEPANEL", text), hpr=ASTRID)
    assert data["saveTexts"]["userErrors"] == []
