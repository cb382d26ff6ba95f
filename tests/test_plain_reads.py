"""Patient reads skip graphql-core's executor once their document has run (schema/plain_reads.py)
and answer exactly as it does: every document below is asked several times, the first time
through the executor and then (a request the response cache cannot answer) without it, and the
answers must be the same status, headers and bytes.

The documents are what clients write: variables or none at all (GraphiQL, curl), inline
arguments of every kind, both mixed, defaults, nulls, aliases, fragments on the root type,
several operations and an operation name; the requests come as POST and GET, under both media
types, with `variables` missing, null, empty or carrying more than the document defines."""

from __future__ import annotations

import itertools
import json
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from schema import plain_reads
from schema.execution import AcyclicExecutionContext
from schema.plain_reads import PlainReads
from tests.conftest import (
    ASTRID,
    FJORDBYEN,
    KRISTIAN,
    STORGATA,
    TODAY,
    add_absence,
    choose_form,
    save_texts,
)
from tests.outage_app import instance
from web.documents import page_operations

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"

# Literals below: 8142519 is STORGATA, 8142520 FJORDBYEN, 9144889 ASTRID (away 10–14 June at
# Storgata, see `settings_worth_showing`), 5550123 JACOB (Fjordbyen only) and 7654321 STRANGER
# (in no registry), as tests/conftest.py has them.

SERVICE = """
query Service($herId: Int!, $service: Service!, $hpr: Int, $on: Date, $language: Language) {
  patientService(
    herId: $herId, service: $service, practitionerHpr: $hpr, on: $on, language: $language
  ) {
    service language title lead offered available standardText
    practiceText practiceTextLanguage practiceTextUntil
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
    panelText panelTextLanguage panelTextUntil
    services { service title available practiceText form { id } absence { returnsOn message } }
  }
}
"""

# The selections of SERVICE and PANEL as fragments, so that a document with other arguments
# answers in the same bytes.
EVERY_SERVICE_FIELD = """
fragment EveryServiceField on PatientService {
  service language title lead offered available standardText
  practiceText practiceTextLanguage practiceTextUntil
  form { id title kind standard displayName questionnaireRef entryPoints }
  entryPoints { entryPoint title form { id title } }
  absence { from to returnsOn message }
}
"""

EVERY_PANEL_FIELD = """
fragment EveryPanelField on PatientPanel {
  practice { herId name }
  panelText panelTextLanguage panelTextUntil
  services { service title available practiceText form { id } absence { returnsOn message } }
}
"""

# What GraphiQL users and curl send: no operation, no variables, literals only.
BARE_SERVICE = "{ patientService(herId: 8142519, service: RESEPTFORNYELSE) { title } }"
BARE_PANEL = "{ patientPanel(herId: 8142520) { practice { name } services { service title } } }"

# Every kind of argument inline: Int, both enums, a Date, the optional HPR number.
INLINE_SERVICE = (
    """
query InlineService {
  patientService(
    herId: 8142519, service: TIMEBESTILLING, practitionerHpr: 9144889, on: "2024-06-12",
    language: EN
  ) { ...EveryServiceField }
}
"""
    + EVERY_SERVICE_FIELD
)

INLINE_PANEL = (
    """
query InlinePanel {
  patientPanel(herId: 8142519, practitionerHpr: 9144889, on: "2024-06-12", language: NN) {
    ...EveryPanelField
  }
}
"""
    + EVERY_PANEL_FIELD
)

MIXED_SERVICE = (
    """
query MixedService($service: Service!, $on: Date) {
  patientService(
    herId: 8142519, service: $service, practitionerHpr: 9144889, on: $on, language: SE
  ) { ...EveryServiceField }
}
"""
    + EVERY_SERVICE_FIELD
)

MIXED_PANEL = (
    """
query MixedPanel($herId: Int!, $language: Language) {
  patientPanel(herId: $herId, practitionerHpr: 9144889, on: "2024-06-12", language: $language) {
    ...EveryPanelField
  }
}
"""
    + EVERY_PANEL_FIELD
)

# Defaults on the variable definitions, also a nullable variable with a default where the
# argument is non-null.
DEFAULTS = (
    """
query Defaults(
  $herId: Int = 8142519, $service: Service! = TIMEBESTILLING, $hpr: Int = 9144889,
  $on: Date = "2024-06-12", $language: Language = EN
) {
  patientService(
    herId: $herId, service: $service, practitionerHpr: $hpr, on: $on, language: $language
  ) { ...EveryServiceField }
}
"""
    + EVERY_SERVICE_FIELD
)

# Variables for the nullable arguments, which a client may leave out or send as null.
OPTIONAL = (
    """
query Optional($hpr: Int, $on: Date, $language: Language) {
  patientService(
    herId: 8142519, service: RESEPTFORNYELSE, practitionerHpr: $hpr, on: $on, language: $language
  ) { ...EveryServiceField }
}
"""
    + EVERY_SERVICE_FIELD
)

EXPLICIT_NULLS = (
    """
{
  patientService(
    herId: 8142519, service: RESEPTFORNYELSE, practitionerHpr: null, on: null, language: null
  ) { ...EveryServiceField }
}
"""
    + EVERY_SERVICE_FIELD
)

# Several operations, of which the request names one; `Me` is no patient read.
SEVERAL = """
query ServiceOp { patientService(herId: 8142519, service: RESEPTFORNYELSE) { title available } }
query PanelOp($herId: Int!) { patientPanel(herId: $herId) { practice { name } } }
query Me { me { name } }
"""

# One variable for arguments of both root fields, with a default.
SHARED_VARIABLES = (
    """
query Shared($herId: Int!, $language: Language = NN) {
  patientService(herId: $herId, service: KONTAKT_LEGEKONTORET, language: $language) {
    ...EveryServiceField
  }
  patientPanel(herId: $herId, language: $language) { ...EveryPanelField }
}
"""
    + EVERY_SERVICE_FIELD
    + EVERY_PANEL_FIELD
)

# __typename at every level (aliased too), a field asked twice under different aliases, the same
# root field with other arguments under another alias.
ALIASES = """
query Aliases {
  resept: patientService(herId: 8142519, service: RESEPTFORNYELSE, practitionerHpr: 9144889) {
    __typename
    heading: title
    title
    again: title
    kind: __typename
    form { __typename id }
    sameForm: form { id }
    entryPoints { __typename entryPoint }
    absence { __typename returnsOn }
  }
  booking: patientService(herId: 8142519, service: TIMEBESTILLING) { title available }
  panel: patientPanel(herId: 8142519) {
    __typename
    services { __typename service }
    practice { __typename name }
  }
  samePanel: patientPanel(herId: 8142519) { panelText }
}
"""

# Fragments on the root type: named, inline with a type condition and without; a root field
# both in a fragment and beside it, its selections merged.
ROOT_FRAGMENTS = """
query RootFragments {
  ...Reads
  patientService(herId: 8142519, service: RESEPTFORNYELSE) { lead }
  ... on Query { booking: patientService(herId: 8142520, service: TIMEBESTILLING) { title } }
  ... { panel: patientPanel(herId: 8142520) { services { ...Heading } } }
}
fragment Reads on Query {
  patientService(herId: 8142519, service: RESEPTFORNYELSE) { ...Heading }
}
fragment Heading on PatientService { service title available }
"""

# Null answers: a practice not in the registry, a GP in no registry, a GP of another practice.
NOBODY = """
{
  unknownPractice: patientService(herId: 1, service: RESEPTFORNYELSE) { title }
  unknownPanel: patientPanel(herId: 1) { panelText }
  stranger: patientService(herId: 8142519, service: RESEPTFORNYELSE, practitionerHpr: 7654321) {
    title
  }
  elsewhere: patientPanel(herId: 8142519, practitionerHpr: 5550123) { panelText }
}
"""

# What clients write besides plain selections: aliases, named and inline fragments,
# __typename, a field asked twice with its selections merged, two root fields, literals.
SHAPES = """
query Shapes($hpr: Int) {
  __typename
  resept: patientService(herId: 8142519, service: RESEPTFORNYELSE, practitionerHpr: $hpr) {
    ...Heading
    __typename
    form { id }
    form { title __typename }
    entryPoints { ... on PatientEntry { entryPoint } kind: title }
    ... { absence { returnsOn } }
  }
  panel: patientPanel(herId: 8142520) { services { ...Heading } practice { name } }
}
fragment Heading on PatientService { service title available }
"""

# The root __typename alone keeps this one on the executor's path.
SHAPES_PLAIN = SHAPES.replace("  __typename\n  resept", "  resept", 1)

# A directive keeps a document on the executor's path.
SERVICE_WITH_DIRECTIVE = SERVICE.replace("lead offered", "lead @include(if: true) offered")

# More that the plan leaves to the executor: @include/@skip by variable, on a fragment spread
# and on an inline fragment, introspection beside a patient read.
INCLUDE_BY_VARIABLE = """
query IncludeByVariable($full: Boolean!) {
  patientService(herId: 8142519, service: RESEPTFORNYELSE) { title lead @include(if: $full) }
}
"""
SKIP_ON_SPREAD = """
query SkipOnSpread {
  patientPanel(herId: 8142519) { services { ...Heading @skip(if: false) } }
}
fragment Heading on PatientService { service title }
"""
SKIP_ON_INLINE_FRAGMENT = """
{ patientService(herId: 8142519, service: RESEPTFORNYELSE) { ... @skip(if: true) { lead } title } }
"""
ROOT_TYPENAME = "{ __typename patientService(herId: 8142519, service: RESEPTFORNYELSE) { title } }"
INTROSPECTION = """
{ __schema { queryType { name } } patientPanel(herId: 8142519) { practice { name } } }
"""

COUNTER = itertools.count()

# How a variables-free document may come: without `variables`, with null, with {}, or with
# variables it does not define (ignored, whatever their type).
NO_VARIABLES: tuple[dict[str, Any], ...] = (
    {},
    {"variables": None},
    {"variables": {}},
    {"variables": {"unused": 1, "herId": "not even an Int"}},
)


@dataclass(frozen=True)
class How:
    method: str
    accept: str


# The ways a request may come. Tests ask in each in turn, on one app: `own_text` gives each way
# a document text (so a plan) of its own, which saves a database per way.
HOWS = (
    How("POST", GRAPHQL_RESPONSE),
    How("POST", JSON),
    How("GET", GRAPHQL_RESPONSE),
    How("GET", JSON),
)
POST = How("POST", GRAPHQL_RESPONSE)


def own_text(document: str, *asked: object) -> str:
    """The document with a comment naming how it is asked: the same operation, not planned."""
    return f"{document}# asked: {asked}\n"


async def send(
    app, document: str, fields: dict[str, Any] | None = None, how: How = POST
) -> httpx.Response:
    """A GraphQL request with `fields` besides the document (variables, operationName), which
    only the app can answer: the response cache is emptied first (it need not key on the bytes:
    `variables` missing, null and {} may be one entry), and an extension nobody reads makes the
    bytes new all the same."""
    app.services.cache.clear()
    request = {"query": document, **(fields or {}), "extensions": {"n": next(COUNTER)}}
    headers = {"Accept": how.accept}
    if how.method == "GET":
        params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in request.items()}
        return await app.client.get("/graphql", params=params, headers=headers)
    # (json.dumps, unlike httpx, writes NaN, as some clients do)
    headers["Content-Type"] = "application/json"
    return await app.client.post("/graphql", content=json.dumps(request), headers=headers)


async def ask(app, document: str, variables: dict[str, Any]) -> str:
    """The response body of a POST with these variables."""
    response = await send(app, document, {"variables": variables})
    assert response.status_code in (200, 503), response.text
    return response.text


# What differs between any two responses: who asked, and when.
# What differs between answers of one read, whichever path: the request's id, and whether a
# shared cache may keep it, which edge/cache.py decides at the moment of answering
# (tests/test_cdn_headers.py).
PER_REQUEST_HEADERS = {"x-request-id", "date", "cache-control", "surrogate-key", "xkey"}


def whole(response: httpx.Response) -> tuple[int, dict[str, str], str]:
    headers = {k: v for k, v in response.headers.items() if k not in PER_REQUEST_HEADERS}
    return response.status_code, headers, response.text


@pytest.fixture
def executions(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The operations graphql-core's executor took on (variables coerced or refused), by the
    name of the document's first definition."""
    ran: list[str | None] = []
    build = AcyclicExecutionContext.build.__func__  # type: ignore[attr-defined]

    def counted(cls, schema, document, *args: Any, **kwargs: Any) -> Any:
        name = document.definitions[0].name
        ran.append(name.value if name else None)
        return build(cls, schema, document, *args, **kwargs)

    monkeypatch.setattr(AcyclicExecutionContext, "build", classmethod(counted))
    return ran


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What answered, in order: "executor" for each operation graphql-core's executor took on,
    "plain" for each answer of the plain path, "declined" where it left one to the executor."""
    paths: list[str] = []
    build = AcyclicExecutionContext.build.__func__  # type: ignore[attr-defined]
    execute = PlainReads.execute

    def counted(cls, *args: Any, **kwargs: Any) -> Any:
        paths.append("executor")
        return build(cls, *args, **kwargs)

    async def watched(self, *args: Any, **kwargs: Any) -> Any:
        result = await execute(self, *args, **kwargs)
        paths.append("declined" if result is None else "plain")
        return result

    monkeypatch.setattr(AcyclicExecutionContext, "build", classmethod(counted))
    monkeypatch.setattr(PlainReads, "execute", watched)
    return paths


async def served(
    app, taken: list[str], document: str, fields: dict[str, Any] | None = None, how: How = POST
) -> tuple[str, tuple[int, dict[str, str], str]]:
    """Which path answered the request (as `taken` lists them), and the response."""
    start = len(taken)
    response = await send(app, document, fields, how)
    assert response.status_code < 500, response.text
    return " ".join(taken[start:]), whole(response)


async def same_on_both_paths(
    app, taken: list[str], document: str, forms: tuple[dict[str, Any], ...], how: How = POST
) -> tuple[int, dict[str, str], str]:
    """Asks the document in the first form (the executor answers and the plan is made), then in
    every form twice over: each must be the plain path's answer, and the same as the first."""
    path, first = await served(app, taken, document, forms[0], how)
    assert path == "executor"
    for fields in (*forms, *forms):
        path, later = await served(app, taken, document, fields, how)
        assert path == "plain", fields
        assert later == first, fields
    return first


async def twice(api, document: str, variables: dict[str, Any]) -> tuple[str, str]:
    first = await ask(api, document, variables)
    second = await ask(api, document, variables)
    return first, second


async def settings_worth_showing(api) -> None:
    """Additions, a form choice and an absence today, so every field has something to show."""
    await save_texts(api, STORGATA, {"RESEPTFORNYELSE": "Husk å oppgi apotek."})
    await choose_form(api, STORGATA, "RESEPTFORNYELSE", None)
    await add_absence(api, TODAY, date(2024, 6, 14), ["RESEPTFORNYELSE", "TIMEBESTILLING"])


def variables(**values: Any) -> dict[str, Any]:
    return {"variables": values}


EVERY_ARGUMENT = {
    "herId": STORGATA,
    "service": "TIMEBESTILLING",
    "hpr": ASTRID,
    "on": "2024-06-12",
    "language": "EN",
}

CASES = [
    # Variables, the way the pages write them.
    pytest.param(SERVICE, (variables(**EVERY_ARGUMENT),), id="service-by-variables"),
    pytest.param(
        PANEL,
        (variables(herId=STORGATA, hpr=ASTRID, language="NN", on="2024-12-25"),),
        id="panel-by-variables",
    ),
    # No variables at all (the 500 of the security review), inline arguments only.
    pytest.param(BARE_SERVICE, NO_VARIABLES, id="bare-service"),
    pytest.param(BARE_PANEL, NO_VARIABLES, id="bare-panel"),
    pytest.param(INLINE_SERVICE, NO_VARIABLES, id="inline-service"),
    pytest.param(INLINE_PANEL, NO_VARIABLES, id="inline-panel"),
    pytest.param(EXPLICIT_NULLS, NO_VARIABLES, id="inline-nulls"),
    # Inline arguments and variables mixed; variables the document does not define are ignored.
    pytest.param(
        MIXED_SERVICE,
        (
            variables(service="TIMEBESTILLING", on="2024-06-12"),
            variables(service="TIMEBESTILLING", on="2024-06-12", unused=[1, 2], herId=None),
        ),
        id="mixed-service",
    ),
    pytest.param(
        MIXED_PANEL,
        (
            variables(herId=STORGATA, language="EN"),
            variables(herId=STORGATA, language="EN", hpr=None, service="NOT_A_SERVICE"),
        ),
        id="mixed-panel",
    ),
    # Defaults of the definitions, left out or given the same values.
    pytest.param(
        DEFAULTS,
        (
            {},
            {"variables": None},
            variables(language="EN", hpr=ASTRID),
            variables(herId=STORGATA, service="TIMEBESTILLING", on="2024-06-12"),
        ),
        id="defaults",
    ),
    # An explicit null overrides a default: a null language is NB, a null date today.
    pytest.param(
        DEFAULTS,
        (
            variables(language=None, hpr=None, on=None),
            variables(language="NB", hpr=None, on=TODAY.isoformat()),
        ),
        id="defaults-overridden-by-null",
    ),
    # Variables of nullable arguments left out, or null, or what leaving them out means.
    pytest.param(
        OPTIONAL,
        (
            {},
            variables(hpr=None),
            variables(hpr=None, on=None, language=None),
            variables(on=TODAY.isoformat(), language="NB"),
        ),
        id="optional-variables",
    ),
    # The operation named although it is the only one.
    pytest.param(
        INLINE_SERVICE,
        ({"operationName": "InlineService"}, {"operationName": "InlineService", "variables": {}}),
        id="operation-name",
    ),
    # One operation of several, by its name.
    pytest.param(
        SEVERAL,
        ({"operationName": "ServiceOp"}, {"operationName": "ServiceOp", **variables(herId=1)}),
        id="several-operations-first",
    ),
    pytest.param(
        SEVERAL,
        ({"operationName": "PanelOp", **variables(herId=FJORDBYEN)},),
        id="several-operations-second",
    ),
    pytest.param(
        SERVICE, (variables(herId=STORGATA, service="RESEPTFORNYELSE"),), id="service-no-optionals"
    ),
    pytest.param(
        SERVICE,
        (variables(herId=FJORDBYEN, service="E_KONSULTASJON", hpr=KRISTIAN),),
        id="service-not-offered",
    ),
    pytest.param(PANEL, (variables(herId=STORGATA, hpr=ASTRID),), id="panel-of-an-absent-gp"),
    pytest.param(
        SHARED_VARIABLES,
        (variables(herId=STORGATA), variables(herId=STORGATA, language="NN")),
        id="one-variable-for-both-root-fields",
    ),
    pytest.param(SHAPES_PLAIN, (variables(hpr=ASTRID),), id="shapes"),
    pytest.param(ALIASES, NO_VARIABLES, id="aliases-and-typename"),
    pytest.param(ROOT_TYPENAME, NO_VARIABLES, id="root-typename"),
    pytest.param(SHAPES, ({},), id="root-typename-among-fragments"),
    pytest.param(ROOT_FRAGMENTS, NO_VARIABLES, id="fragments-on-the-root-type"),
    pytest.param(NOBODY, NO_VARIABLES, id="unknown-practice-and-practitioners"),
]


@pytest.mark.parametrize("document, forms", CASES)
async def test_a_plain_read_answers_as_the_executor_does(api, taken, document, forms):
    # Given a practice with something in every field
    await settings_worth_showing(api)
    answers = set()
    for how in HOWS:
        # When a document is asked again and again, in every form that asks the same
        status, headers, body = await same_on_both_paths(
            api, taken, own_text(document, how), forms, how
        )
        # Then (checked on the way) only the first went through the executor, and every answer
        # is the same; none of these reads is an error
        assert status == 200, how
        assert "errors" not in json.loads(body)
        assert headers["content-type"] == f"{how.accept}; charset=utf-8"
        answers.add(body)
    # And the media type and the method change nothing in the body
    assert len(answers) == 1


async def test_the_reviews_document_without_variables(api, taken):
    # Given the document of the security review, asked once without variables
    first = await same_on_both_paths(api, taken, BARE_SERVICE, NO_VARIABLES)
    # Then its later requests are answered on the plain path, not with a 500
    assert json.loads(first[2]) == {"data": {"patientService": {"title": "Fornye resept"}}}


async def test_inline_arguments_and_variables_are_the_same_read(api, taken):
    # Given a practice with something in every field
    await settings_worth_showing(api)
    # When the same read comes with inline arguments and with variables, each twice
    inline = await same_on_both_paths(api, taken, INLINE_SERVICE, ({},))
    by_variables = await same_on_both_paths(api, taken, SERVICE, (variables(**EVERY_ARGUMENT),))
    # Then the answers are the same bytes (the fragment selects what SERVICE selects), and
    # Astrid's absence shows, in English
    assert inline == by_variables
    service = json.loads(inline[2])["data"]["patientService"]
    assert service["language"] == "EN"
    assert service["absence"]["returnsOn"] == "2024-06-17"


async def test_unknown_practices_and_practitioners_are_null(api, taken):
    first = await same_on_both_paths(api, taken, NOBODY, ({},))
    assert json.loads(first[2]) == {
        "data": {"unknownPractice": None, "unknownPanel": None, "stranger": None, "elsewhere": None}
    }


# Variables that do not fit SERVICE's definitions, each in place of one that does.
WRONG_VARIABLES: dict[str, dict[str, Any]] = {
    "a string for an Int": {"herId": str(STORGATA)},
    "null for a non-null": {"herId": None},
    "an Int out of range": {"herId": 2**31},
    "an enum value in lower case": {"service": "reseptfornyelse"},
    "a list for an enum": {"service": ["RESEPTFORNYELSE"]},
    "an unknown enum value": {"language": "DE"},
    "a float for an Int": {"hpr": 1.5},
    "NaN for an Int": {"hpr": float("nan")},
    "a boolean for an Int": {"herId": True},
    "a number for a Date": {"on": 20240612},
    "no such date": {"on": "2024-02-30"},
    "an object for a Date": {"on": {"year": 2024}},
}


async def test_variables_that_do_not_fit_get_the_executors_answer(api, taken):
    for (name, wrong), how in itertools.product(WRONG_VARIABLES.items(), HOWS):
        document = own_text(SERVICE, name, how)
        wrong_variables = variables(**{**EVERY_ARGUMENT, **wrong})
        # Given variables that do not fit, answered by the executor before the plan was made
        path, before = await served(api, taken, document, wrong_variables, how)
        assert path == "executor", name
        # And the document has run with variables that fit, so it is planned
        path, _ = await served(api, taken, document, variables(**EVERY_ARGUMENT), how)
        assert path == "executor", name
        # When they come again, then the plain path leaves them to the executor, which answers
        # as before (a request error: 400 under application/graphql-response+json)
        path, after = await served(api, taken, document, wrong_variables, how)
        assert path == "declined executor", name
        assert after == before, name
        assert before[0] == (400 if how.accept == GRAPHQL_RESPONSE else 200), name
        assert "data" not in json.loads(before[2]), name


async def test_a_null_through_a_defaulted_variable_into_a_non_null_argument(api, taken):
    # A nullable variable with a default may stand for a non-null argument; an explicit null
    # then makes the field an error, not the request: the plan leaves it to the executor, which
    # answers as it did before the plan was made
    path, before = await served(api, taken, DEFAULTS, variables(herId=None))
    assert path == "executor"
    await same_on_both_paths(api, taken, DEFAULTS, ({},))
    path, after = await served(api, taken, DEFAULTS, variables(herId=None))
    assert path == "declined executor"
    assert after == before
    answer = json.loads(before[2])
    assert answer["data"] == {"patientService": None}
    assert answer["errors"][0]["path"] == ["patientService"]


async def test_the_operation_name_is_part_of_the_plan(api, taken):
    named, wrong = {"operationName": "InlineService"}, {"operationName": "Other"}
    for how in HOWS:
        document = own_text(INLINE_SERVICE, how)
        # Given a single operation, asked by its name and without one: two plans
        asked = (named, {}, named, {})
        outcomes = [await served(api, taken, document, fields, how) for fields in asked]
        assert [path for path, _ in outcomes] == ["executor", "executor", "plain", "plain"]
        assert all(response == outcomes[0][1] for _, response in outcomes)
        # When a name comes that the document does not have, then it is refused (before any
        # execution) each time alike
        refusals = [await served(api, taken, document, wrong, how) for _ in range(2)]
        assert [path for path, _ in refusals] == ["", ""]
        assert refusals[0][1] == refusals[1][1]
        assert refusals[0][1][0] == (400 if how.accept == GRAPHQL_RESPONSE else 200)


async def test_what_is_no_plain_read_in_a_document_of_several_operations(api, taken):
    # `Me` needs the executor
    outcomes = [await served(api, taken, SEVERAL, {"operationName": "Me"}) for _ in range(2)]
    assert [path for path, _ in outcomes] == ["executor", "executor"]
    assert outcomes[0][1] == outcomes[1][1]
    # And without operationName the document is refused before either path runs it
    # (tests/test_operation_name.py)
    refusals = [await served(api, taken, SEVERAL, {}) for _ in range(2)]
    assert [path for path, _ in refusals] == ["", ""]
    assert refusals[0][1] == refusals[1][1]


# Documents the plan leaves to the executor, with their variables.
NOT_PLAIN: dict[str, tuple[str, dict[str, Any]]] = {
    "@include": (SERVICE_WITH_DIRECTIVE, variables(herId=STORGATA, service="RESEPTFORNYELSE")),
    "@include by variable": (INCLUDE_BY_VARIABLE, variables(full=False)),
    "@skip on a fragment spread": (SKIP_ON_SPREAD, {}),
    "@skip on an inline fragment": (SKIP_ON_INLINE_FRAGMENT, {}),
    "introspection": (INTROSPECTION, {}),
}


async def test_documents_the_plan_does_not_cover_stay_on_the_executors_path(api, taken):
    for name, (document, fields) in NOT_PLAIN.items():
        # When such a document is asked thrice
        outcomes = [await served(api, taken, document, fields) for _ in range(3)]
        # Then each time the executor answers it, the same
        assert [path for path, _ in outcomes] == ["executor"] * 3, name
        assert outcomes[0][1] == outcomes[1][1] == outcomes[2][1], name
        assert outcomes[0][1][0] == 200, name


# Requests whose fields have the wrong type for GraphQL over HTTP.
WRONG_SHAPES: dict[str, tuple[dict[str, Any], How]] = {
    "variables a list": ({"variables": []}, POST),
    "variables a string": ({"variables": "{}"}, POST),
    "operationName a number": ({"operationName": 1}, POST),
    "variables empty over GET": ({"variables": ""}, How("GET", JSON)),
    "variables no JSON over GET": ({"variables": "{"}, How("GET", JSON)),
}


async def test_requests_of_the_wrong_shape_are_left_to_the_full_path(api, taken):
    # Given a planned document
    await same_on_both_paths(api, taken, BARE_SERVICE, ({},))
    for name, (fields, how) in WRONG_SHAPES.items():
        # When requests for it have fields of the wrong type, then the full path handles each,
        # alike
        outcomes = [await served(api, taken, BARE_SERVICE, fields, how) for _ in range(2)]
        assert "plain" not in " ".join(path for path, _ in outcomes), name
        assert outcomes[0][1] == outcomes[1][1], name


async def test_a_plain_document_answers_new_variables_as_the_executor_would(api, executions):
    # Given the patient service document has run once, for one service
    await settings_worth_showing(api)
    await ask(api, SERVICE, {"herId": STORGATA, "service": "RESEPTFORNYELSE"})
    executions.clear()
    for variable_values in (
        {"herId": STORGATA, "service": "TIMEBESTILLING", "hpr": ASTRID},
        {"herId": FJORDBYEN, "service": "E_KONSULTASJON", "language": "NN"},
    ):
        # When it is asked for others, then it answers without the executor what the executor
        # answers (a directive keeps the second document on its path)
        plain = await ask(api, SERVICE, variable_values)
        through_executor = await ask(api, SERVICE_WITH_DIRECTIVE, variable_values)
        assert plain == through_executor
    assert executions == ["Service", "Service"]


@pytest.mark.parametrize("accept", [JSON, GRAPHQL_RESPONSE])
async def test_a_plain_read_sends_the_same_response_as_the_executor(api, executions, accept):
    # Given the patient's practice has settings
    await settings_worth_showing(api)
    executions.clear()
    fields = variables(herId=STORGATA, service="RESEPTFORNYELSE", hpr=ASTRID)
    responses = []
    # When the same read comes twice, as POST, with only its extensions different
    for _ in range(2):
        responses.append(whole(await send(api, SERVICE, fields, How("POST", accept))))
    # Then status, headers (ETag and all) and body are the same; the second skipped the executor
    assert responses[0] == responses[1]
    assert responses[0][0] == 200
    assert executions == ["Service"]


async def test_the_patient_page_s_own_document_by_id_over_get(api, executions):
    # Given the patient page's PatientPanel document, asked by its id over GET
    panel = next(op for op in page_operations() if op.name == "PatientPanel")
    await settings_worth_showing(api)
    executions.clear()
    variable_values = json.dumps({"herId": STORGATA, "hpr": ASTRID})
    responses = []
    for _ in range(2):
        # (the response cache, emptied, cannot answer the second)
        api.services.cache.clear()
        params = {"documentId": f"sha256:{panel.id}", "variables": variable_values}
        responses.append(whole(await api.client.get("/graphql", params=params)))
    # When it comes again, then the executor ran it once and the answers agree
    assert executions == ["PatientPanel"]
    assert responses[0] == responses[1]
    answer = json.loads(responses[0][2])
    assert responses[0][0] == 200 and "errors" not in answer
    assert answer["data"]["patientPanel"]["services"][0]["absence"]  # Astrid is away today


async def test_a_refusal_is_reported_as_the_executor_reports_it(tmp_path: Path, executions):
    # Given an instance whose plain document has run, for a practice it has loaded
    folder, away = tmp_path / "data", tmp_path / "away"
    async with instance(f"sqlite+aiosqlite:///{folder / 'tilpass.db'}", timeout=0.5) as app:
        await ask(app, SERVICE, {"herId": STORGATA, "service": "RESEPTFORNYELSE"})
        executions.clear()
        # When the database cannot be reached and a practice never loaded is asked for
        folder.rename(away)
        await app.services.db.engine.dispose()
        try:
            variable_values = {"herId": FJORDBYEN, "service": "RESEPTFORNYELSE"}
            plain = await ask(app, SERVICE, variable_values)
            through_executor = await ask(app, SERVICE_WITH_DIRECTIVE, variable_values)
        finally:
            away.rename(folder)
    # Then the field is null with SERVICE_UNAVAILABLE at its path, as the executor has it
    assert executions == ["Service"]
    assert plain == through_executor
    answer = json.loads(plain)
    assert answer["data"] == {"patientService": None}
    assert answer["errors"][0]["path"] == ["patientService"]
    assert answer["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"


async def test_a_document_that_cannot_be_planned_is_still_answered(
    api, executions, monkeypatch, caplog
):
    # Given planning fails outright (a bug in the planner, say)
    def broken(schema, query, operation_name):
        raise RuntimeError(f"planner bug in {query}")

    monkeypatch.setattr(plain_reads, "plan", broken)
    # When a patient document comes twice, then both get their answer, from the executor
    with caplog.at_level(logging.INFO, logger="tilpass"):
        first, second = await twice(api, BARE_SERVICE, {})
    assert first == second
    assert json.loads(first)["data"]["patientService"]["title"]
    assert executions == [None, None]
    # And the failure was logged once, without the document's literals
    [logged] = [r.getMessage() for r in caplog.records if "plain read failed" in r.getMessage()]
    assert "RuntimeError" in logged
    assert str(STORGATA) not in logged and "RESEPTFORNYELSE" not in logged


async def test_a_failure_on_the_plain_path_is_answered_by_the_executor(
    api, taken, monkeypatch, caplog
):
    fields = variables(herId=FJORDBYEN, language="NN")
    # Given documents that have run, with inline values and variables
    firsts = {}
    for how in HOWS:
        path, firsts[how] = await served(api, taken, own_text(MIXED_PANEL, how), fields, how)
        assert path == "executor"

    # And the plain path fails in a way nobody foresaw (a bug in it, say)
    def broken(context: Any) -> Any:
        raise RuntimeError(f"bug with {context.request.scope}")

    monkeypatch.setattr(plain_reads, "ContextOnly", broken)
    with caplog.at_level(logging.INFO, logger="tilpass"):
        for how in HOWS:
            # When one is asked again, then the executor answers, as it did the first time
            path, second = await served(api, taken, own_text(MIXED_PANEL, how), fields, how)
            assert (path, second) == ("declined executor", firsts[how])
            # And from then on it takes the full path without trying the plain one
            path, third = await served(api, taken, own_text(MIXED_PANEL, how), fields, how)
            assert (path, third) == ("executor", firsts[how])
    # Then each failure was logged once, with the operation, and none of the request's values
    logged = [r.getMessage() for r in caplog.records if "plain read failed" in r.getMessage()]
    assert len(logged) == len(HOWS)
    for message in logged:
        assert "MixedPanel" in message and "RuntimeError" in message
        # (the exception's message quotes the variables: it is not logged)
        for value in (str(FJORDBYEN), "'NN'", str(ASTRID), "2024-06-12"):
            assert value not in message
