"""The browser side's routes without a browser: pages, files, FHIR questionnaires and the
development sign-in (absent in production)."""

import json
from pathlib import Path

import httpx
import pytest
from starlette.routing import Mount, Route

from app import Services, create_app
from models.catalog import load_catalog
from settings import Settings
from tests.conftest import ASTRID
from web.routes import web_routes

CATALOG = json.loads(
    (Path(__file__).resolve().parents[1] / "models" / "catalog.json").read_text("utf-8")
)
# Item types of FHIR R4 Questionnaire.item.type
FHIR_ITEM_TYPES = {
    "group", "display", "boolean", "decimal", "integer", "date", "dateTime", "time",
    "string", "text", "url", "choice", "open-choice", "attachment", "reference", "quantity",
}  # fmt: skip


async def test_admin_page_is_served_with_a_strict_content_security_policy(api):
    response = await api.client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="nb">' in response.text
    assert "/static/admin.js" in response.text
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


async def test_patient_preview_page_is_served_for_a_numeric_her_id(api):
    response = await api.client.get("/pasient/8142519?hpr=9144889&dato=2024-06-12")
    assert response.status_code == 200
    assert "/static/patient.js" in response.text
    assert (await api.client.get("/pasient/storgata")).status_code == 404


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/static/admin.js", "javascript"), ("/static/common.css", "text/css")],
)
async def test_static_files_are_served(api, path, kind):
    response = await api.client.get(path)
    assert response.status_code == 200
    assert kind in response.headers["content-type"]
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("form", CATALOG["forms"], ids=lambda form: form["id"])
async def test_every_catalogue_form_is_a_fhir_questionnaire(api, form):
    response = await api.client.get(f"/fhir/Questionnaire/{form['id']}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    resource = response.json()
    assert resource["resourceType"] == "Questionnaire"
    assert resource["id"] == form["id"]
    assert resource["title"] == form["title"]
    assert resource["status"] == "active"
    items = resource["item"]
    assert len(items) >= 2
    link_ids = [item["linkId"] for item in items]
    assert len(link_ids) == len(set(link_ids))
    for item in items:
        assert item["type"] in FHIR_ITEM_TYPES
        assert item["text"].strip()
        if item["type"] == "choice":
            assert all(option["valueCoding"]["display"] for option in item["answerOption"])


async def test_questionnaire_ref_of_every_form_resolves(api):
    forms = (await api.data("{ forms { id questionnaireRef } }"))["forms"]
    assert forms
    for form in forms:
        assert (await api.client.get(f"/fhir/{form['questionnaireRef']}")).status_code == 200


async def test_unknown_questionnaire_is_an_operation_outcome(api):
    response = await api.client.get("/fhir/Questionnaire/finnes-ikke")
    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"


async def test_development_token_signs_in_as_the_practitioner(api):
    response = await api.client.post("/dev/token", json={"hpr": ASTRID})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    me = await api.post("{ me { hprNumber } }", token=response.json()["token"])
    assert me["data"]["me"] == {"hprNumber": ASTRID}


@pytest.mark.parametrize("body", [{}, {"hpr": "9144889"}, {"hpr": -1}, {"hpr": True}, []])
async def test_development_token_needs_an_hpr_number(api, body):
    response = await api.client.post("/dev/token", json=body)
    assert response.status_code == 400


async def test_development_picker_lists_the_registry(api):
    listed = (await api.client.get("/dev/practitioners")).json()["practitioners"]
    astrid = next(p for p in listed if p["hprNumber"] == ASTRID)
    assert astrid["name"] == "Astrid Info"
    assert [p["herId"] for p in astrid["practices"]] == [8142519]


def test_production_has_no_development_sign_in():
    paths = {
        route.path
        for route in web_routes(Settings(env="production"))
        if isinstance(route, Route | Mount)
    }
    assert "/" in paths and "/fhir/Questionnaire/{form_id}" in paths
    assert not any(path.startswith("/dev") for path in paths)


async def test_production_app_answers_404_for_development_tokens(db, settings):
    from auth.tokens import development_tokens

    tokens = await development_tokens(db, settings)
    services = Services(db=db, catalog=load_catalog(), verifier=tokens)
    production = Settings(database_url=settings.database_url, env="production")
    app = create_app(services, settings=production)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.post("/dev/token", json={"hpr": ASTRID})).status_code == 404
        assert (await client.get("/dev/practitioners")).status_code == 404
        assert (await client.get("/")).status_code == 200
