"""Production mode: only HelseID tokens of real practitioners get in (RS256/ES256 against the
JWKS, issuer, audience, exp/nbf/iat with at most 60 s leeway, HPR claim, assurance level high),
every wrong token is UNAUTHENTICATED and changes nothing, keys are fetched again when HelseID
rolls them (bounded), and the development conveniences are gone."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from app import Services, create_app
from auth.tokens import (
    ASSURANCE_CLAIM,
    HPR_CLAIM,
    HelseIdTokens,
    development_tokens,
    production_verifier,
)
from models.catalog import load_catalog
from settings import Settings
from tests.conftest import ASTRID, JACOB, STORGATA, STRANGER, error_codes, text_input
from tests.helseid import (
    AUDIENCE,
    ISSUER,
    HelseId,
    Ticker,
    new_ec_key,
    new_rsa_key,
    tampered,
    tampered_header,
)

GRAPHQL_RESPONSE = "application/graphql-response+json"

ME = "query Me { me { hprNumber } }"

SAVE_TEXT = """
mutation Save($input: SaveTextsInput!) {
  saveTexts(input: $input) { practice { version } userErrors { code } }
}
"""

STATE = """
query State($herId: Int!) {
  practice(herId: $herId) { version texts { slot text } auditLog { edges { node { id } } } }
}
"""

INTROSPECTION = "query { __schema { queryType { name } types { name } } }"
TYPE_INTROSPECTION = 'query { __type(name: "Practice") { fields { name } } }'

# Each document has a near miss that graphql-core would answer with "Did you mean …?".
NEAR_MISSES = {
    "field": "query { practise(herId: 8142519) { name } }",
    "argument": "query { practice(herid: 8142519) { name } }",
    "enum value": "query { forms(entryPoint: RESEPTFORNYELS) { id } }",
    "type": "query Q($i: SaveTextInputs!) { forms { id } }",
    "nested field": "query { forms { displayNam } }",
}


def save_input(text: str = "Husk styrke.") -> dict[str, Any]:
    return text_input(STORGATA, "RESEPTFORNYELSE", text)


@dataclass
class Production:
    client: httpx.AsyncClient
    helseid: HelseId
    verifier: HelseIdTokens
    ticker: Ticker
    settings: Settings

    async def post(
        self, document: str, variables: dict | None = None, *, token: str | None = None
    ) -> httpx.Response:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return await self.client.post(
            "/graphql", json={"query": document, "variables": variables or {}}, headers=headers
        )

    async def me(self, token: str) -> dict[str, Any]:
        response = await self.post(ME, token=token)
        assert response.status_code == 200, response.text
        return response.json()

    async def state(self) -> dict[str, Any]:
        response = await self.post(STATE, {"herId": STORGATA}, token=self.helseid.token(ASTRID))
        body = response.json()
        assert "errors" not in body, body
        return body["data"]["practice"]


def production_settings(settings: Settings, helseid: HelseId) -> Settings:
    return replace(
        settings, env="production", jwks_url=helseid.url, issuer=ISSUER, audience=AUDIENCE
    )


@pytest.fixture
def helseid(tmp_path: Path) -> HelseId:
    folder = tmp_path / "helseid"
    folder.mkdir()
    return HelseId(folder)


@pytest.fixture
async def production(db, settings, clock, helseid) -> AsyncIterator[Production]:
    """The app in production mode on the test database, as conftest builds the development one."""
    ticker = Ticker()
    prod = production_settings(settings, helseid)
    verifier = await production_verifier(prod, monotonic=ticker)
    services = Services(db=db, catalog=load_catalog(), verifier=verifier, clock=clock)
    await services.start()
    app = create_app(services, settings=prod)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Production(client, helseid, verifier, ticker, prod)
    finally:
        await services.stop()


# --- tokens that get in -------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda h: h.token(ASTRID, kid="rsa-1"), id="RS256"),
        pytest.param(lambda h: h.token(ASTRID, kid="ec-1"), id="ES256"),
        pytest.param(lambda h: h.token(str(ASTRID)), id="hpr-as-string"),
        pytest.param(
            lambda h: h.token(ASTRID, **{HPR_CLAIM: ASTRID}),
            id="hpr-as-number",
        ),
        pytest.param(lambda h: h.token(ASTRID, aud=["other-api", AUDIENCE]), id="audience-list"),
        pytest.param(
            lambda h: h.token(ASTRID, exp=datetime.now(UTC) - timedelta(seconds=30)),
            id="expired-within-leeway",
        ),
        pytest.param(
            lambda h: h.token(ASTRID, nbf=datetime.now(UTC) + timedelta(seconds=30)),
            id="nbf-within-leeway",
        ),
    ],
)
async def test_helseid_token_of_a_practitioner_gets_in(production, make):
    # Given a token HelseID signed for Astrid, for this service, at assurance level high
    token = make(production.helseid)
    # When she asks who she is
    body = await production.me(token)
    # Then the service knows her
    assert "errors" not in body, body
    assert body["data"]["me"] == {"hprNumber": ASTRID}


async def test_helseid_token_may_change_a_practice(production):
    body = (
        await production.post(SAVE_TEXT, save_input(), token=production.helseid.token(ASTRID))
    ).json()
    assert "errors" not in body, body
    assert body["data"]["saveTexts"] == {"practice": {"version": 1}, "userErrors": []}


# --- tokens that do not -------------------------------------------------------------------


def _ago(seconds: int) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=seconds)


def _ahead(seconds: int) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


WRONG_TOKENS: dict[str, Callable[[HelseId], str]] = {
    "expired": lambda h: h.token(ASTRID, iat=_ago(600), nbf=_ago(600), exp=_ago(90)),
    "not yet valid (nbf)": lambda h: h.token(ASTRID, nbf=_ahead(90)),
    "issued in the future (iat)": lambda h: h.token(ASTRID, iat=_ahead(90), nbf=None),
    "wrong issuer": lambda h: h.token(ASTRID, iss="https://helseid-sts.example.org"),
    "wrong audience": lambda h: h.token(ASTRID, aud="another-api"),
    "alg none": lambda h: h.unsigned_token(ASTRID),
    "HS256 signed with the public key": lambda h: h.hs256_with_public_key(ASTRID),
    "signed with another key under a known kid": lambda h: h.token(ASTRID, key=new_rsa_key()),
    "EC key passed off under the RSA kid": lambda h: h.token(ASTRID, key=h.keys["ec-1"]),
    "unknown kid": lambda h: h.token(ASTRID, kid="rsa-9", key=new_rsa_key()),
    "no kid": lambda h: tampered_header(h.token(ASTRID), kid=None),
    "RS384": lambda h: h.token(ASTRID, algorithm="RS384"),
    "tampered payload": lambda h: tampered(h.token(JACOB), **{HPR_CLAIM: str(ASTRID)}),
    "missing HPR claim": lambda h: h.token(ASTRID, **{HPR_CLAIM: None}),
    "HPR claim not a number": lambda h: h.token("9144889x"),
    "missing exp": lambda h: h.token(ASTRID, exp=None),
    "missing audience": lambda h: h.token(ASTRID, aud=None),
    "assurance substantial": lambda h: h.token(ASTRID, **{ASSURANCE_CLAIM: "substantial"}),
    "assurance missing": lambda h: h.token(ASTRID, **{ASSURANCE_CLAIM: None}),
    "garbage": lambda h: "not-a-jwt",
    "garbage in three parts": lambda h: "eyJhbGciOi.JSUzI1NiJ9.!!!",
    "EC signature of the wrong length": lambda h: h.token(ASTRID, kid="ec-1")[:-8],
}


@pytest.mark.parametrize("wrong", [*WRONG_TOKENS, "development token"])
async def test_wrong_token_is_unauthenticated_and_changes_nothing(production, db, settings, wrong):
    # Given Storgata as it stands, and a token that is wrong in one way (meant for Astrid)
    before = await production.state()
    if wrong == "development token":
        token = (await development_tokens(db, settings)).issue(ASTRID)
    else:
        token = WRONG_TOKENS[wrong](production.helseid)
    # When it is used to change Storgata's texts, and to ask who it belongs to
    response = await production.post(SAVE_TEXT, save_input("Forfalsket."), token=token)
    me = await production.me(token)
    # Then the change is refused as unauthenticated, without a server error
    assert response.status_code == 200, response.text
    body = response.json()
    assert error_codes(body) == ["UNAUTHENTICATED"], body
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert "Traceback" not in response.text and "jwt" not in response.text.lower()
    assert me["data"] == {"me": None}
    # And nothing changed
    assert await production.state() == before


async def test_valid_token_of_someone_not_in_the_registry_is_forbidden(production):
    token = production.helseid.token(STRANGER)
    body = (await production.post(SAVE_TEXT, save_input(), token=token)).json()
    assert error_codes(body) == ["FORBIDDEN"]


# --- HelseID rolls its keys ---------------------------------------------------------------


async def test_new_key_is_fetched_when_a_token_names_it(production):
    helseid, ticker = production.helseid, production.ticker
    # Given HelseID publishing a new key a while after the service started
    helseid.keys["rsa-2"] = new_rsa_key()
    helseid.publish()
    ticker.advance(120)
    # When a token signed with it arrives
    body = await production.me(helseid.token(ASTRID, kid="rsa-2"))
    # Then the key set is fetched again and the token accepted
    assert body["data"]["me"] == {"hprNumber": ASTRID}


async def test_unknown_key_ids_fetch_the_key_set_at_most_once_a_minute(production):
    helseid, ticker, keys = production.helseid, production.ticker, production.verifier.keys
    ticker.advance(120)
    fetches = keys.fetches
    # Given a flood of tokens with made-up key ids
    for n in range(20):
        body = await production.me(helseid.token(ASTRID, kid=f"made-up-{n}", key=new_ec_key()))
        assert body["data"]["me"] is None
    # Then the key set was fetched once, not twenty times
    assert keys.fetches == fetches + 1
    # And a key HelseID publishes within that minute is taken only when the minute is over
    helseid.keys["ec-2"] = new_ec_key()
    helseid.publish()
    token = helseid.token(ASTRID, kid="ec-2")
    assert (await production.me(token))["data"]["me"] is None
    assert keys.fetches == fetches + 1
    ticker.advance(61)
    assert (await production.me(token))["data"]["me"] == {"hprNumber": ASTRID}
    assert keys.fetches == fetches + 2


async def test_known_key_ids_fetch_nothing(production):
    production.ticker.advance(120)
    fetches = production.verifier.keys.fetches
    for _ in range(5):
        await production.me(production.helseid.token(ASTRID))
    assert production.verifier.keys.fetches == fetches


async def test_a_jwks_that_cannot_be_read_keeps_the_keys_in_use(production):
    production.helseid.jwks_path.write_text("{not json", encoding="utf-8")
    production.ticker.advance(4000)  # the set is old: it is fetched again, and that fails
    body = await production.me(production.helseid.token(ASTRID))
    assert body["data"]["me"] == {"hprNumber": ASTRID}


# --- no development conveniences ----------------------------------------------------------


async def test_no_graphiql_in_production(production):
    response = await production.client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "graphiql" not in response.text.lower()


@pytest.mark.parametrize("document", [INTROSPECTION, TYPE_INTROSPECTION], ids=["schema", "type"])
async def test_no_introspection_in_production(production, document):
    response = await production.client.post(
        "/graphql", json={"query": document}, headers={"Accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert "introspection" in body["errors"][0]["message"].lower()


async def test_introspection_works_in_development(api):
    body = await api.post(INTROSPECTION)
    assert body["data"]["__schema"]["queryType"] == {"name": "Query"}


async def test_validation_of_one_text_is_kept_per_set_of_rules(production, api):
    # Given the document validated (and its outcome kept) in development
    assert "errors" not in await api.post(INTROSPECTION)
    # When production, whose rules refuse it, gets the same text, it is refused
    refused = await production.client.post("/graphql", json={"query": INTROSPECTION})
    assert "introspection" in refused.json()["errors"][0]["message"].lower()
    # Then development's answer has not changed either
    assert "errors" not in await api.post(INTROSPECTION)


@pytest.mark.parametrize("miss", list(NEAR_MISSES))
async def test_no_suggestions_in_production(production, api, miss):
    document = NEAR_MISSES[miss]
    # In development the near miss is answered with a suggestion
    development = await api.post(document)
    assert any("Did you mean" in e["message"] for e in development["errors"]), development
    # In production the same error comes without one
    body = (await production.post(document)).json()
    assert body["errors"], body
    assert not any("did you mean" in e["message"].lower() for e in body["errors"]), body


async def test_no_suggestions_for_variables_in_production(production):
    variables = {"input": {"herId": STORGATA, "texts": [{"slott": "RESEPTFORNYELSE", "text": "x"}]}}
    token = production.helseid.token(ASTRID)
    body = (await production.post(SAVE_TEXT, variables, token=token)).json()
    assert body["errors"]
    assert not any("did you mean" in e["message"].lower() for e in body["errors"]), body


async def test_no_development_sign_in_in_production(production):
    assert (await production.client.post("/dev/token", json={"hpr": ASTRID})).status_code == 404
