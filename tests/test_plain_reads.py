"""Patient reads skip graphql-core's executor once their document has run (schema/plain_reads.py)
and answer exactly as it does: every document below is asked twice, the first time through the
executor and the second (a body the response cache has not seen) without it, and the two
answers must be the same bytes."""

from __future__ import annotations

import itertools
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

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

COUNTER = itertools.count()


async def post_anew(client, document: str, variables: dict[str, Any], **headers: str):
    """A POST whose body no earlier request had (its `extensions`), so the response cache
    cannot answer it."""
    body = {"query": document, "variables": variables, "extensions": {"n": next(COUNTER)}}
    return await client.post("/graphql", json=body, headers=headers)


async def ask(client, document: str, variables: dict[str, Any]) -> str:
    """The response body of `post_anew`."""
    response = await post_anew(client, document, variables)
    assert response.status_code in (200, 503), response.text
    return response.text


@pytest.fixture
def executions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The operations graphql-core's executor took on (variables coerced or refused), by the
    name of the document's first operation."""
    ran: list[str] = []
    build = AcyclicExecutionContext.build.__func__  # type: ignore[attr-defined]

    def counted(cls, schema, document, *args: Any, **kwargs: Any) -> Any:
        ran.append(document.definitions[0].name.value)
        return build(cls, schema, document, *args, **kwargs)

    monkeypatch.setattr(AcyclicExecutionContext, "build", classmethod(counted))
    return ran


async def twice(api, document: str, variables: dict[str, Any]) -> tuple[str, str]:
    first = await ask(api.client, document, variables)
    second = await ask(api.client, document, variables)
    return first, second


async def settings_worth_showing(api) -> None:
    """Additions, a form choice and an absence today, so every field has something to show."""
    await save_texts(api, STORGATA, {"RESEPTFORNYELSE": "Husk å oppgi apotek."})
    await choose_form(api, STORGATA, "RESEPTFORNYELSE", None)
    await add_absence(api, TODAY, date(2024, 6, 14), ["RESEPTFORNYELSE", "TIMEBESTILLING"])


@pytest.mark.parametrize(
    "document, variables",
    [
        (SERVICE, {"herId": STORGATA, "service": "RESEPTFORNYELSE", "hpr": ASTRID}),
        (
            SERVICE,
            {"herId": STORGATA, "service": "TIMEBESTILLING", "hpr": ASTRID, "on": "2024-06-17"},
        ),
        (SERVICE, {"herId": STORGATA, "service": "RESEPTFORNYELSE", "language": "EN"}),
        (SERVICE, {"herId": FJORDBYEN, "service": "E_KONSULTASJON", "hpr": KRISTIAN}),
        (SERVICE, {"herId": 1, "service": "RESEPTFORNYELSE"}),
        (PANEL, {"herId": STORGATA, "hpr": ASTRID}),
        (PANEL, {"herId": STORGATA, "hpr": ASTRID, "language": "NN", "on": "2024-12-25"}),
        (SHAPES_PLAIN, {"hpr": ASTRID}),
    ],
)
async def test_a_plain_read_answers_as_the_executor_does(api, executions, document, variables):
    # Given a practice with something in every field
    await settings_worth_showing(api)
    executions.clear()
    # When a document is asked twice with the same variables
    through_executor, plain = await twice(api, document, variables)
    # Then only the first went through the executor, and the answers are the same
    assert len(executions) == 1
    assert plain == through_executor
    assert "errors" not in json.loads(plain)


async def test_a_plain_document_answers_new_variables_as_the_executor_would(api, executions):
    # Given the patient service document has run once, for one service
    await settings_worth_showing(api)
    await ask(api.client, SERVICE, {"herId": STORGATA, "service": "RESEPTFORNYELSE"})
    executions.clear()
    for variables in (
        {"herId": STORGATA, "service": "TIMEBESTILLING", "hpr": ASTRID},
        {"herId": FJORDBYEN, "service": "E_KONSULTASJON", "language": "NN"},
    ):
        # When it is asked for others, then it answers without the executor what the executor
        # answers (a directive keeps the second document on its path)
        plain = await ask(api.client, SERVICE, variables)
        through_executor = await ask(api.client, SERVICE_WITH_DIRECTIVE, variables)
        assert plain == through_executor
    assert executions == ["Service", "Service"]


@pytest.mark.parametrize(
    "variables",
    [
        {"herId": STORGATA, "service": "NOT_A_SERVICE"},
        {"herId": "8142519", "service": "RESEPTFORNYELSE"},
        {"service": "RESEPTFORNYELSE"},
        {"herId": STORGATA, "service": "RESEPTFORNYELSE", "on": "2024-13-01"},
    ],
)
async def test_variables_that_do_not_fit_are_reported_by_the_executor(api, executions, variables):
    # Given the document has run once
    await ask(api.client, SERVICE, {"herId": STORGATA, "service": "RESEPTFORNYELSE"})
    executions.clear()
    # When variables that do not fit its definitions come
    answer = json.loads(await ask(api.client, SERVICE, variables))
    # Then the executor reports them, as ever
    assert executions == ["Service"]
    assert "data" not in answer or answer["data"] is None
    assert answer["errors"][0]["message"]


async def test_documents_the_plan_does_not_cover_stay_on_the_executors_path(api, executions):
    variables = {"herId": STORGATA, "service": "RESEPTFORNYELSE"}
    for document in (SERVICE_WITH_DIRECTIVE, SHAPES):
        # When a document with a directive or a root __typename is asked twice
        first, second = await twice(api, document, variables if "$service" in document else {})
        # Then both times the executor answers it
        assert first == second
    assert executions == ["Service", "Service", "Shapes", "Shapes"]


# What differs between any two responses: who asked, and when.
PER_REQUEST_HEADERS = {"x-request-id", "date"}


def whole(response) -> tuple[int, dict[str, str], str]:
    headers = {k: v for k, v in response.headers.items() if k not in PER_REQUEST_HEADERS}
    return response.status_code, headers, response.text


@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
async def test_a_plain_read_sends_the_same_response_as_the_executor(api, executions, accept):
    # Given the patient's practice has settings
    await settings_worth_showing(api)
    executions.clear()
    variables = {"herId": STORGATA, "service": "RESEPTFORNYELSE", "hpr": ASTRID}
    responses = []
    # When the same read comes twice, as POST, with only its extensions different
    for _ in range(2):
        responses.append(whole(await post_anew(api.client, SERVICE, variables, Accept=accept)))
    # Then status, headers (ETag and all) and body are the same; the second skipped the executor
    assert responses[0] == responses[1]
    assert responses[0][0] == 200
    assert executions == ["Service"]


async def test_the_patient_page_s_own_document_by_id_over_get(api, executions):
    # Given the patient page's PatientPanel document, asked by its id over GET
    panel = next(op for op in page_operations() if op.name == "PatientPanel")
    await settings_worth_showing(api)
    executions.clear()
    variables = json.dumps({"herId": STORGATA, "hpr": ASTRID})
    responses = []
    for _ in range(2):
        # (a parameter nobody reads gives each URL its own entry in the response cache)
        params = {"documentId": f"sha256:{panel.id}", "variables": variables, "n": next(COUNTER)}
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
        await ask(app.client, SERVICE, {"herId": STORGATA, "service": "RESEPTFORNYELSE"})
        executions.clear()
        # When the database cannot be reached and a practice never loaded is asked for
        folder.rename(away)
        await app.services.db.engine.dispose()
        try:
            variables = {"herId": FJORDBYEN, "service": "RESEPTFORNYELSE"}
            plain = await ask(app.client, SERVICE, variables)
            through_executor = await ask(app.client, SERVICE_WITH_DIRECTIVE, variables)
        finally:
            away.rename(folder)
    # Then the field is null with SERVICE_UNAVAILABLE at its path, as the executor has it
    assert executions == ["Service"]
    assert plain == through_executor
    answer = json.loads(plain)
    assert answer["data"] == {"patientService": None}
    assert answer["errors"][0]["path"] == ["patientService"]
    assert answer["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"


async def test_a_document_that_cannot_be_planned_is_still_answered(api, executions, monkeypatch):
    # Given planning fails outright (a bug in the planner, say)
    def broken(self, query, operation_name):
        raise RuntimeError("planner bug")

    monkeypatch.setattr(PlainReads, "_plan", broken)
    variables = {"herId": STORGATA, "service": "RESEPTFORNYELSE"}
    # When a patient document comes twice, then both get their answer, from the executor
    first, second = await twice(api, SERVICE, variables)
    assert first == second
    assert json.loads(first)["data"]["patientService"]["title"]
    assert executions == ["Service", "Service"]
