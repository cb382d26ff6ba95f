"""DPoP-bound tokens at the API (RFC 9449): `Authorization: DPoP <token>` with one `DPoP` proof
of the key the token is bound to (`cnf.jkt`). Every failure is UNAUTHENTICATED with a
`WWW-Authenticate: DPoP` challenge and changes nothing; a proof counts once on every instance
sharing the database; a bound token is never a bearer token; TILPASS_DPOP=required takes
bound tokens only. Proofs are dated by the service's clock (the test clock)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from requests_oauth2client import DPoPKey as LibraryDPoPKey
from sqlalchemy import func, select

from app import Services, create_app
from auth.tokens import production_verifier
from models.catalog import load_catalog
from models.sessions import DPoPProof
from tests.conftest import ASTRID, KRISTIAN, STORGATA, error_codes, text_input
from tests.helseid import AUDIENCE, ISSUER, DPoPKey, HelseId, ath, unsigned

URL = "http://testserver/graphql"
ALGS = 'algs="ES256 RS256 PS256 EdDSA"'
ME = "query Me { me { hprNumber } }"
SAVE = """
mutation Save($input: SaveTextsInput!) {
  saveTexts(input: $input) { practice { version } userErrors { code } }
}
"""
SERVICE = """
query Service($herId: Int!) {
  patientService(herId: $herId, service: RESEPTFORNYELSE) { title available }
}
"""
VERSION = "query Version($herId: Int!) { practice(herId: $herId) { version } }"


def save_input(text: str = "Husk styrke.") -> dict[str, Any]:
    return text_input(STORGATA, "RESEPTFORNYELSE", text)


async def send(
    client: httpx.AsyncClient,
    document: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str,
    proofs: Sequence[str] = (),
    scheme: str = "DPoP",
) -> httpx.Response:
    """A POST to /graphql with `Authorization: <scheme> <token>` and a DPoP header per proof."""
    headers = [("Authorization", f"{scheme} {token}"), *(("DPoP", proof) for proof in proofs)]
    return await client.post(
        "/graphql", json={"query": document, "variables": variables or {}}, headers=headers
    )


async def version(api) -> int:
    body = await api.post(VERSION, {"herId": STORGATA}, hpr=KRISTIAN)
    return body["data"]["practice"]["version"]


def assert_refused(response: httpx.Response, error: str = "invalid_dpop_proof") -> str:
    """UNAUTHENTICATED with the DPoP challenge; the message."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert error_codes(body) == ["UNAUTHENTICATED"], body
    assert body["data"] in (None, {"me": None})
    assert response.headers["www-authenticate"] == f'DPoP error="{error}", {ALGS}'
    return body["errors"][0]["message"]


@pytest.fixture
def key() -> DPoPKey:
    return DPoPKey("ES256")


@pytest.fixture
def bound(api, key) -> str:
    """A development token for Kristian, bound to `key`."""
    return api.tokens.issue(KRISTIAN, jkt=key.thumbprint)


def now(api) -> datetime:
    return api.services.clock()


# --- what gets in ---------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["ES256", "RS256", "PS256", "EdDSA"])
async def test_valid_dpop_request_knows_the_practitioner(api, alg):
    key = DPoPKey(alg)
    token = api.tokens.issue(KRISTIAN, jkt=key.thumbprint)
    proof = key.proof("POST", URL, token, iat=now(api))
    response = await send(api.client, ME, token=token, proofs=[proof])
    assert response.json() == {"data": {"me": {"hprNumber": KRISTIAN}}}
    assert "www-authenticate" not in response.headers


async def test_valid_dpop_request_may_change_a_practice(api, key, bound):
    proof = key.proof("POST", URL, bound, iat=now(api))
    body = (await send(api.client, SAVE, save_input(), token=bound, proofs=[proof])).json()
    assert body == {"data": {"saveTexts": {"practice": {"version": 1}, "userErrors": []}}}


async def test_a_proof_dated_within_a_minute_either_way_gets_in(api, key, bound):
    for seconds in (-59, 59):
        proof = key.proof("POST", URL, bound, iat=now(api) + timedelta(seconds=seconds))
        body = (await send(api.client, ME, token=bound, proofs=[proof])).json()
        assert body["data"]["me"] == {"hprNumber": KRISTIAN}, body


async def test_proof_of_requests_oauth2client_gets_in(api):
    # A client made with the library the service's own HelseID login uses, its clock the service's
    client_key = LibraryDPoPKey.generate("ES256", iat_generator=lambda: int(now(api).timestamp()))
    token = api.tokens.issue(KRISTIAN, jkt=client_key.public_jwk.thumbprint())
    proof = client_key.proof("POST", f"{URL}?ignored=1", ath=ath(token))
    body = (await send(api.client, ME, token=token, proofs=[str(proof)])).json()
    assert body == {"data": {"me": {"hprNumber": KRISTIAN}}}


async def test_get_requests_prove_get(api, key, bound):
    proof = key.proof("GET", URL, bound, iat=now(api))
    response = await api.client.get(
        "/graphql",
        params={"query": ME},
        headers={"Authorization": f"DPoP {bound}", "DPoP": proof, "Accept": "application/json"},
    )
    assert response.json() == {"data": {"me": {"hprNumber": KRISTIAN}}}


@pytest.mark.parametrize(
    "htu",
    ["HTTP://TestServer:80/graphql", f"{URL}?x=1", f"{URL}#top", "http://testserver/./graphql"],
)
async def test_htu_is_compared_normalised_without_query_and_fragment(api, key, bound, htu):
    proof = key.proof("POST", htu, bound, iat=now(api))
    body = (await send(api.client, ME, token=bound, proofs=[proof])).json()
    assert body["data"]["me"] == {"hprNumber": KRISTIAN}, body


async def test_unbound_bearer_token_still_works_by_default(api):
    assert (await api.post(ME, hpr=KRISTIAN))["data"]["me"] == {"hprNumber": KRISTIAN}


async def test_only_the_hash_of_a_proofs_jti_is_kept(api, db, key, bound):
    proof = key.proof("POST", URL, bound, iat=now(api), jti="a-jti-of-the-client")
    await send(api.client, ME, token=bound, proofs=[proof])
    async with db.read() as session:
        kept = list((await session.execute(select(DPoPProof.jti_hash))).scalars())
    assert kept == [hashlib.sha256(b"a-jti-of-the-client").hexdigest()]


async def test_requests_without_authorization_record_no_proof(api, db):
    await api.post(VERSION, {"herId": STORGATA})
    await api.post(ME)
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(DPoPProof)) == 0


# --- what does not, and changes nothing ----------------------------------------------------


Make = Callable[[DPoPKey, str, datetime], list[str]]
PROOF, TOKEN = "invalid_dpop_proof", "invalid_token"


def _wrong(shift: timedelta = timedelta(0), **changes: Any) -> Make:
    """A proof by the right key, `shift` away from now, with claims changed."""
    return lambda key, token, at: [key.proof("POST", URL, token, iat=at + shift, **changes)]


def _hmac(key: DPoPKey, token: str, at: datetime) -> list[str]:
    secret = b"a-secret-the-client-and-server-would-have-to-share"
    header = {"typ": "dpop+jwt", "jwk": {"kty": "oct", "k": "c2VjcmV0"}}
    return [jwt.encode(key.claims("POST", URL, token, at), secret, "HS256", headers=header)]


def _none(key: DPoPKey, token: str, at: datetime) -> list[str]:
    header = {"typ": "dpop+jwt", "alg": "none", "jwk": key.public_jwk}
    return [unsigned(header, key.claims("POST", URL, token, at))]


def _private_jwk(key: DPoPKey, token: str, at: datetime) -> list[str]:
    return [key.proof("POST", URL, token, iat=at, headers={"jwk": key.private_jwk})]


def _other_key(key: DPoPKey, token: str, at: datetime) -> list[str]:
    return [DPoPKey("ES256").proof("POST", URL, token, iat=at)]


def _signed_by_another_than_jwk(key: DPoPKey, token: str, at: datetime) -> list[str]:
    return [DPoPKey("ES256").proof("POST", URL, token, iat=at, headers={"jwk": key.public_jwk})]


def _two(key: DPoPKey, token: str, at: datetime) -> list[str]:
    return [key.proof("POST", URL, token, iat=at), key.proof("POST", URL, token, iat=at)]


# What is wrong → the proofs sent, the challenge's error, and a word the message must have.
WRONG: dict[str, tuple[Make, str, str]] = {
    "missing proof": (lambda key, token, at: [], PROOF, "mangler"),
    "two DPoP headers": (_two, PROOF, "nøyaktig én"),
    "iat 2 minutes old": (_wrong(timedelta(minutes=-2)), PROOF, "iat"),
    "iat 2 minutes ahead": (_wrong(timedelta(minutes=2)), PROOF, "iat"),
    "no iat": (lambda key, token, at: [key.proof("POST", URL, token, iat=None)], PROOF, "iat"),
    "another URL": (_wrong(htu="http://testserver/auth/login"), PROOF, "htu"),
    "another host": (_wrong(htu="http://evil.example/graphql"), PROOF, "htu"),
    "another method": (_wrong(htm="GET"), PROOF, "htm"),
    "wrong ath": (_wrong(ath=ath("another-token")), PROOF, "ath"),
    "no ath": (_wrong(ath=None), PROOF, "ath"),
    "no jti": (_wrong(jti=None), PROOF, "jti"),
    "typ JWT": (
        lambda key, token, at: [key.proof("POST", URL, token, iat=at, headers={"typ": "JWT"})],
        PROOF,
        "typ",
    ),
    "HS256": (_hmac, PROOF, "alg"),
    "alg none": (_none, PROOF, "alg"),
    "private key in jwk": (_private_jwk, PROOF, "offentlig nøkkel"),
    "signed by another key than jwk": (_signed_by_another_than_jwk, PROOF, "signaturen"),
    "garbage": (lambda key, token, at: ["not-a-jwt"], PROOF, "JWT"),
    "signed by another key than cnf.jkt": (_other_key, TOKEN, "annen nøkkel"),
}


@pytest.mark.parametrize("wrong", list(WRONG))
async def test_wrong_proof_is_unauthenticated_and_changes_nothing(api, key, bound, wrong):
    # Given Storgata as it stands, and a DPoP request for Kristian that is wrong in one way
    make, error, word = WRONG[wrong]
    before = await version(api)
    # When it is used to change Storgata's texts
    proofs = make(key, bound, now(api))
    response = await send(api.client, SAVE, save_input("Forfalsket."), token=bound, proofs=proofs)
    # Then it is refused as unauthenticated, with a challenge saying what to send
    assert word in assert_refused(response, error)
    # And nothing changed
    assert await version(api) == before


async def test_replayed_proof_is_refused_on_the_same_instance(api, key, bound):
    proof = key.proof("POST", URL, bound, iat=now(api))
    first = await send(api.client, SAVE, save_input(), token=bound, proofs=[proof])
    assert first.json()["data"]["saveTexts"]["practice"] == {"version": 1}
    again = await send(api.client, SAVE, save_input("Igjen."), token=bound, proofs=[proof])
    assert "brukt før" in assert_refused(again)
    assert await version(api) == 1


@pytest.fixture
async def other_instance(api, db, settings, clock) -> AsyncIterator[httpx.AsyncClient]:
    """Another instance on the same database: services and app of its own."""
    services = Services(db=db, catalog=load_catalog(), verifier=api.tokens, clock=clock)
    await services.start()
    transport = httpx.ASGITransport(app=create_app(services, settings=settings))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        await services.stop()


async def test_replayed_proof_is_refused_on_another_instance(api, other_instance, key, bound):
    proof = key.proof("POST", URL, bound, iat=now(api))
    first = await send(api.client, SAVE, save_input(), token=bound, proofs=[proof])
    assert first.json()["data"]["saveTexts"]["practice"] == {"version": 1}
    again = await send(other_instance, SAVE, save_input("Igjen."), token=bound, proofs=[proof])
    assert_refused(again)
    assert await version(api) == 1


async def test_bound_token_sent_as_bearer_is_refused(api, key, bound):
    response = await send(api.client, SAVE, save_input("Forfalsket."), token=bound, scheme="Bearer")
    assert "Authorization: DPoP" in assert_refused(response, "invalid_token")
    assert await version(api) == 0


async def test_unbound_token_sent_as_dpop_is_refused(api, key):
    token = api.token(KRISTIAN)
    proof = key.proof("POST", URL, token, iat=now(api))
    response = await send(api.client, SAVE, save_input("Forfalsket."), token=token, proofs=[proof])
    assert "cnf.jkt" in assert_refused(response, "invalid_token")
    assert await version(api) == 0


async def test_invalid_token_sent_as_dpop_is_refused_as_a_bad_token(api, key, bound):
    token = bound[:-4] + ("AAAA" if not bound.endswith("AAAA") else "BBBB")
    proof = key.proof("POST", URL, token, iat=now(api))
    assert_refused(await send(api.client, ME, token=token, proofs=[proof]), "invalid_token")


async def test_a_patient_read_with_a_bad_proof_is_answered_without_a_challenge(api, bound):
    # Patient fields never ask who is signed in: the refusal is never met.
    response = await send(api.client, SERVICE, {"herId": STORGATA}, token=bound)
    assert response.json()["data"]["patientService"]["title"]
    assert "www-authenticate" not in response.headers


# --- TILPASS_DPOP=required and TILPASS_PUBLIC_URL ------------------------------------------


@pytest.fixture
async def configured(api, settings) -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    """Apps on the same services with other settings."""
    clients: list[httpx.AsyncClient] = []

    def client(**changes: Any) -> httpx.AsyncClient:
        app = create_app(api.services, settings=replace(settings, **changes))
        made = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        clients.append(made)
        return made

    yield client
    for made in clients:
        await made.aclose()


async def test_required_refuses_an_unbound_bearer_token(api, configured):
    required = configured(dpop="required")
    response = await send(
        required, SAVE, save_input("Forfalsket."), token=api.token(KRISTIAN), scheme="Bearer"
    )
    assert "bare imot DPoP" in assert_refused(response, "invalid_token")
    assert await version(api) == 0


async def test_required_takes_a_dpop_bound_token(api, configured, key, bound):
    required = configured(dpop="required")
    proof = key.proof("POST", URL, bound, iat=now(api))
    body = (await send(required, ME, token=bound, proofs=[proof])).json()
    assert body == {"data": {"me": {"hprNumber": KRISTIAN}}}


async def test_htu_is_the_public_url_when_one_is_set(api, configured, key, bound):
    public = configured(public_url="https://tilpass.example.no")
    inner = key.proof("POST", URL, bound, iat=now(api))
    assert_refused(await send(public, ME, token=bound, proofs=[inner]))
    outer = key.proof("POST", "https://tilpass.example.no/graphql", bound, iat=now(api))
    body = (await send(public, ME, token=bound, proofs=[outer])).json()
    assert body == {"data": {"me": {"hprNumber": KRISTIAN}}}


async def test_cors_lets_another_origin_send_a_proof_and_read_the_challenge(configured):
    origin = "https://admin.example.no"
    client = configured(cors_origins=(origin,))
    preflight = await client.options(
        "/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, dpop, content-type",
        },
    )
    assert preflight.status_code == 200
    assert "dpop" in preflight.headers["access-control-allow-headers"].lower()
    response = await client.post("/graphql", json={"query": ME}, headers={"Origin": origin})
    assert "www-authenticate" in response.headers["access-control-expose-headers"].lower()


# --- production: HelseID tokens bound to the client's key -----------------------------------


@pytest.fixture
async def production(db, settings, clock, tmp_path: Path) -> AsyncIterator[tuple[Any, HelseId]]:
    folder = tmp_path / "helseid"
    folder.mkdir()
    helseid = HelseId(folder)
    prod = replace(
        settings, env="production", jwks_url=helseid.url, issuer=ISSUER, audience=AUDIENCE
    )
    services = Services(
        db=db, catalog=load_catalog(), verifier=await production_verifier(prod), clock=clock
    )
    await services.start()
    transport = httpx.ASGITransport(app=create_app(services, settings=prod))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client, helseid
    finally:
        await services.stop()


@pytest.mark.parametrize("kid", ["rsa-1", "ec-1"])
async def test_helseid_token_bound_to_the_key_gets_in_and_may_change(production, clock, key, kid):
    client, helseid = production
    token = helseid.token(ASTRID, kid=kid, cnf={"jkt": key.thumbprint})
    me = await send(client, ME, token=token, proofs=[key.proof("POST", URL, token, iat=clock())])
    assert me.json() == {"data": {"me": {"hprNumber": ASTRID}}}
    proof = key.proof("POST", URL, token, iat=clock())
    body = (await send(client, SAVE, save_input(), token=token, proofs=[proof])).json()
    assert body == {"data": {"saveTexts": {"practice": {"version": 1}, "userErrors": []}}}


async def test_helseid_token_bound_to_another_key_is_refused(production, clock, key):
    client, helseid = production
    token = helseid.token(ASTRID, cnf={"jkt": DPoPKey().thumbprint})
    proof = key.proof("POST", URL, token, iat=clock())
    response = await send(client, SAVE, save_input("Forfalsket."), token=token, proofs=[proof])
    assert_refused(response, "invalid_token")


async def test_helseid_bound_token_sent_as_bearer_is_refused(production, key):
    client, helseid = production
    token = helseid.token(ASTRID, cnf={"jkt": key.thumbprint})
    response = await send(client, SAVE, save_input("Forfalsket."), token=token, scheme="Bearer")
    assert_refused(response, "invalid_token")
