"""The test OpenID Provider (tests/oidc_provider.py) behaves as HelseID does, driven by the
client library the service signs GPs in with (requests-oauth2client), without the service:
discovery, a pushed authorization request with PKCE, the provider's login page, the token
request with private_key_jwt and DPoP (with the nonce HelseID demands), the ID token's
checks and HelseID claims, RP-initiated logout, and what the provider refuses.

Nothing serves the redirect URIs: the helpers stop at the provider's redirect and hand back
its URL, as the service's callback would receive it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from auth.helseid import new_dpop_key
from tests.oidc_provider import (
    Provider,
    UserAgent,
    cancel_without_browser,
    follow_logout,
    running_provider,
    sign_in_without_browser,
)

rfc = pytest.importorskip(
    "requests_oauth2client",
    reason="requests-oauth2client is not installed (the service's HelseID client library)",
)
jwskate = pytest.importorskip("jwskate")

CLIENT_ID = "tilpass-helsenorge"
REDIRECT_URI = "http://127.0.0.1:8765/auth/callback"
LOGGED_OUT_URI = "http://127.0.0.1:8765/"
SCOPES = (
    "openid profile helseid://scopes/identity/hpr_number helseid://scopes/identity/assurance_level"
)
API = "nhn:tilpass-helsenorge"
API_SCOPE = "nhn:tilpass-helsenorge/api"
HPR_CLAIM = "helseid://claims/hpr/hpr_number"
ASSURANCE_CLAIM = "helseid://claims/identity/assurance_level"


@pytest.fixture(scope="module")
def client_key() -> Any:
    # The service's key pair: HelseID gets the public JWK, the private one signs assertions.
    return jwskate.Jwk.generate(alg="ES256", kid="tilpass-1")


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory, client_key: Any) -> Iterator[Provider]:
    registered = {
        "client_id": CLIENT_ID,
        "jwks": {"keys": [client_key.public_jwk().to_dict()]},
        "redirect_uris": [REDIRECT_URI],
        "post_logout_redirect_uris": [LOGGED_OUT_URI],
    }
    with running_provider(
        [registered], tmp_path_factory.mktemp("oidc"), resources={API: API_SCOPE}
    ) as started:
        yield started


@pytest.fixture
def exchanges() -> list[tuple[str, int, str]]:
    """(URL, status, OAuth error) of every response the client gets from the provider."""
    return []


@pytest.fixture
def client(provider: Provider, client_key: Any, exchanges: list[tuple[str, int, str]]) -> Any:
    made = rfc.OAuth2Client.from_discovery_endpoint(
        issuer=provider.issuer,
        auth=rfc.PrivateKeyJwt(CLIENT_ID, client_key),
        redirect_uri=REDIRECT_URI,
        dpop_key_generator=new_dpop_key,
        # The issuer is http://127.0.0.1: the library refuses anything but https otherwise.
        testing=True,
    )

    def record(response: Any, *args: Any, **kwargs: Any) -> None:
        error = ""
        if not response.ok and "json" in response.headers.get("content-type", ""):
            error = response.json().get("error", "")
        exchanges.append((response.url, response.status_code, error))

    made.session.hooks["response"].append(record)
    return made


def authorization_request(client: Any, **extra: Any) -> Any:
    # authorization_response_iss_parameter_supported: a callback without iss is refused.
    return client.authorization_request(
        scope=extra.pop("scope", SCOPES),
        authorization_response_iss_parameter_supported=True,
        **extra,
    )


def sign_in(client: Any, username: str, agent: UserAgent, **extra: Any) -> tuple[Any, Any]:
    """PAR, the login page, the callback's checks and the token request: the tokens."""
    request = authorization_request(client, **extra)
    pushed = client.pushed_authorization_request(request)
    callback = sign_in_without_browser(pushed.uri, username, agent=agent)
    response = request.validate_callback(callback)
    return response, client.authorization_code(response, dpop=True)


def test_discovery_is_shaped_like_helseids(provider):
    d = provider.discovery
    assert d["issuer"] == provider.issuer
    assert d["require_pushed_authorization_requests"] is True
    assert d["code_challenge_methods_supported"] == ["S256"]
    assert d["response_types_supported"] == ["code"]
    assert d["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert d["authorization_response_iss_parameter_supported"] is True
    assert "ES256" in d["dpop_signing_alg_values_supported"]
    assert d["subject_types_supported"] == ["pairwise"]
    assert d["end_session_endpoint"] == f"{provider.issuer}/connect/endsession"
    assert d["pushed_authorization_request_endpoint"] == f"{provider.issuer}/connect/par"
    assert {"helseid://scopes/identity/hpr_number", "profile"} <= set(d["scopes_supported"])
    assert provider.started_in < 15


def test_gp_signs_in_with_par_pkce_private_key_jwt_and_dpop(provider, client, exchanges):
    # Given a pushed authorization request (PKCE S256, state, nonce) for Astrid Info
    request = authorization_request(client)
    pushed = client.pushed_authorization_request(request)
    assert set(parse_qs(urlsplit(pushed.uri).query)) == {"client_id", "request_uri"}
    assert request.args["code_challenge_method"] == "S256"
    # When she signs in at the provider
    with UserAgent() as agent:
        callback = agent.sign_in(pushed.uri, "9144889")
    # Then the callback carries the code, the state and the provider's iss (RFC 9207)
    query = parse_qs(urlsplit(callback).query)
    assert callback.startswith(REDIRECT_URI)
    assert query["state"] == [request.state]
    assert query["iss"] == [provider.issuer]
    response = request.validate_callback(callback)

    # When the code is exchanged with a DPoP proof
    tokens = client.authorization_code(response, dpop=True)
    # Then the provider first asked for a DPoP nonce, and the client retried once with it
    token_endpoint = provider.endpoint("token_endpoint")
    assert [(s, e) for url, s, e in exchanges if url == token_endpoint] == [
        (400, "use_dpop_nonce"),
        (200, ""),
    ]
    # And the ID token passed the library's checks (signature by the provider's JWKS, aud,
    # azp, exp, nonce, at_hash); its iss is the test's own check: the library does not
    # compare it unless the AuthorizationResponse names the issuer
    id_token = tokens.id_token
    assert id_token.issuer == provider.issuer
    assert id_token.audiences == [CLIENT_ID]
    assert id_token.nonce == request.nonce
    assert id_token.expires_at.timestamp() > time.time()
    assert id_token.get_header("alg") == "RS256"
    # And it carries HelseID's claims; sub is an opaque pseudonym, not the HPR number
    assert id_token.claims[HPR_CLAIM] == "9144889"
    assert id_token.claims[ASSURANCE_CLAIM] == "high"
    assert id_token.claims["name"] == "Astrid Info"
    assert id_token.subject != "9144889"
    # And the access token is DPoP-bound: DPoP type, usable with a proof, refused as Bearer
    assert tokens.token_type == "DPoP"
    assert isinstance(tokens, rfc.DPoPToken)
    userinfo = client.session.get(provider.endpoint("userinfo_endpoint"), auth=tokens)
    assert userinfo.status_code == 200
    assert userinfo.json()[HPR_CLAIM] == "9144889"
    as_bearer = httpx.get(
        provider.endpoint("userinfo_endpoint"),
        headers={"Authorization": f"Bearer {tokens.access_token}"},
    )
    assert as_bearer.status_code == 401


def test_access_token_for_the_api_is_a_dpop_bound_jwt(provider, client):
    # Given a sign-in that asks for the API as a resource (resource=, and its scope)
    with UserAgent() as agent:
        _, tokens = sign_in(client, "9144889", agent, scope=f"{SCOPES} {API_SCOPE}", resource=API)
    # Then the access token is a JWT signed by the provider, for that API, bound to the DPoP key
    access = tokens.access_token_jwt
    assert access.verify_signature(client.authorization_server_jwks.get_jwk_by_kid(access.kid))
    assert access.get_header("typ") == "at+jwt"
    assert access.issuer == provider.issuer
    assert access.audiences == [API]
    assert access.claims["scope"] == API_SCOPE
    assert access.claims["cnf"] == {"jkt": tokens.dpop_key.dpop_jkt}
    assert access.claims[HPR_CLAIM] == "9144889"
    assert access.claims[ASSURANCE_CLAIM] == "high"


def test_an_id_token_for_another_request_is_refused(client):
    # Given tokens from a sign-in
    with UserAgent() as agent:
        response, tokens = sign_in(client, "9144889", agent)
    # When the ID token is checked against another request's nonce, then it is refused
    other = rfc.AuthorizationResponse(
        code=response.code,
        redirect_uri=response.redirect_uri,
        code_verifier=response.code_verifier,
        state=response.state,
        nonce="another-nonce",
    )
    with pytest.raises(rfc.InvalidIdToken):
        tokens.validate_id_token(client, other)


@pytest.mark.parametrize(
    ("username", "hpr", "assurance", "name"),
    [
        ("1810001", "1810001", "high", "Kristian Larsen"),
        ("5550123", "5550123", "high", "Jacob Tore"),
        ("7654321", "7654321", "high", "Lege 7654321"),  # an HPR number not in the registry
        ("low-9144889", "9144889", "substantial", "Astrid Info"),
        ("nohpr", None, "high", "Ola Nordmann"),
    ],
)
def test_the_login_name_chooses_the_helseid_claims(client, username, hpr, assurance, name):
    with UserAgent() as agent:
        _, tokens = sign_in(client, username, agent)
    claims = tokens.id_token.claims
    assert claims.get(HPR_CLAIM) == hpr
    assert claims[ASSURANCE_CLAIM] == assurance
    assert claims["name"] == name


def test_a_cancelled_login_comes_back_as_access_denied(provider, client):
    # Given a pushed authorization request
    request = authorization_request(client)
    pushed = client.pushed_authorization_request(request)
    # When the user presses Cancel on the login page
    callback = cancel_without_browser(pushed.uri)
    # Then the callback says access_denied, with the state and the provider's iss
    query = parse_qs(urlsplit(callback).query)
    assert query["error"] == ["access_denied"]
    assert query["iss"] == [provider.issuer]
    with pytest.raises(rfc.AuthorizationResponseError) as refused:
        request.validate_callback(callback)
    assert refused.value.error == "access_denied"


def test_rp_initiated_logout_ends_the_providers_session(provider, client):
    with UserAgent() as agent:
        # Given a GP signed in, whose second sign-in is single sign-on (no login page)
        _, tokens = sign_in(client, "9144889", agent)
        sign_in(client, "9144889", agent)
        assert agent.login_pages_seen == 1
        # When the service sends her to the end_session_endpoint with its ID token
        hints = {
            "id_token_hint": str(tokens.id_token),
            "post_logout_redirect_uri": LOGGED_OUT_URI,
            "state": "after-logout",
        }
        logout = f"{provider.endpoint('end_session_endpoint')}?{urlencode(hints)}"
        landed = follow_logout(logout, agent=agent)
        # Then she lands on the post-logout URI with the state, and is signed out there
        assert landed == f"{LOGGED_OUT_URI}?state=after-logout"
        sign_in(client, "9144889", agent)
        assert agent.login_pages_seen == 2
    # And a browser without a session at the provider is sent back the same way
    assert follow_logout(logout) == f"{LOGGED_OUT_URI}?state=after-logout"


def test_the_provider_refuses_what_helseid_refuses(provider, client, client_key):
    # An authorization request that was not pushed
    request = authorization_request(client)
    with UserAgent() as agent:
        callback = agent.http.get(request.uri).headers["location"]
    assert parse_qs(urlsplit(callback).query)["error"] == ["invalid_request"]
    # A pushed request without PKCE
    without_pkce = rfc.AuthorizationRequest(
        client.authorization_endpoint,
        client_id=CLIENT_ID,
        redirect_uri=REDIRECT_URI,
        scope=SCOPES,
        code_challenge_method=None,
    )
    with pytest.raises(rfc.InvalidRequest):
        client.pushed_authorization_request(without_pkce)
    # A redirect URI that is not registered
    with pytest.raises(rfc.InvalidRequest):
        client.pushed_authorization_request(
            authorization_request(client, redirect_uri="http://127.0.0.1:8765/elsewhere")
        )
    # A client assertion signed with another key
    impostor = rfc.OAuth2Client.from_discovery_document(
        provider.discovery,
        auth=rfc.PrivateKeyJwt(CLIENT_ID, jwskate.Jwk.generate(alg="ES256", kid=client_key.kid)),
        redirect_uri=REDIRECT_URI,
        testing=True,
    )
    with pytest.raises(rfc.InvalidClient):
        impostor.pushed_authorization_request(authorization_request(impostor))
    # A token request without a DPoP proof
    request = authorization_request(client)
    with UserAgent() as agent:
        callback = agent.sign_in(client.pushed_authorization_request(request).uri, "9144889")
    with pytest.raises(rfc.InvalidGrant):
        client.authorization_code(request.validate_callback(callback), dpop=False)
