"""Signing GPs in with HelseID over HTTP, against a real OpenID Provider configured as HelseID
(tests/oidc_provider.py): PAR, PKCE, private_key_jwt and DPoP on the way in, a session in the
database, and every way a login can fail refused with its own page and no session."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from app import Services, create_app
from auth.login import sign_in_for
from auth.tokens import development_tokens
from models.catalog import load_catalog
from settings import Settings
from tests.conftest import ASTRID, STORGATA, error_codes, text_input
from tests.oidc_provider import (
    Provider,
    cancel_without_browser,
    sign_in_without_browser,
)
from tests.signin_setup import helseid_settings, new_client_key, start_registered_provider

PUBLIC = "http://127.0.0.1:8765"
COOKIE = "tilpass_session"
ME = "query Me { me { hprNumber name } }"
PRACTICE_VERSION = "query V($herId: Int!) { practice(herId: $herId) { version } }"
SAVE = """
mutation Save($input: SaveTextsInput!) {
  saveTexts(input: $input) { userErrors { code } practice { version } }
}"""


@pytest.fixture(scope="module")
def client_key() -> Any:
    return new_client_key()


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory, client_key: Any) -> Iterator[Provider]:
    started = start_registered_provider(PUBLIC, client_key, tmp_path_factory.mktemp("oidc"))
    try:
        yield started
    finally:
        started.stop()


class Instance:
    """One instance of the service, signed in to by its own browser (httpx with a jar)."""

    def __init__(self, app: Any, services: Services) -> None:
        self.app, self.services = app, services
        self.browser = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=PUBLIC, follow_redirects=False
        )

    async def graphql(
        self, document: str, variables: dict | None = None, **headers: str
    ) -> dict[str, Any]:
        response = await self.browser.post(
            "/graphql", json={"query": document, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
async def make_instance(db, settings: Settings, clock, provider, client_key, tmp_path: Path):
    """Instances of the service on the test's database, each with HelseID configured."""
    configured = helseid_settings(settings, provider.issuer, client_key, PUBLIC, tmp_path)
    made: list[Instance] = []

    async def make() -> Instance:
        tokens = await development_tokens(db, configured)
        services = Services(
            db=db,
            catalog=load_catalog(),
            verifier=tokens,
            clock=clock,
            sign_in=sign_in_for(configured, db, clock),
        )
        await services.start()
        instance = Instance(create_app(services, settings=configured), services)
        made.append(instance)
        return instance

    yield make
    for instance in made:
        await instance.browser.aclose()
        await instance.services.stop()


@pytest.fixture
async def service(make_instance) -> AsyncIterator[Instance]:
    yield await make_instance()


async def begin_login(instance: Instance, next_path: str | None = None) -> str:
    """GET /auth/login: the provider's authorize URL the browser is sent to."""
    query = "?" + urlencode({"next": next_path}) if next_path is not None else ""
    response = await instance.browser.get("/auth/login" + query)
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def callback(instance: Instance, url: str, browser: httpx.AsyncClient | None = None):
    parts = urlsplit(url)
    return await (browser or instance.browser).get(f"{parts.path}?{parts.query}")


async def log_in(instance: Instance, username: str = str(ASTRID), next_path: str | None = None):
    authorize = await begin_login(instance, next_path)
    return await callback(instance, sign_in_without_browser(authorize, username))


def assert_no_session(response: httpx.Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert words in response.text
    assert "Logg inn med HelseID" in response.text
    cookies = response.headers.get_list("set-cookie")
    assert not any(c.startswith(f"{COOKIE}=") and "Max-Age=0" not in c for c in cookies)


# --- the way in ---------------------------------------------------------------------------------


async def test_a_gp_signs_in_and_the_session_speaks_for_them(service, provider):
    # When a GP starts the login
    authorize = await begin_login(service, "/pasient/8142519")

    # Then the browser goes to the provider's authorize endpoint with only client_id and
    # request_uri (the request itself was pushed)
    parts = urlsplit(authorize)
    assert (
        f"{parts.scheme}://{parts.netloc}{parts.path}"
        == provider.discovery["authorization_endpoint"]
    )
    assert set(parse_qs(parts.query)) == {"client_id", "request_uri"}

    # When they sign in at the provider and come back
    response = await callback(service, sign_in_without_browser(authorize, str(ASTRID)))

    # Then they are sent on to where they were, with an HttpOnly session cookie
    assert response.status_code == 303
    assert response.headers["location"] == "/pasient/8142519"
    session_cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(f"{COOKIE}=")
    )
    assert {"HttpOnly", "SameSite=Lax", "Path=/"} <= set(session_cookie.split("; "))
    me = await service.graphql(ME)
    assert me["data"]["me"] == {"hprNumber": ASTRID, "name": "Astrid Info"}


async def test_the_session_saves_a_text(service):
    await log_in(service)

    saved = await service.graphql(SAVE, text_input(STORGATA, "RESEPTFORNYELSE", "Husk styrke."))

    assert saved["data"]["saveTexts"]["userErrors"] == []


async def test_every_login_gets_a_new_session_id(service):
    first = await log_in(service)
    second = await log_in(service)

    assert first.cookies[COOKIE] != second.cookies[COOKIE]


@pytest.mark.parametrize(
    "next_path",
    ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "x"],
)
async def test_next_goes_only_to_a_path_of_this_service(service, next_path):
    response = await log_in(service, next_path=next_path)

    assert response.status_code == 303
    assert response.headers["location"] == "/"


# --- logins that fail -----------------------------------------------------------------------------


async def test_a_forged_state_is_refused(service):
    authorize = await begin_login(service)
    real = sign_in_without_browser(authorize, str(ASTRID))
    forged = real.replace("state=", "state=forged", 1)

    assert_no_session(await callback(service, forged), 400, "kunne ikke fullføres")


async def test_a_wrong_iss_is_refused(service):
    authorize = await begin_login(service)
    real = sign_in_without_browser(authorize, str(ASTRID))
    query = parse_qs(urlsplit(real).query)
    query["iss"] = ["https://evil.example"]
    wrong = f"{PUBLIC}/auth/callback?" + urlencode({k: v[0] for k, v in query.items()})

    assert_no_session(await callback(service, wrong), 400, "kunne ikke fullføres")
    assert error_codes(await service.graphql(ME)) == []
    assert (await service.graphql(ME))["data"]["me"] is None


async def test_a_replayed_callback_is_refused(service):
    authorize = await begin_login(service)
    url = sign_in_without_browser(authorize, str(ASTRID))
    assert (await callback(service, url)).status_code == 303
    service.browser.cookies.clear()

    assert_no_session(await callback(service, url), 400, "kunne ikke fullføres")


async def test_a_callback_in_another_browser_is_refused(service):
    authorize = await begin_login(service)
    url = sign_in_without_browser(authorize, str(ASTRID))
    other_browser = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=service.app), base_url=PUBLIC
    )
    async with other_browser:
        response = await callback(service, url, other_browser)

    assert_no_session(response, 400, "annen nettleser")


async def test_a_cancelled_login_says_so(service):
    authorize = await begin_login(service)

    response = await callback(service, cancel_without_browser(authorize))

    assert_no_session(response, 400, "avbrøt innloggingen")


@pytest.mark.parametrize(
    ("username", "words"),
    [
        ("nohpr", "mangler HPR-nummer"),
        (f"low-{ASTRID}", "lavere sikkerhetsnivå"),
        ("7654321", "ikke knyttet til noe fastlegekontor"),
    ],
    ids=["no-hpr-number", "assurance-below-high", "not-in-the-registry"],
)
async def test_a_gp_who_may_not_sign_in_gets_a_page_saying_why(service, username, words):
    response = await log_in(service, username)

    assert_no_session(response, 400, words)
    assert (await service.graphql(ME))["data"]["me"] is None


async def test_a_provider_that_does_not_answer_gets_503(make_instance, provider):
    instance = await make_instance()
    client = instance.services.sign_in.client
    client.authority = "http://127.0.0.1:9"  # nothing listens there
    client._client = None

    response = await instance.browser.get("/auth/login")

    assert response.status_code == 503
    assert "HelseID svarer ikke akkurat nå" in response.text


# --- the session ----------------------------------------------------------------------------------


async def test_an_idle_session_ends(service, clock):
    await log_in(service)
    clock.moment += timedelta(minutes=61)

    body = await service.graphql(ME)

    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_a_session_ends_after_its_absolute_time_however_busy(service, clock):
    await log_in(service)
    # Ten requests 59 minutes apart: never idle for an hour, 9 h 50 min in all
    for _ in range(10):
        clock.moment += timedelta(minutes=59)
        assert "errors" not in await service.graphql(ME)
    clock.moment += timedelta(minutes=59)

    assert error_codes(await service.graphql(ME)) == ["UNAUTHENTICATED"]


async def test_a_session_works_on_every_instance_and_logout_ends_it_on_all(make_instance, provider):
    first, second = await make_instance(), await make_instance()
    signed_in = await log_in(first)
    second.browser.cookies.set(COOKIE, signed_in.cookies[COOKIE])
    old_cookie = signed_in.cookies[COOKIE]
    assert (await second.graphql(ME))["data"]["me"]["hprNumber"] == ASTRID

    # When the GP signs out on the first
    out = await first.browser.post("/auth/logout", headers={"Origin": PUBLIC})

    # Then the browser goes on to the provider's logout, and the cookie is gone everywhere
    assert out.status_code == 303
    logout = urlsplit(out.headers["location"])
    assert (
        f"{logout.scheme}://{logout.netloc}{logout.path}"
        == provider.discovery["end_session_endpoint"]
    )
    hints = parse_qs(logout.query)
    assert hints["post_logout_redirect_uri"] == [f"{PUBLIC}/"]
    assert hints["id_token_hint"]
    for instance in (first, second):
        instance.browser.cookies.set(COOKIE, old_cookie)
        assert error_codes(await instance.graphql(ME)) == ["UNAUTHENTICATED"]


# --- requests another site makes --------------------------------------------------------------


async def version(instance: Instance) -> int:
    body = await instance.graphql(PRACTICE_VERSION, {"herId": STORGATA})
    return body["data"]["practice"]["version"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:9999"},
        {"Origin": "null"},
    ],
    ids=["cross-site-origin", "sec-fetch-site", "same-site-other-origin", "opaque-origin"],
)
async def test_a_cross_site_request_with_the_cookie_changes_nothing(service, headers):
    await log_in(service)
    before = await version(service)

    body = await service.graphql(
        SAVE, text_input(STORGATA, "RESEPTFORNYELSE", "Fra en annen side."), **headers
    )

    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert await version(service) == before


async def test_a_form_post_with_the_cookie_changes_nothing(service):
    await log_in(service)
    before = await version(service)

    response = await service.browser.post(
        "/graphql",
        content="query=mutation{saveTexts(input:{herId:8142519,texts:[]}){practice{version}}}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 403
    assert error_codes(response.json()) == ["UNAUTHENTICATED"]
    assert await version(service) == before


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": PUBLIC, "Sec-Fetch-Site": "same-origin"},
        # The pages' Referrer-Policy no-referrer: Chromium sends Origin null with their posts.
        {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
        {},
    ],
    ids=["same-origin", "own-page-without-referrer", "no-browser-headers"],
)
async def test_a_request_from_the_service_s_own_pages_is_taken(service, headers):
    await log_in(service)

    body = await service.graphql(ME, **headers)

    assert body["data"]["me"]["hprNumber"] == ASTRID


async def test_an_authorization_header_is_judged_by_its_token_alone(service):
    await log_in(service)

    body = await service.graphql(ME, Authorization="Bearer not-a-token")

    assert error_codes(body) == ["UNAUTHENTICATED"]


# --- what the logs and the browser never get ----------------------------------------------------


# The test's own browser and the provider helpers speak httpx, which logs every URL they fetch
# (the callback's code among them); the service itself fetches nothing with httpx here.
TEST_CLIENTS = ("httpx", "httpcore")


async def test_no_code_token_state_or_cookie_reaches_a_log_line(service, caplog):
    # Everything at INFO, as the service runs, and the service's own lines at DEBUG
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="tilpass")
    authorize = await begin_login(service)
    url = sign_in_without_browser(authorize, str(ASTRID))
    response = await callback(service, url)
    await service.graphql(ME)
    await service.browser.post("/auth/logout", headers={"Origin": PUBLIC})

    query = parse_qs(urlsplit(url).query)
    secrets = [query["code"][0], query["state"][0], response.cookies[COOKIE]]
    secrets.extend(parse_qs(urlsplit(authorize).query)["request_uri"])
    records = [r for r in caplog.records if not r.name.startswith(TEST_CLIENTS)]
    logged = "\n".join(record.getMessage() for record in records)
    logged += "\n".join(str(record.__dict__) for record in records)
    assert any("signed in" in record.getMessage() for record in records)
    for secret in secrets:
        assert secret not in logged


async def test_the_browser_gets_no_token(service):
    response = await log_in(service)

    assert "id_token" not in response.headers.get("location", "")
    assert "eyJ" not in str(response.headers)
    assert response.text == ""
