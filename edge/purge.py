"""Purging the CDN: every committed change of a practice is dropped from the shared caches
(`TILPASS_PURGE_URLS`) by `PURGE /` with the header `xkey-purge: practice-<herId>`.

Purges follow the database's change log (models.changes), not the writes of this instance:
each instance's change watcher (edge.changes) tells the purger what changed since its last
poll, by whichever instance or process (`tilpass sync-registry`) committed it, once its own
caches have forgotten it. A change whose instance died right after committing is therefore
purged by the others. Several instances purge the same change each; a purge is idempotent,
and that costs one small request per instance and change.

Another instance may not have seen the change yet when the purge arrives, and a cache that
refills from it then would keep the old state until midnight. So each change is purged twice:
at once, and again when every instance has seen it or stopped giving answers to shared
caches (edge.changes.SHARE_WINDOW_SECONDS, plus a poll).

A write never waits for a cache: purging runs in the background, one worker per cache, so a
hung cache holds up no other. What a cache has not acknowledged stays in its backlog (a set
of practices, so repeated changes to one practice cost one purge) and is retried with
backoff, for as long as it takes: at least the minute the contract asks, and beyond, since a
practice left unpurged would be shown outdated until midnight."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence

import httpx
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from edge.changes import POLL_SECONDS, SHARE_WINDOW_SECONDS

log = logging.getLogger("tilpass.purge")

# When the second purge of a change goes: by then every instance has polled since it, or
# gives no answer to a shared cache.
AGAIN_AFTER_SECONDS = SHARE_WINDOW_SECONDS + POLL_SECONDS
# A cache that answers nothing within this long counts as failed; its purge is retried.
TIMEOUT_SECONDS = 2.0
# Keys per PURGE: xkey takes several space-separated keys in one header, and Varnish's
# default header limit (8 KB) holds this many with room to spare.
BATCH = 100
FIRST_RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 10.0


def purge_header(her_ids: Iterable[int]) -> str:
    return " ".join(f"practice-{her_id}" for her_id in her_ids)


def retry_after(failures: int) -> float:
    """Seconds before the next attempt after `failures` failures in a row: doubling, capped."""
    return min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(0, failures - 1))


class CacheTarget:
    """One shared cache: its backlog and its worker."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/") + "/"
        self.backlog: set[int] = set()
        # The batch on its way to the cache: still unpurged until the cache says so.
        self.in_flight: frozenset[int] = frozenset()
        self.failures = 0
        self.results: Counter[str] = Counter()
        self._wake = asyncio.Event()

    def unpurged(self) -> int:
        return len(self.backlog | self.in_flight)

    def add(self, her_ids: Iterable[int]) -> None:
        self.backlog.update(her_ids)
        if self.backlog:
            self._wake.set()

    async def run(self, client: httpx.AsyncClient) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self.backlog:
                batch = sorted(self.backlog)[:BATCH]
                # Taken out while in flight: a change to one of these meanwhile puts it back,
                # and it is purged again (the cache may have stored it anew in between).
                self.backlog.difference_update(batch)
                self.in_flight = frozenset(batch)
                result = await self._purge(client, batch)
                self.in_flight = frozenset()
                self.results[result] += 1
                if result == "ok":
                    self.failures = 0
                    continue
                self.backlog.update(batch)
                self.failures += 1
                delay = retry_after(self.failures)
                if self.failures == 1:
                    log.warning(
                        "purge failed; retrying with backoff",
                        extra={"cache": self.url, "result": result, "backlog": len(self.backlog)},
                    )
                await asyncio.sleep(delay)

    async def _purge(self, client: httpx.AsyncClient, batch: Sequence[int]) -> str:
        try:
            response = await client.request(
                "PURGE", self.url, headers={"xkey-purge": purge_header(batch)}
            )
        except httpx.TimeoutException:
            return "timeout"
        except httpx.HTTPError:
            return "unreachable"
        if response.is_success:
            if self.failures:
                log.info("purges succeed again", extra={"cache": self.url})
            return "ok"
        return "refused" if response.status_code in (401, 403, 405) else "error"


class Purger:
    """Has every cache purge what the change watcher says changed, now and once more."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        timeout: float = TIMEOUT_SECONDS,
        again_after: float = AGAIN_AFTER_SECONDS,
    ) -> None:
        self.targets = [CacheTarget(url) for url in urls]
        self.again_after = again_after
        identity = f"tilpass-purge/{socket.gethostname()}-{os.getpid()}"
        self._client = httpx.AsyncClient(
            timeout=timeout, headers={"User-Agent": identity}, follow_redirects=False
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._later: set[asyncio.TimerHandle] = set()

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(target.run(self._client), name=f"tilpass-purge {target.url}")
            for target in self.targets
        ]

    async def stop(self) -> None:
        for handle in self._later:
            handle.cancel()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self._client.aclose()

    def changed(self, her_ids: list[int]) -> None:
        """The change watcher's news: these practices changed, and this instance has
        forgotten them."""
        if not her_ids:
            return
        self._purge(her_ids)
        handle = asyncio.get_running_loop().call_later(self.again_after, self._again, her_ids)
        self._later.add(handle)

    def _again(self, her_ids: list[int]) -> None:
        # Kept only to be cancelled at stop: those due by now have run.
        now = asyncio.get_running_loop().time()
        self._later = {handle for handle in self._later if handle.when() > now}
        self._purge(her_ids)

    def _purge(self, her_ids: list[int]) -> None:
        for target in self.targets:
            target.add(her_ids)

    def backlog(self) -> int:
        return sum(target.unpurged() for target in self.targets)


class PurgeMetrics(Collector):
    """Purges by cache and result, and each cache's backlog, read when /metrics is asked."""

    def __init__(self, locate: Callable[[], Purger | None]) -> None:
        self.locate = locate

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        purger = self.locate()
        purges = CounterMetricFamily(
            "tilpass_cdn_purges",
            "PURGE requests to shared caches, by result.",
            labels=["cache", "result"],
        )
        backlog = GaugeMetricFamily(
            "tilpass_cdn_purge_backlog",
            "Practices changed but not yet purged from the cache.",
            labels=["cache"],
        )
        for target in purger.targets if purger is not None else ():
            for result in ("ok", "timeout", "unreachable", "refused", "error"):
                purges.add_metric([target.url, result], target.results[result])
            backlog.add_metric([target.url], target.unpurged())
        yield purges
        yield backlog
