"""Running the service: JSON logs tied to a request id (never tokens or texts), /healthz and
/readyz, Prometheus metrics, CORS for the admin page's origin, and security headers."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app import Services, create_app
from auth.tokens import development_tokens
from edge.logs import configure_logging
from models.catalog import load_catalog
from models.database import Database
from settings import Settings
from tests.conftest import ASTRID, STORGATA, samples, text_input

ADMIN_ORIGIN = "https://admin.tilpass.example.no"
OTHER_ORIGIN = "https://evil.example.com"

SAVE_TEXTS = """
mutation Save($input: SaveTextsInput!) { saveTexts(input: $input) { userErrors { code } } }
"""
PANEL = (
    "query Panel($herId: Int!, $on: Date) { patientPanel(herId: $herId, on: $on) { panelText } }"
)
PRACTICE = "query Practice($herId: Int!) { practice(herId: $herId) { version absences { id } } }"


async def app_client(services: Services, settings: Settings) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(services, settings=settings))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The service's logging as `tilpass serve` sets it up (at DEBUG), written to a buffer."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogger("aiosqlite").level)
    quiet = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    stream = io.StringIO()
    configure_logging("DEBUG", stream)
    # The test's HTTP client logs its own URLs; those lines are the client's, not the service's.
    for name in quiet:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        yield stream
    finally:
        root.handlers = saved[0]
        root.setLevel(saved[1])
        logging.getLogger("aiosqlite").setLevel(saved[2])
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)


def log_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


# --- logs -----------------------------------------------------------------------------------


async def test_logs_are_json_with_the_request_id_and_without_tokens_or_texts(api, json_log):
    token = api.token(ASTRID)
    secret_text = "Hemmelig tilleggstekst 9931"
    secret_variable = "hemmelig-variabel-5521"
    # When a GP saves a text, a patient page asks with a bad variable, and a client sends its id
    saved = await api.client.post(
        "/graphql",
        json={
            "query": SAVE_TEXTS,
            "variables": text_input(STORGATA, "RESEPTFORNYELSE", secret_text),
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    asked = await api.client.get(
        "/graphql",
        params={
            "query": PANEL,
            "variables": json.dumps({"herId": STORGATA, "on": secret_variable}),
        },
        headers={"Accept": "application/json", "Authorization": f"Bearer {token}"},
    )
    traced = await api.client.get("/healthz", headers={"X-Request-ID": "lb-trace-0123456789"})
    assert saved.status_code == asked.status_code == traced.status_code == 200
    assert asked.json()["errors"]
    # Then every line of the log is a JSON object with time, level, logger, message, request id
    lines = log_lines(json_log)
    assert lines
    for line in lines:
        assert {"time", "level", "logger", "message", "request_id"} <= set(line), line
    # And each request's access line carries the id its response reports
    access = {line["request_id"]: line for line in lines if line["logger"] == "tilpass.access"}
    for response in (saved, asked):
        line = access[response.headers["x-request-id"]]
        assert line["method"] == response.request.method and line["path"] == "/graphql"
        assert line["status"] == 200 and line["duration_ms"] >= 0
    assert access[saved.headers["x-request-id"]]["operation"] == "mutation:saveTexts"
    assert access[asked.headers["x-request-id"]]["outcome"] == "invalid"
    # And a load balancer's request id is kept
    assert traced.headers["x-request-id"] == "lb-trace-0123456789"
    assert "lb-trace-0123456789" in access
    # And nothing of the token, the text or the variables is in the log
    raw = json_log.getvalue()
    for secret in (token, token.split(".")[1], "Bearer", secret_text, secret_variable):
        assert secret not in raw


async def test_a_request_id_that_is_not_a_plain_token_is_replaced(api):
    response = await api.client.get("/healthz", headers={"X-Request-ID": "bad id\twith tabs"})
    assert response.headers["x-request-id"] != "bad id\twith tabs"
    assert len(response.headers["x-request-id"]) == 32


async def test_unexpected_error_is_logged_with_its_reference_and_request_id(api, db, json_log):
    async with db.write() as session:
        await session.execute(text("DROP TABLE absence"))
    response = await api.client.post(
        "/graphql",
        json={"query": PRACTICE, "variables": {"herId": STORGATA}},
        headers={"Authorization": f"Bearer {api.token(ASTRID)}"},
    )
    reference = response.json()["errors"][0]["extensions"]["reference"]
    [line] = [line for line in log_lines(json_log) if line.get("reference") == reference]
    assert line["level"] == "ERROR"
    assert line["request_id"] == response.headers["x-request-id"]
    assert "exc_info" in line


class BrokenVerifier:
    """A token check that fails in a way nobody planned for."""

    async def prepare(self, token: str) -> None:
        raise RuntimeError("internal detail: /etc/tilpass/secret")

    def verified_claims(self, token: str) -> dict[str, Any] | None:
        return None


async def test_a_crash_outside_graphql_is_a_500_with_the_request_id_as_reference(
    db, settings, clock, json_log
):
    services = Services(db=db, catalog=load_catalog(), verifier=BrokenVerifier(), clock=clock)
    async with await app_client(services, settings) as client:
        response = await client.post(
            "/graphql", json={"query": "{ me { name } }"}, headers={"Authorization": "Bearer x"}
        )
    assert response.status_code == 500
    request_id = response.headers["x-request-id"]
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "reference": request_id}
    assert request_id in error["message"]
    assert "secret" not in response.text and "RuntimeError" not in response.text
    [line] = [line for line in log_lines(json_log) if line["message"] == "unhandled error"]
    assert line["request_id"] == line["reference"] == request_id
    assert "RuntimeError" in line["exc_info"]


# --- health and readiness -------------------------------------------------------------------


@pytest.fixture
async def idle(db, settings, clock) -> AsyncIterator[httpx.AsyncClient]:
    """The app on the test database, without the change watcher (the tests break the database)."""
    services = Services(
        db=db, catalog=load_catalog(), verifier=await development_tokens(db, settings), clock=clock
    )
    async with await app_client(services, settings) as client:
        yield client


async def test_healthz_and_readyz_on_a_database_at_head(idle):
    assert (await idle.get("/healthz")).json() == {"status": "ok"}
    response = await idle.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def test_readyz_is_503_while_migrations_are_behind(idle, db):
    await db.downgrade("0001")
    response = await idle.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "migrations behind"}
    # while the process itself is up
    assert (await idle.get("/healthz")).status_code == 200
    await db.upgrade()
    assert (await idle.get("/readyz")).status_code == 200


async def test_readyz_is_503_when_the_database_does_not_answer(settings, clock):
    # A PostgreSQL URL where nothing listens (port 9 on this machine: discard, never PostgreSQL)
    nowhere = Database("postgresql+asyncpg://tilpass@127.0.0.1:9/tilpass")
    services = Services(db=nowhere, catalog=load_catalog(), verifier=BrokenVerifier(), clock=clock)
    try:
        async with await app_client(services, settings) as client:
            response = await client.get("/readyz")
            assert response.status_code == 503
            assert response.json() == {"status": "unavailable", "database": "unreachable"}
            assert (await client.get("/healthz")).status_code == 200
    finally:
        await nowhere.dispose()


# --- metrics --------------------------------------------------------------------------------


def requests_of(found: dict, operation: str, outcome: str) -> float:
    labels = (("operation", operation), ("outcome", outcome))
    return found.get(("tilpass_graphql_requests_total", labels), 0.0)


async def test_metrics_count_requests_by_operation_and_outcome(api):
    # Given a few requests of each kind
    variables = {"herId": STORGATA}
    for _ in range(3):
        await api.data(PANEL, variables)
    await api.post(PRACTICE, variables)  # no token: refused
    await api.post(PRACTICE, variables, hpr=ASTRID)
    await api.post("{ forms { nope } }")  # invalid
    await api.post("{ madeUpField1 } ")  # names outside the schema share one series
    await api.post("{ madeUpField2 } ")
    too_large = await api.client.post(
        "/graphql", content=b" " * 70_000, headers={"Content-Type": "application/json"}
    )
    assert too_large.status_code == 413
    # When Prometheus scrapes
    found = await samples(api.client)
    # Then each request is counted once, under its operation and outcome
    assert requests_of(found, "query:patientPanel", "ok") == 3
    assert requests_of(found, "query:practice", "refused") == 1
    assert requests_of(found, "query:practice", "ok") == 1
    assert requests_of(found, "query:forms", "invalid") == 1
    assert requests_of(found, "query:unknown", "invalid") == 2
    assert requests_of(found, "none", "invalid") == 1
    assert not any("madeUpField" in str(key) for key in found)
    # And their latency is in the histogram
    count = (
        "tilpass_graphql_request_duration_seconds_count",
        (("operation", "query:patientPanel"),),
    )
    assert found[count] == 3


async def test_metrics_count_response_cache_hits(api):
    url = (
        "/graphql?"
        + httpx.QueryParams(
            {"query": PANEL, "variables": json.dumps({"herId": STORGATA})}
        ).__str__()
    )
    first = await api.client.get(url)
    await api.client.get(url)
    await api.client.get(url, headers={"If-None-Match": first.headers["etag"]})
    found = await samples(api.client)
    hits = ("tilpass_response_cache_hits_total", (("operation", "query:patientPanel"),))
    assert found[hits] == 2  # the second request and the 304; the first one ran
    assert requests_of(found, "query:patientPanel", "ok") == 3


async def test_metrics_of_one_app_are_its_own(api, db, settings, clock):
    await api.data(PANEL, {"herId": STORGATA})
    services = Services(db=db, catalog=load_catalog(), verifier=BrokenVerifier(), clock=clock)
    async with await app_client(services, settings) as other:
        found = await samples(other)
    assert requests_of(found, "query:patientPanel", "ok") == 0


# --- CORS and security headers --------------------------------------------------------------


@pytest.fixture
async def cors_client(db, settings, clock) -> AsyncIterator[httpx.AsyncClient]:
    services = Services(
        db=db, catalog=load_catalog(), verifier=await development_tokens(db, settings), clock=clock
    )
    async with await app_client(
        services, replace(settings, cors_origins=(ADMIN_ORIGIN,))
    ) as client:
        yield client


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }


async def test_cors_preflight_from_the_admin_origin_is_allowed(cors_client):
    response = await cors_client.options("/graphql", headers=preflight(ADMIN_ORIGIN))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ADMIN_ORIGIN
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in response.headers


async def test_cors_preflight_from_another_origin_is_refused(cors_client):
    response = await cors_client.options("/graphql", headers=preflight(OTHER_ORIGIN))
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(("origin", "allowed"), [(ADMIN_ORIGIN, True), (OTHER_ORIGIN, False)])
async def test_cors_on_the_response_itself(cors_client, origin, allowed):
    response = await cors_client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": origin}
    )
    assert response.status_code == 200
    assert (response.headers.get("access-control-allow-origin") == origin) is allowed


async def test_no_cross_origin_access_by_default(api):
    response = await api.client.options("/graphql", headers=preflight(ADMIN_ORIGIN))
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/graphql"), ("GET", "/healthz"), ("GET", "/nowhere"), ("POST", "/graphql?big")],
)
async def test_security_headers_on_every_response(api, method, path):
    content = b" " * 70_000 if path.endswith("big") else b'{"query": "{ __typename }"}'
    response = await api.client.request(
        method,
        path,
        content=content if method == "POST" else None,
        headers={"Content-Type": "application/json"},
    )
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["content-security-policy"].startswith("default-src 'none'")
    assert "strict-transport-security" not in headers  # development runs on plain http


async def test_pages_keep_their_own_content_security_policy(api):
    response = await api.client.get("/")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


async def test_hsts_in_production(db, settings, clock):
    services = Services(
        db=db, catalog=load_catalog(), verifier=await development_tokens(db, settings), clock=clock
    )
    async with await app_client(services, replace(settings, env="production")) as client:
        response = await client.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")
