"""The GraphQL request metrics, counted as plain numbers and exposed as prometheus_client's own
Counter and Histogram expose them.

Every request to /graphql is counted, a response-cache hit included, on the event loop's
thread. prometheus_client's metrics take a lock for every increment (three to five of them
per request, a histogram's bucket search besides), which cost a cache hit about a twentieth of
its time. Here a request adds to a few numbers; the samples are put together when /metrics is
scraped, with the names, labels, bucket bounds and `_created` series the library's Counter and
Histogram give (tests/test_request_metrics.py holds both side by side).

Only the event loop's thread records, so the numbers need no lock: a scrape also runs there,
between two requests, never in the middle of one."""

from __future__ import annotations

import os
import time
from bisect import bisect_left
from collections.abc import Iterator, Sequence

from prometheus_client import Histogram
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import INF, floatToGoString

REQUESTS = "tilpass_graphql_requests"
LATENCY = "tilpass_graphql_request_duration_seconds"
CACHE_HITS = "tilpass_response_cache_hits"
REQUESTS_HELP = "GraphQL requests by operation and outcome."
LATENCY_HELP = "Time from request to the end of the response, by operation."
CACHE_HITS_HELP = "GraphQL responses served from the patient view's response cache (304 included)."


def _created_series() -> bool:
    """Whether `_created` series are exposed: prometheus_client's own setting, read as the
    library reads it when it is imported."""
    disabled = os.environ.get("PROMETHEUS_DISABLE_CREATED_SERIES", "False").lower()
    return disabled not in ("true", "1", "t")


class _Requests:
    """One operation and outcome: how many requests."""

    __slots__ = ("count", "created")

    def __init__(self) -> None:
        self.count = 0
        self.created = time.time()


class _Operation:
    """One operation: its latency histogram (a count per bucket, not yet cumulative) and its
    cache hits."""

    __slots__ = ("buckets", "created", "hits", "hits_created", "sum")

    def __init__(self, size: int) -> None:
        self.buckets = [0] * size
        self.sum = 0.0
        self.hits = 0
        self.created = self.hits_created = time.time()


class RequestMetrics(Collector):
    def __init__(self, buckets: Sequence[float] = Histogram.DEFAULT_BUCKETS) -> None:
        bounds = [float(bound) for bound in buckets]
        if bounds[-1] != INF:
            bounds.append(INF)
        self._bounds = bounds
        # The finite bounds: bisect_left gives the first bucket whose bound is at least the
        # value, as Histogram.observe's `amount <= bound`; past them all, +Inf's.
        self._finite = bounds[:-1]
        self._requests: dict[tuple[str, str], _Requests] = {}
        self._operations: dict[str, _Operation] = {}
        self._created = _created_series()

    def record(self, operation: str, outcome: str, seconds: float, *, cache_hit: bool) -> None:
        requests = self._requests.get((operation, outcome))
        if requests is None:
            requests = self._requests[(operation, outcome)] = _Requests()
        requests.count += 1
        counted = self._operations.get(operation)
        if counted is None:
            counted = self._operations[operation] = _Operation(len(self._bounds))
        counted.buckets[bisect_left(self._finite, seconds)] += 1
        counted.sum += seconds
        if cache_hit:
            counted.hits += 1

    def collect(self) -> Iterator[Metric]:
        requests = Metric(REQUESTS, REQUESTS_HELP, "counter")
        for (operation, outcome), counted in self._requests.items():
            labels = {"operation": operation, "outcome": outcome}
            self._sample(requests, "_total", labels, counted.count, counted.created)
        yield requests

        latency = Metric(LATENCY, LATENCY_HELP, "histogram")
        for operation, counted in self._operations.items():
            labels = {"operation": operation}
            total = 0.0
            for bound, count in zip(self._bounds, counted.buckets, strict=True):
                total += count
                bucket = {**labels, "le": floatToGoString(bound)}
                latency.add_sample(LATENCY + "_bucket", bucket, total)
            latency.add_sample(LATENCY + "_count", labels, total)
            self._sample(latency, "_sum", labels, counted.sum, counted.created)
        yield latency

        hits = Metric(CACHE_HITS, CACHE_HITS_HELP, "counter")
        for operation, counted in self._operations.items():
            labels = {"operation": operation}
            self._sample(hits, "_total", labels, counted.hits, counted.hits_created)
        yield hits

    def _sample(
        self, metric: Metric, suffix: str, labels: dict[str, str], value: float, created: float
    ) -> None:
        """The series' value, then when it was made (where `_created` series are on)."""
        metric.add_sample(metric.name + suffix, labels, float(value))
        if self._created:
            metric.add_sample(metric.name + "_created", labels, created)
