"""Purging shared caches (edge/purge.py), against real HTTP receivers on this machine: every
committed change is purged from every cache, a failing or hung cache is retried until it
takes the purge, and none of it slows a write. tests/test_varnish_purge.py does the same
with real Varnish."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app import Services
from edge.purge import Purger, retry_after
from resolvers.registry_fhir import read_bundles
from resolvers.registry_sync import sync_registry
from tests.conftest import ASTRID, STORGATA, TODAY, text_input
from tests.fhir_bundles import bundle_text, find, registry_resources
from tests.test_registry_sync import ALL_SERVICES

SAVE = """
mutation Save($input: SaveTextsInput!) { saveTexts(input: $input) { userErrors { code } } }
"""


class Receiver:
    """An HTTP server that records each PURGE's xkey-purge header. `status` is what it answers;
    while `hang` is set it holds every request unanswered."""

    def __init__(self) -> None:
        self.purged: list[str] = []
        self.status = 200
        self.hang = threading.Event()
        self.released = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_PURGE(self) -> None:
                if receiver.hang.is_set():
                    receiver.released.wait(30)
                    return
                if receiver.status == 200:
                    receiver.purged.append(self.headers.get("xkey-purge", ""))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def keys(self) -> set[str]:
        return {key for header in self.purged for key in header.split()}

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, Receiver]]:
    pair = (Receiver(), Receiver())
    yield pair
    for receiver in pair:
        receiver.close()


@pytest.fixture
async def purging(api, receivers) -> Purger:
    services: Services = api.services
    await services.stop()
    services.purger = Purger([r.url for r in receivers], timeout=0.5)
    await services.start()
    return services.purger


async def until(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


async def save(api, text: str) -> float:
    """Saves Storgata's panel text as Astrid; the seconds the write took."""
    started = time.monotonic()
    body = await api.post(SAVE, text_input(STORGATA, "FASTLEGEPANEL", text), hpr=ASTRID)
    assert body["data"]["saveTexts"]["userErrors"] == []
    return time.monotonic() - started


async def test_a_change_is_purged_from_every_cache(api, purging, receivers):
    await save(api, "Hei.")
    for receiver in receivers:
        await until(lambda r=receiver: f"practice-{STORGATA}" in r.keys(), 1.0, "not purged")
    # (a cache has the purge a moment before the purger has its answer and counts it done)
    await until(lambda: purging.backlog() == 0, 1.0, "backlog left")


async def test_a_change_by_another_process_is_purged(api, db, purging, receivers):
    # Given a registry sync by another process (here: straight to the database) that closes
    # Storgata
    resources = registry_resources()
    find(resources, "Organization/her-8142519")["active"] = False
    registry = read_bundles([("kilde.json", bundle_text(resources))], today=TODAY)
    await sync_registry(db=db, registry=registry, offered=ALL_SERVICES)
    # Then this instance purges it from both caches
    for receiver in receivers:
        await until(lambda r=receiver: f"practice-{STORGATA}" in r.keys(), 1.0, "not purged")


async def test_a_hung_cache_slows_no_write_and_gets_the_purge_when_back(api, purging, receivers):
    hung, other = receivers
    hung.hang.set()
    # When a GP saves while one cache hangs
    took = await save(api, "Hei.")
    # Then the write returns at once, and the other cache is purged within a second
    assert took < 0.5
    await until(lambda: f"practice-{STORGATA}" in other.keys(), 1.0, "other cache not purged")
    # When the hung cache answers again
    hung.hang.clear()
    hung.released.set()
    # Then it gets the purge (retried with backoff)
    await until(lambda: f"practice-{STORGATA}" in hung.keys(), 10.0, "hung cache never purged")


async def test_a_failing_cache_is_retried_and_counted(api, purging, receivers):
    failing, _ = receivers
    failing.status = 503
    await save(api, "Hei.")
    target = purging.targets[0]
    await until(lambda: target.results["error"] >= 2, 5.0, "not retried")
    assert target.unpurged() == 1
    metrics = (await api.client.get("/metrics")).text
    assert f'tilpass_cdn_purge_backlog{{cache="{failing.url}/"}} 1.0' in metrics
    assert f'tilpass_cdn_purges_total{{cache="{failing.url}/",result="error"}}' in metrics
    # When it recovers, the backlog empties
    failing.status = 200
    await until(lambda: target.unpurged() == 0, 10.0, "backlog never emptied")
    assert f"practice-{STORGATA}" in failing.keys()


def test_backoff_doubles_up_to_a_cap():
    assert [retry_after(n) for n in (1, 2, 3, 4, 5, 6, 7)] == [0.5, 1, 2, 4, 8, 10, 10]


async def test_each_change_is_purged_again_once_every_instance_has_seen_it(api, purging, receivers):
    # Given one save, purged at once
    receiver, _ = receivers
    await save(api, "Hei.")
    await until(lambda: len(receiver.purged) >= 1, 1.0, "not purged")
    first = time.monotonic()
    # Then it is purged once more, after every instance has polled since (1.25 s)
    await until(lambda: len(receiver.purged) >= 2, 3.0, "not purged again")
    assert time.monotonic() - first > 1.0
    assert receiver.purged[1] == f"practice-{STORGATA}"
