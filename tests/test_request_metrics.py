"""edge/request_metrics.py: the request metrics, counted as plain numbers, are exposed exactly as
prometheus_client's own Counter and Histogram would expose the same requests."""

import re

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest

from edge.request_metrics import (
    CACHE_HITS,
    CACHE_HITS_HELP,
    LATENCY,
    LATENCY_HELP,
    REQUESTS,
    REQUESTS_HELP,
    RequestMetrics,
)

# (operation, outcome, seconds, cache hit): on the bucket bounds themselves, between them, past
# the last one, zero, and several operations and outcomes in an order that is not sorted.
REQUESTS_SEEN = [
    ("query:patientService", "ok", 0.005, False),
    ("query:patientService", "ok", 0.0051, True),
    ("query:patientPanel", "ok", 0.0, True),
    ("query:patientService", "invalid", 0.25, False),
    ("mutation:saveTexts", "refused", 10.0, False),
    ("query:patientPanel", "error", 42.0, False),
    ("query:patientService", "ok", 0.000_04, True),
    ("query:patientPanel", "ok", 7.5, False),
]
CREATED = re.compile(rb"^(\w+_created\{[^}]*\}) \S+$", re.MULTILINE)


class LibraryMetrics:
    """The same requests counted with prometheus_client's own metrics, one labelled child per
    series, made the first time the series is seen."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            REQUESTS, REQUESTS_HELP, ["operation", "outcome"], registry=registry
        )
        self.latency = Histogram(LATENCY, LATENCY_HELP, ["operation"], registry=registry)
        self.hits = Counter(CACHE_HITS, CACHE_HITS_HELP, ["operation"], registry=registry)

    def record(self, operation: str, outcome: str, seconds: float, *, cache_hit: bool) -> None:
        self.requests.labels(operation=operation, outcome=outcome).inc()
        self.latency.labels(operation=operation).observe(seconds)
        hits = self.hits.labels(operation=operation)
        if cache_hit:
            hits.inc()


def exposed(record_into) -> bytes:
    registry = CollectorRegistry()
    metrics = record_into(registry)
    for operation, outcome, seconds, hit in REQUESTS_SEEN:
        metrics.record(operation, outcome, seconds, cache_hit=hit)
    # When a series was made differs from run to run; that it is there does not.
    return CREATED.sub(rb"\1 <time>", generate_latest(registry))


def ours(registry: CollectorRegistry) -> RequestMetrics:
    metrics = RequestMetrics()
    registry.register(metrics)
    return metrics


def test_the_exposition_is_the_librarys_sample_for_sample():
    assert exposed(ours) == exposed(LibraryMetrics)


def test_a_value_on_a_bound_counts_in_that_bucket_as_prometheus_has_it():
    text = exposed(ours).decode()
    assert f'{LATENCY}_bucket{{le="0.005",operation="query:patientService"}} 2.0' in text
    assert f'{LATENCY}_bucket{{le="+Inf",operation="query:patientPanel"}} 3.0' in text


@pytest.mark.parametrize("setting", ["true", "1"])
def test_created_series_follow_the_librarys_setting(monkeypatch, setting):
    monkeypatch.setenv("PROMETHEUS_DISABLE_CREATED_SERIES", setting)
    registry = CollectorRegistry()
    ours(registry).record("query:patientService", "ok", 0.01, cache_hit=False)
    assert b"_created" not in generate_latest(registry)
