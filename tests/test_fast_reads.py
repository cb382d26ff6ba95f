"""The compiled path (edge/fast_reads.py, schema/read_plan.py, schema/read_completion.py)
answers every patient read in the very bytes the full path does.

Two apps share one database: one as deployed, one with TILPASS_COMPILED_READS=off, where every
read goes through every layer and graphql-core's executor. The response cache is off, so every
request is a cold read. A generated corpus (both root fields; every service, language and
practitioner; dates before, inside and after an absence and a scheduled text; unknown
practices; aliases, fragments and `__typename`; variables of the wrong type, missing or null
where the type forbids it) is asked of both, and the status, headers and body must be the same,
byte for byte. The compiled path must have answered everything it may answer, and nothing
else."""

from __future__ import annotations

import itertools
import json
import logging
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from app import create_app
from edge.fast_reads import FastReads
from models.catalog import load_catalog
from settings import load_settings
from tests.conftest import (
    ASTRID,
    FJORDBYEN,
    JACOB,
    KRISTIAN,
    STORGATA,
    TODAY,
    add_absence,
    choose_form,
)

STRANGER, NOWHERE = 7654321, 1234567
JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"

SERVICE = """
query Service($herId: Int!, $service: Service!, $hpr: Int, $on: Date, $language: Language) {
  patientService(
    herId: $herId, service: $service, practitionerHpr: $hpr, on: $on, language: $language
  ) {
    service language title lead offered available standardText
    practiceText practiceTextLanguage practiceTextUntil practiceTextUntilInWords
    form { id title kind standard displayName questionnaireRef entryPoints }
    entryPoints { entryPoint title form { id title } }
    absence { from to returnsOn message }
  }
}
"""

PANEL = """
query Panel($herId: Int!, $hpr: Int, $on: Date, $language: Language) {
  patientPanel(herId: $herId, practitionerHpr: $hpr, on: $on, language: $language) {
    practice { herId name }
    panelText panelTextLanguage panelTextUntil panelTextUntilInWords
    services { service title available practiceText form { id displayName } absence { message } }
  }
}
"""

# Both root fields at once, under aliases, through fragments, with __typename at every level.
BOTH = """
query Both($herId: Int!, $service: Service!, $hpr: Int, $on: Date, $language: Language) {
  __typename
  one: patientService(
    herId: $herId, service: $service, practitionerHpr: $hpr, on: $on, language: $language
  ) { ...Service kind: __typename }
  all: patientPanel(herId: $herId, practitionerHpr: $hpr, on: $on, language: $language) {
    __typename
    ... on PatientPanel { text: panelText services { ...Service } }
    practice { __typename id: herId }
  }
}

fragment Service on PatientService {
  __typename name: title available
  form { __typename id }
  absence { __typename returnsOn }
  entryPoints { entryPoint form { id } }
}
"""

CATALOG = load_catalog()
SERVICES = [service.code for service in CATALOG.services]
LANGUAGES = list(CATALOG.languages)
PRACTICES = [STORGATA, FJORDBYEN, NOWHERE]
PRACTITIONERS = [None, ASTRID, KRISTIAN, JACOB, STRANGER]
SCHEDULED_FROM, SCHEDULED_UNTIL = TODAY + timedelta(days=20), TODAY + timedelta(days=30)
ABSENT_FROM, ABSENT_UNTIL = TODAY + timedelta(days=2), TODAY + timedelta(days=5)
DATES = [
    None,
    TODAY,
    ABSENT_FROM,
    ABSENT_UNTIL + timedelta(days=1),
    SCHEDULED_FROM + timedelta(days=1),
    date(2024, 12, 24),
]

# Variables that must make the request an error, each as both paths word it.
VARIABLE_ERRORS = [
    {"herId": "8142519", "service": "RESEPTFORNYELSE"},  # wrong type
    {"herId": 2**31, "service": "RESEPTFORNYELSE"},  # beyond Int
    {"herId": 1.5, "service": "RESEPTFORNYELSE"},
    {"herId": STORGATA, "service": "NOT_A_SERVICE"},
    {"herId": STORGATA, "service": "reseptfornyelse"},
    {"herId": STORGATA, "service": "RESEPTFORNYELSE", "on": "2024-02-30"},
    {"herId": STORGATA, "service": "RESEPTFORNYELSE", "on": 20240101},
    {"herId": STORGATA, "service": "RESEPTFORNYELSE", "language": "SV"},
    {"herId": STORGATA, "service": "RESEPTFORNYELSE", "hpr": [ASTRID]},
    {"service": "RESEPTFORNYELSE"},  # missing
    {"herId": STORGATA},
    {"herId": None, "service": "RESEPTFORNYELSE"},  # null for non-null
    {"herId": STORGATA, "service": None},
    {"herId": True, "service": "RESEPTFORNYELSE"},  # a boolean is no Int
    {"herId": STORGATA, "service": ["RESEPTFORNYELSE"]},  # a list is no enum value
    {"herId": STORGATA, "service": 1},
]
# Values at the edges of what coerces, which must coerce as graphql-core coerces them.
VARIABLE_EDGES = [
    {"herId": float(STORGATA), "service": "RESEPTFORNYELSE"},  # an integral float is an Int
    {"herId": 2**31 - 1, "service": "RESEPTFORNYELSE"},  # the largest Int (no such practice)
    {"herId": -(2**31), "service": "RESEPTFORNYELSE"},
    {"herId": STORGATA, "service": "RESEPTFORNYELSE", "hpr": float(ASTRID)},
]

# What differs between any two responses: the request's id, and whether a shared cache may
# keep the answer, which edge/cache.py decides at the moment of answering, whichever path
# gave it (tests/test_cdn_headers.py).
PER_REQUEST_HEADERS = {"x-request-id", "date", "cache-control", "surrogate-key", "xkey"}


def corpus() -> list[tuple[str, dict[str, Any]]]:
    asked: list[tuple[str, dict[str, Any]]] = []
    for her_id, hpr, language, on in itertools.product(PRACTICES, PRACTITIONERS, LANGUAGES, DATES):
        common = {"herId": her_id, "hpr": hpr, "language": language}
        if on is not None:
            common["on"] = on.isoformat()
        asked.append((PANEL, common))
        for service in SERVICES:
            asked.append((SERVICE, {**common, "service": service}))
        asked.append((BOTH, {**common, "service": SERVICES[(her_id + hpr if hpr else 0) % 4]}))
    asked += [(SERVICE, variables) for variables in VARIABLE_ERRORS]
    asked += [(BOTH, variables) for variables in VARIABLE_ERRORS]
    asked += [(SERVICE, variables) for variables in VARIABLE_EDGES]
    return asked


@pytest.fixture
async def two_apps(api, settings):
    """(compiled, full): the app as deployed, and one where everything takes the full path; the
    response cache off, so that every request is a cold read."""
    # (no room at all: `enabled` is the change watcher's to switch)
    api.services.cache.max_bytes = 0
    full = create_app(api.services, settings=replace(settings, compiled_reads=False))
    transport = httpx.ASGITransport(app=full)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield api.client, client


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether the compiled path answered, per request it was asked."""
    answered: list[bool] = []
    answer = FastReads.answer

    async def watched(self, *args: Any, **kwargs: Any) -> Any:
        produced = await answer(self, *args, **kwargs)
        answered.append(produced is not None)
        return produced

    monkeypatch.setattr(FastReads, "answer", watched)
    return answered


async def send(
    client: httpx.AsyncClient, document: str, variables: dict[str, Any], method: str, accept: str
) -> tuple[int, dict[str, str], bytes]:
    if method == "GET":
        params = {"query": document, "variables": json.dumps(variables)}
        response = await client.get("/graphql", params=params, headers={"Accept": accept})
    else:
        body = json.dumps({"query": document, "variables": variables})
        headers = {"Accept": accept, "Content-Type": "application/json"}
        response = await client.post("/graphql", content=body, headers=headers)
    headers = {k: v for k, v in response.headers.items() if k not in PER_REQUEST_HEADERS}
    return response.status_code, headers, response.content


SAVE_TEXTS = """
mutation Save($input: SaveTextsInput!) { saveTexts(input: $input) { userErrors { code } } }
"""

ADD_SCHEDULED = """
mutation Add($input: AddScheduledTextInput!) {
  addScheduledText(input: $input) { userErrors { code } }
}
"""


async def settings_worth_showing(api) -> None:
    """Something in every field: additions in two languages, a scheduled text, a form choice,
    and an absence of Astrid's at Storgata."""
    texts = [
        {"slot": "RESEPTFORNYELSE", "text": "Husk å oppgi apotek."},
        {"slot": "FASTLEGEPANEL", "text": "Velkommen til «Storgata»!"},
        {"slot": "TIMEBESTILLING", "language": "EN", "text": 'Call us "any" time.'},
    ]
    saved = await api.data(SAVE_TEXTS, {"input": {"herId": STORGATA, "texts": texts}}, hpr=ASTRID)
    assert saved["saveTexts"]["userErrors"] == []
    scheduled = {
        "herId": STORGATA,
        "slot": "TIMEBESTILLING",
        "text": "Stengt i fellesferien.",
        "from": SCHEDULED_FROM.isoformat(),
        "to": SCHEDULED_UNTIL.isoformat(),
    }
    added = await api.data(ADD_SCHEDULED, {"input": scheduled}, hpr=ASTRID)
    assert added["addScheduledText"]["userErrors"] == []
    await choose_form(api, STORGATA, "RESEPTFORNYELSE", None)
    await add_absence(api, ABSENT_FROM, ABSENT_UNTIL, ["RESEPTFORNYELSE", "TIMEBESTILLING"])


@pytest.mark.parametrize(
    "method, accept", [("POST", JSON), ("POST", GRAPHQL_RESPONSE), ("GET", GRAPHQL_RESPONSE)]
)
async def test_the_compiled_path_answers_the_corpus_as_the_full_path(
    api, two_apps, compiled, method, accept
):
    # Given a practice with something in every field, and each document run once (the
    # compiled path learns a document from the full path's first answer to it)
    await settings_worth_showing(api)
    fast, full = two_apps
    for document in (SERVICE, PANEL, BOTH):
        first = {"herId": STORGATA, "service": "RESEPTFORNYELSE"}
        await send(fast, document, first, method, accept)
    compiled.clear()
    # When every request of the corpus is asked of both apps
    answered = 0
    for document, variables in corpus():
        expected = await send(full, document, variables, method, accept)
        got = await send(fast, document, variables, method, accept)
        # Then both answer alike, byte for byte
        assert got == expected, (document.split("(")[0], variables)
        # And the compiled path answered exactly the reads that are not errors
        error = b'"errors"' in expected[2]
        asked = (document.split("(")[0], variables, expected)
        assert compiled == [not error], asked
        compiled.clear()
        answered += not error
    assert answered > 1_000


@pytest.mark.parametrize("value, on", [("off", False), ("OFF", False), ("0", False), ("on", True)])
def test_the_compiled_path_can_be_switched_off(value, on):
    assert load_settings({"TILPASS_COMPILED_READS": value}).compiled_reads is on
    assert load_settings({}).compiled_reads is True


# --- what the layers it passes by would have done ---------------------------------------

READ = {"herId": STORGATA, "service": "RESEPTFORNYELSE", "hpr": ASTRID}
# The metrics' and access log's name for SERVICE (edge/metrics.py names operations by root field).
OPERATION = "query:patientService"


async def read_again(api, compiled: list[bool], **headers: str) -> httpx.Response:
    """SERVICE read once (the compiled path learns it from the full path's answer), then again
    with `headers`; the response cache keeps nothing, so both reads are cold. `compiled` then
    tells how the second read alone was answered."""
    api.services.cache.max_bytes = 0
    body = json.dumps({"query": SERVICE, "variables": READ})
    plain = {"Content-Type": "application/json"}
    await api.client.post("/graphql", content=body, headers=plain)
    compiled.clear()
    return await api.client.post("/graphql", content=body, headers={**plain, **headers})


async def test_the_request_id_access_line_and_metrics_are_kept(api, compiled, caplog):
    # When a cold read is answered by the compiled path, with the caller's request id
    with caplog.at_level(logging.INFO, logger="tilpass.access"):
        response = await read_again(api, compiled, **{"X-Request-ID": "patient-page-42"})
    assert compiled == [True]
    # Then the id comes back, as RequestContext gives it back
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "patient-page-42"
    # And the access log has its line, with the operation and outcome the full path gave the
    # first read
    full, fast = [r for r in caplog.records if r.name == "tilpass.access"][-2:]
    assert (fast.method, fast.path, fast.status) == ("POST", "/graphql", 200)
    assert (fast.operation, fast.outcome) == (full.operation, full.outcome) == (OPERATION, "ok")
    # And the metrics counted both reads under that operation, neither as a cache hit
    metrics = (await api.client.get("/metrics")).text
    assert f'tilpass_graphql_requests_total{{operation="{OPERATION}",outcome="ok"}} 2.0' in metrics
    assert f'tilpass_response_cache_hits_total{{operation="{OPERATION}"}} 0.0' in metrics
    # And the security headers are there, as the full stack sets them
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer not-a-token"},
        {"Cookie": "tilpass_session=x"},
        {"Origin": "https://www.helsenorge.no"},  # CORS answers depend on it
        {"X-Tilpass-Client": "graphiql"},
    ],
    ids=["authorization", "session-cookie", "origin", "graphiql"],
)
async def test_what_the_layers_would_treat_differently_takes_the_whole_way(api, compiled, headers):
    # When the document, answered once, comes again with what a layer below the cache acts
    # on, then the compiled path is not even asked
    response = await read_again(api, compiled, **headers)
    assert response.status_code == 200
    assert compiled == []
