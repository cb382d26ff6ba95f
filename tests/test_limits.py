"""No request can take the service down: limits on depth, tokens, aliases and body size, each
with a clear error; batching off; unexpected failures masked behind a reference that is also
in the log, while the client's own mistakes and refusals stay readable."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import text

from app import Services, create_app
from auth.tokens import development_tokens
from models.catalog import load_catalog
from settings import Settings
from tests.conftest import ASTRID, JACOB, STORGATA, Api, text_input

GRAPHQL_RESPONSE = "application/graphql-response+json"

# The limits of the app under test, small enough to reach with a readable document.
LIMITS = {"max_depth": 3, "max_tokens": 200, "max_aliases": 3, "max_body_bytes": 4096}

DEPTH_3 = "query { patientPanel(herId: 8142519) { services { form { id } } } }"
DEPTH_4 = "query { patientPanel(herId: 8142519) { services { entryPoints { form { id } } } } }"
# The same depth through a fragment counts the same.
DEPTH_4_IN_FRAGMENT = """
query { patientPanel(herId: 8142519) { services { ...S } } }
fragment S on PatientService { entryPoints { form { id } } }
"""
THREE_ALIASES = "query { a: forms { id } b: forms { id } c: forms { id } }"
FOUR_ALIASES = "query { a: forms { id } b: forms { id } c: forms { id } d: forms { id } }"
# Aliases hidden in a fragment are counted too.
FOUR_ALIASES_IN_FRAGMENT = "query { ...F d: forms { id } } fragment F on Query { a: forms { id } b: forms { id } c: forms { id } }"

PRACTICE = """
query Practice($herId: Int!) {
  practice(herId: $herId) { version texts { slot text } absences { id } auditLog { edges { node { id } } } }
}
"""
SAVE_TEXTS = """
mutation Save($input: SaveTextsInput!) { saveTexts(input: $input) { practice { version } } }
"""


def tokens_document(count: int) -> str:
    """A valid query that counts as `count` tokens: `{ forms { id id … } }` and the end of
    the document, which graphql-core counts too."""
    return "{ forms { " + " ".join(["id"] * (count - 5)) + " } }"


@pytest.fixture
async def limited(db, settings: Settings, clock) -> AsyncIterator[Api]:
    """The app with the small limits above, built the way conftest builds it."""
    tokens = await development_tokens(db, settings)
    services = Services(db=db, catalog=load_catalog(), verifier=tokens, clock=clock)
    await services.start()
    app = create_app(services, settings=replace(settings, **LIMITS))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Api(client=client, tokens=tokens)
    finally:
        await services.stop()


async def ask(api: Api, document: str) -> httpx.Response:
    return await api.client.post(
        "/graphql", json={"query": document}, headers={"Accept": GRAPHQL_RESPONSE}
    )


def assert_refused(response: httpx.Response, words: str) -> None:
    """A 400 request error with one message that says which limit, and no data."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert "data" not in body
    messages = " ".join(error["message"] for error in body["errors"])
    assert words in messages, messages


@pytest.mark.parametrize(
    ("document", "allowed", "words"),
    [
        pytest.param(DEPTH_3, True, "", id="depth-at-limit"),
        pytest.param(DEPTH_4, False, "exceeds maximum operation depth of 3", id="depth-over"),
        pytest.param(
            DEPTH_4_IN_FRAGMENT,
            False,
            "exceeds maximum operation depth of 3",
            id="depth-over-in-fragment",
        ),
        pytest.param(tokens_document(200), True, "", id="tokens-at-limit"),
        pytest.param(tokens_document(201), False, "more than 200 tokens", id="tokens-over"),
        pytest.param(THREE_ALIASES, True, "", id="aliases-at-limit"),
        pytest.param(FOUR_ALIASES, False, "4 aliases found. Allowed: 3", id="aliases-over"),
        pytest.param(
            FOUR_ALIASES_IN_FRAGMENT,
            False,
            "4 aliases found. Allowed: 3",
            id="aliases-over-in-fragment",
        ),
    ],
)
async def test_document_limits(limited, document, allowed, words):
    response = await ask(limited, document)
    if allowed:
        assert response.status_code == 200, response.text
        assert "errors" not in response.json()
    else:
        assert_refused(response, words)


async def test_default_limits_let_the_admin_page_through(api):
    # The admin page's biggest document (a mutation returning the whole practice) is well
    # within the defaults.
    document = """
    mutation SaveTexts($input: SaveTextsInput!) {
      saveTexts(input: $input) { practice { ...P } userErrors { field code message } }
    }
    fragment P on Practice {
      herId name version practitioners { hprNumber name }
      texts { slot title standardText text maxLength offered }
      tools { entryPoint title isDefault activeForm { id displayName } availableForms { id displayName } }
      absences { id practitioner { hprNumber name } from to services }
    }
    """
    variables = text_input(STORGATA, "FASTLEGEPANEL", "Hei")
    data = await api.data(document, variables, hpr=ASTRID)
    assert data["saveTexts"]["userErrors"] == []


async def test_deep_nesting_within_the_token_limit_is_no_server_error(api):
    # Lists nested as deep as the token limit allows: the parser must not fall over
    document = "{ forms(entryPoint: " + "[" * 990 + "]" * 990 + ") { id } }"
    response = await ask(api, document)
    assert response.status_code == 400, response.text
    assert response.json()["errors"]


# --- request body ---------------------------------------------------------------------------


def body_of(size: int) -> bytes:
    """A valid GraphQL request of exactly `size` bytes (padded with JSON white space)."""
    core = b'{"query": "{ __typename }"}'
    return core[:-1] + b" " * (size - len(core)) + b"}"


async def test_body_at_the_limit_is_served(limited):
    response = await limited.client.post(
        "/graphql", content=body_of(4096), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_body_over_the_limit_is_413(limited):
    response = await limited.client.post(
        "/graphql", content=body_of(4097), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "PAYLOAD_TOO_LARGE"}
    assert "4096" in error["message"] and "for stor" in error["message"]


async def test_chunked_body_over_the_limit_is_413(limited):
    # Given a body sent in chunks, without Content-Length
    async def chunks():
        yield b'{"query": "{ __typename }", "pad": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    response = await limited.client.post(
        "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


async def test_huge_declared_body_is_refused_unread(limited):
    # Content-Length says 1 GB: refused on the header alone
    request = limited.client.build_request(
        "POST", "/graphql", content=b"{}", headers={"Content-Type": "application/json"}
    )
    request.headers["content-length"] = str(10**9)
    response = await limited.client.send(request)
    assert response.status_code == 413


async def test_batching_is_off_with_a_clear_error(api):
    response = await api.client.post(
        "/graphql",
        json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}],
        headers={"Accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 400
    assert "batching er slått av" in response.json()["errors"][0]["message"]


# --- errors: masked when unexpected, readable otherwise -------------------------------------


async def test_unexpected_error_is_masked_with_a_reference_that_is_in_the_log(api, db, caplog):
    # Given a database that has lost a table the admin view reads
    async with db.write() as session:
        await session.execute(text("DROP TABLE absence"))
    # When Astrid opens her practice
    with caplog.at_level(logging.ERROR):
        body = await api.post(PRACTICE, {"herId": STORGATA}, hpr=ASTRID)
    # Then she gets a Norwegian message and a reference, and nothing of the internals
    [error] = body["errors"]
    reference = error["extensions"]["reference"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "reference": reference}
    assert reference in error["message"] and "uventet feil" in error["message"]
    for leak in ("no such table", "does not exist", "SELECT", "sqlite", "asyncpg", "Traceback"):
        assert leak not in str(body)
    # And the log has the reference, with what went wrong
    [record] = [r for r in caplog.records if getattr(r, "reference", None) == reference]
    assert record.exc_info is not None


async def test_text_in_a_failed_write_is_not_in_the_log(api, db, caplog):
    # Given a database without its audit table: saving a text fails half-way
    async with db.write() as session:
        await session.execute(text("DROP TABLE audit_entry"))
    secret = "Pasientens hemmelige tekst 4711"
    with caplog.at_level(logging.INFO):
        body = await api.post(
            SAVE_TEXTS,
            text_input(STORGATA, "RESEPTFORNYELSE", secret),
            hpr=ASTRID,
        )
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    # Then neither the log nor the answer holds the text
    assert secret not in caplog.text
    assert secret not in str(body)
    assert any(r.exc_info for r in caplog.records)


async def test_validation_errors_stay_readable(api):
    body = await api.post("{ forms { nope } }")
    [error] = body["errors"]
    assert error["message"].startswith("Cannot query field 'nope' on type 'Form'")
    assert "reference" not in error.get("extensions", {})


async def test_variable_errors_stay_readable(api):
    body = await api.post(PRACTICE, {"herId": "not a number"}, hpr=ASTRID)
    [error] = body["errors"]
    assert "$herId" in error["message"] and "Int" in error["message"]


async def test_refusals_stay_readable(api):
    unauthenticated = await api.post(PRACTICE, {"herId": STORGATA})
    forbidden = await api.post(PRACTICE, {"herId": STORGATA}, hpr=JACOB)
    assert unauthenticated["errors"][0]["message"] == "Du må være innlogget med et gyldig token."
    assert forbidden["errors"][0]["message"] == "Du har ikke tilgang til dette legekontoret."
