"""Persisted and trusted documents over HTTP: `documentId` (GraphQL over HTTP, Appendix A) in
POST bodies and GET query strings, Apollo's automatic persisted queries, and
TILPASS_TRUSTED_DOCUMENTS=required with the pages' manifest and extra ones."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from app import create_app
from edge.documents import id_of, manifest, operation_of, read_manifest
from settings import Settings, SettingsError, load_settings
from tests.conftest import ASTRID, STORGATA, error_codes
from web.documents import page_operations

GRAPHQL_RESPONSE = "application/graphql-response+json"

# A document the pages do not send: known only once registered, or from an extra manifest.
SERVICE = """
query Service($herId: Int!) {
  patientService(herId: $herId, service: RESEPTFORNYELSE) { title available }
}"""
SERVICE_ID = id_of(SERVICE)
OTHER_ID = "0" * 64


def page_document(name: str) -> str:
    """The body of one of the pages' operations, as the manifest has it."""
    return next(operation.body for operation in page_operations() if operation.name == name)


def apq(sha: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


async def post(client: httpx.AsyncClient, body: dict, **headers: str) -> httpx.Response:
    return await client.post("/graphql", json=body, headers=headers)


@pytest.fixture
async def trusted(api, settings: Settings, tmp_path: Path):
    """A second app on the same services, with trusted documents required and the Helsenorge
    page team's manifest (holding SERVICE) named by TILPASS_PERSISTED_DOCUMENTS."""
    team = tmp_path / "helsenorge-manifest.json"
    team.write_text(json.dumps(manifest([operation_of(SERVICE)])), encoding="utf-8")
    required = replace(settings, trusted_documents="required", persisted_documents=(team,))
    app = create_app(api.services, settings=required)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


# --- documentId -----------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["sha256:", ""])
async def test_a_page_document_runs_by_its_id(api, prefix):
    # Given the id of the patient preview's document, with or without its prefix
    panel = page_document("PatientPanel")
    # When it is posted without the document
    response = await post(
        api.client, {"documentId": prefix + id_of(panel), "variables": {"herId": STORGATA}}
    )
    # Then it runs as if the document had been sent
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["patientPanel"]["practice"]["herId"] == STORGATA


async def test_an_admin_document_runs_by_its_id_with_a_token(api):
    me = page_document("Me")
    response = await post(
        api.client,
        {"documentId": f"sha256:{id_of(me)}"},
        Authorization=f"Bearer {api.token(ASTRID)}",
    )
    assert response.json()["data"]["me"]["hprNumber"] == ASTRID


async def test_get_by_document_id_has_an_etag_and_304(api):
    # Given a short GET URL naming the patient preview's document
    url = "/graphql?" + urlencode(
        {
            "documentId": f"sha256:{id_of(page_document('PatientPanel'))}",
            "variables": json.dumps({"herId": STORGATA}),
        }
    )
    # When it is fetched, and fetched again with its ETag
    first = await api.client.get(url, headers={"Accept": GRAPHQL_RESPONSE})
    again = await api.client.get(
        url, headers={"Accept": GRAPHQL_RESPONSE, "If-None-Match": first.headers["etag"]}
    )
    # Then it is a cacheable answer, and the second a 304
    assert first.status_code == 200, first.text
    assert first.json()["data"]["patientPanel"]["practice"]["herId"] == STORGATA
    assert first.headers["cache-control"] == "public, max-age=0, s-maxage=50400"
    assert again.status_code == 304


@pytest.mark.parametrize(("accept", "status"), [("application/json", 200), (GRAPHQL_RESPONSE, 400)])
async def test_an_unknown_document_id_is_not_found(api, accept, status):
    response = await post(api.client, {"documentId": f"sha256:{OTHER_ID}"}, Accept=accept)
    assert response.status_code == status
    body = response.json()
    assert "data" not in body
    assert error_codes(body) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("document_id", ["sha256:abc", "md5:" + "0" * 32, 42, "x" * 64])
async def test_a_malformed_document_id_is_a_bad_request(api, document_id):
    response = await post(api.client, {"documentId": document_id})
    assert error_codes(response.json()) == ["BAD_REQUEST"]


# --- Automatic persisted queries ------------------------------------------------------------


async def test_apq_registers_a_document_sent_with_its_hash(api):
    variables = {"herId": STORGATA}
    # Given a hash the service has never seen: not found
    unknown = await post(api.client, {"extensions": apq(SERVICE_ID), "variables": variables})
    assert error_codes(unknown.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
    # When the same request comes with its document
    registered = await post(
        api.client, {"query": SERVICE, "extensions": apq(SERVICE_ID), "variables": variables}
    )
    assert registered.json()["data"]["patientService"]["available"] is True
    # Then the hash alone runs it, over POST and over GET
    again = await post(api.client, {"extensions": apq(SERVICE_ID), "variables": variables})
    assert again.json()["data"] == registered.json()["data"]
    by_get = await api.client.get(
        "/graphql",
        params={"extensions": json.dumps(apq(SERVICE_ID)), "variables": json.dumps(variables)},
    )
    assert by_get.json()["data"] == registered.json()["data"]
    # And so does documentId, which names documents the same way
    by_id = await post(api.client, {"documentId": SERVICE_ID, "variables": variables})
    assert by_id.json()["data"] == registered.json()["data"]


async def test_a_hash_that_does_not_match_its_document_is_refused(api):
    # Given a document sent with another document's hash
    response = await post(
        api.client,
        {"query": SERVICE, "extensions": apq(OTHER_ID), "variables": {"herId": STORGATA}},
    )
    # Then it is refused, and nothing was registered under that hash
    assert error_codes(response.json()) == ["PERSISTED_QUERY_HASH_MISMATCH"]
    later = await post(api.client, {"extensions": apq(OTHER_ID)})
    assert error_codes(later.json()) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_a_document_id_that_does_not_match_its_document_is_refused(api):
    response = await post(api.client, {"query": SERVICE, "documentId": f"sha256:{OTHER_ID}"})
    assert error_codes(response.json()) == ["PERSISTED_QUERY_HASH_MISMATCH"]


async def test_free_form_documents_run_by_default(api):
    response = await post(api.client, {"query": SERVICE, "variables": {"herId": STORGATA}})
    assert response.json()["data"]["patientService"]["title"]


# --- Trusted documents ----------------------------------------------------------------------


@pytest.mark.parametrize(("accept", "status"), [("application/json", 200), (GRAPHQL_RESPONSE, 400)])
async def test_required_refuses_a_free_form_document(trusted, accept, status):
    # Even a document the pages send, when it is sent whole rather than by id
    response = await post(
        trusted,
        {"query": page_document("PatientPanel"), "variables": {"herId": STORGATA}},
        Accept=accept,
    )
    assert response.status_code == status
    body = response.json()
    assert "data" not in body
    assert error_codes(body) == ["PERSISTED_QUERY_ID_REQUIRED"]


async def test_required_runs_the_pages_documents_and_the_extra_manifests(trusted):
    variables = {"herId": STORGATA}
    panel = await post(
        trusted,
        {"documentId": f"sha256:{id_of(page_document('PatientPanel'))}", "variables": variables},
    )
    assert panel.json()["data"]["patientPanel"]["practice"]["herId"] == STORGATA
    # The Helsenorge page team's document, by documentId and by Apollo's hash
    service = await post(trusted, {"documentId": f"sha256:{SERVICE_ID}", "variables": variables})
    assert service.json()["data"]["patientService"]["available"] is True
    hashed = await post(trusted, {"extensions": apq(SERVICE_ID), "variables": variables})
    assert hashed.json()["data"] == service.json()["data"]


async def test_required_registers_nothing(trusted):
    # Given a document in no manifest, sent with its own hash
    document = "query Forms { forms { id } }"
    sent = await post(trusted, {"query": document, "extensions": apq(id_of(document))})
    # Then it is refused, and its hash stays unknown
    assert error_codes(sent.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
    later = await post(trusted, {"extensions": apq(id_of(document))})
    assert error_codes(later.json()) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_graphiql_keeps_working_in_development_with_required(trusted):
    # GraphiQL marks its requests; in development they may run any document
    response = await post(
        trusted, {"query": "{ forms { id } }"}, **{"X-Tilpass-Client": "graphiql"}
    )
    assert response.json()["data"]["forms"]


async def test_graphiql_page_marks_its_requests(api):
    page = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert '"x-tilpass-client": "graphiql"' in page.text


async def test_in_production_the_graphiql_mark_counts_for_nothing(api, settings: Settings):
    production = replace(settings, env="production", trusted_documents="required")
    app = create_app(api.services, settings=production)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await post(
            client, {"query": "{ forms { id } }"}, **{"X-Tilpass-Client": "graphiql"}
        )
    assert error_codes(response.json()) == ["PERSISTED_QUERY_ID_REQUIRED"]


# --- Settings and manifests -----------------------------------------------------------------


def test_the_settings_are_read_and_checked(tmp_path):
    settings = load_settings(
        {
            "TILPASS_TRUSTED_DOCUMENTS": "Required",
            "TILPASS_PERSISTED_DOCUMENTS": f"{tmp_path / 'a.json'}, {tmp_path / 'b.json'}",
        }
    )
    assert settings.documents_required
    assert settings.persisted_documents == (tmp_path / "a.json", tmp_path / "b.json")
    assert not load_settings({}).documents_required
    with pytest.raises(SettingsError, match="TILPASS_TRUSTED_DOCUMENTS"):
        load_settings({"TILPASS_TRUSTED_DOCUMENTS": "sometimes"})


def test_a_manifest_whose_id_is_not_the_hash_of_its_body_is_refused(tmp_path):
    entry = {"id": OTHER_ID, "name": "Service", "type": "query", "body": SERVICE}
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({**manifest([]), "operations": [entry]}), encoding="utf-8")
    with pytest.raises(SettingsError, match="SHA-256"):
        read_manifest(path)
    with pytest.raises(SettingsError, match="fant ikke"):
        read_manifest(tmp_path / "missing.json")
    path.write_text('{"operations": []}', encoding="utf-8")
    with pytest.raises(SettingsError, match="apollo-persisted-query-manifest"):
        read_manifest(path)


async def test_metrics_name_the_operation_of_a_document_sent_by_id(api):
    panel = page_document("PatientPanel")
    await post(
        api.client, {"documentId": f"sha256:{id_of(panel)}", "variables": {"herId": STORGATA}}
    )
    metrics = (await api.client.get("/metrics")).text
    assert 'operation="query:patientPanel",outcome="ok"' in metrics
