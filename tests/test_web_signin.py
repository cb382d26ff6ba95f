"""A GP signs in with HelseID in Chromium, through a real OpenID Provider configured as HelseID
(tests/oidc_provider.py) and a real server (`tilpass serve`): the whole login, a save, a session
that ends while the GP types (the typing survives signing in again), and logout, after which
the old cookie works nowhere. No token ever reaches the page, its storage or an address it
visits before logout."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.browser import ROOT, axe_violations, seeded_demo, why_no_browser
from tests.oidc_provider import Provider, node_version
from tests.servers import Server
from tests.signin_setup import CLIENT_ID, new_client_key, start_registered_provider

REASON = why_no_browser()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"nettlesertester: {REASON}")

if REASON is None:
    from playwright.sync_api import Page, expect

ASTRID = 9144889
COOKIE = "tilpass_session"
ME = "query Me { me { hprNumber } }"
TOKENS = ("eyJ", "access_token", "id_token", "code_verifier")


@pytest.fixture(scope="module")
def helseid(tmp_path_factory) -> Iterator[tuple[Server, Provider, Path]]:
    """A server on a fresh demo database with HelseID configured, and its provider."""
    if not node_version():
        pytest.skip("Node.js mangler: OpenID-leverandøren kan ikke startes")
    folder = tmp_path_factory.mktemp("web-signin")
    key = new_client_key()
    key_file = folder / "helseid-key.json"
    key_file.write_text(key.to_json(), encoding="utf-8")
    database = folder / "tilpass.db"
    server = Server(cwd=ROOT, env=seeded_demo(folder))
    provider = start_registered_provider(server.base, key, folder)
    server.env.update(
        TILPASS_HELSEID_AUTHORITY=provider.issuer,
        TILPASS_HELSEID_CLIENT_ID=CLIENT_ID,
        TILPASS_HELSEID_CLIENT_KEY=str(key_file),
        TILPASS_PUBLIC_URL=server.base,
    )
    try:
        server.start()
        yield server, provider, database
    finally:
        server.stop()
        provider.stop()


@pytest.fixture(scope="module")
def server(helseid):
    return helseid[0]


def visited(page: Page) -> list[str]:
    """Every address the page's frames navigate to, as they go."""
    addresses: list[str] = []
    page.on("framenavigated", lambda frame: addresses.append(frame.url))
    page.on("request", lambda request: addresses.append(request.url))
    return addresses


def log_in_at_provider(page: Page, username: str = str(ASTRID)) -> None:
    page.get_by_role("link", name="Logg inn med HelseID").click()
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill("passord")
    page.locator("button[type=submit]").click()


def box(page: Page, title: str):
    return page.get_by_role("region", name=title, exact=True).get_by_label(
        "Tilleggsinformasjon fra legekontor"
    )


def assert_no_token_in_the_page(page: Page, addresses: list[str]) -> None:
    storage = page.evaluate(
        "() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), "
        "document.cookie, [...document.scripts].map((s) => s.text).join('')])"
    )
    for word in TOKENS:
        assert word not in storage, word
        assert not [address for address in addresses if word in address], word
    assert COOKIE not in page.evaluate("() => document.cookie")  # HttpOnly


def me_with(server: Server, cookie: str) -> dict:
    response = httpx.post(
        f"{server.base}/graphql",
        json={"query": ME},
        cookies={COOKIE: cookie},
        headers={"Accept": "application/json"},
        timeout=10,
    )
    return response.json()


def test_a_gp_signs_in_saves_is_logged_out_while_typing_and_signs_out(page, helseid):
    server, _provider, database = helseid
    addresses = visited(page)

    # Given the admin page, signed out: it offers HelseID beside the development picker
    page.goto("/")
    expect(page.get_by_role("link", name="Logg inn med HelseID")).to_be_visible()
    assert axe_violations(page) == []

    # When the GP signs in at HelseID
    log_in_at_provider(page)

    # Then they are back on the admin page, named in the header
    expect(page.locator("#user")).to_contain_text("Astrid Info (HPR 9144889)")
    expect(page.get_by_role("button", name="Logg ut")).to_be_visible()
    assert_no_token_in_the_page(page, addresses)

    # When they save a text
    box(page, "Reseptfornyelse").fill("Husk å oppgi styrke.")
    page.get_by_role("button", name="Lagre").click()
    expect(page.get_by_text("Endringene er lagret")).to_be_visible()

    # And their session ends on the server while they type
    box(page, "Reseptfornyelse").fill("Husk å oppgi styrke og antall.")
    with sqlite3.connect(database) as db:
        db.execute("DELETE FROM login_session")
    page.get_by_role("button", name="Lagre").click()

    # Then the page offers to sign in again, and after that the typing is still there
    again = page.get_by_role("link", name="Logg inn på nytt")
    expect(again).to_be_visible()
    again.click()
    if page.locator("input[name=login]").count():
        page.locator("input[name=login]").fill(str(ASTRID))
        page.locator("input[name=password]").fill("passord")
        page.locator("button[type=submit]").click()
    expect(page.locator("#user")).to_contain_text("Astrid Info")
    expect(box(page, "Reseptfornyelse")).to_have_value("Husk å oppgi styrke og antall.")
    page.get_by_role("button", name="Lagre").click()
    expect(page.get_by_text("Endringene er lagret")).to_be_visible()
    assert_no_token_in_the_page(page, addresses)

    # When they sign out
    cookie = next(c["value"] for c in page.context.cookies() if c["name"] == COOKIE)
    assert me_with(server, cookie)["data"]["me"]["hprNumber"] == ASTRID
    page.get_by_role("button", name="Logg ut").click()

    # Then they are signed out here and at HelseID, and the old cookie opens nothing
    expect(page.get_by_role("link", name="Logg inn med HelseID")).to_be_visible()
    assert page.url.rstrip("/") == server.base, page.content()[:1500]
    body = me_with(server, cookie)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert not [c for c in page.context.cookies() if c["name"] == COOKIE]


def test_a_gp_without_the_right_assurance_level_is_told_why(page, helseid):
    page.goto("/")
    log_in_at_provider(page, f"low-{ASTRID}")

    expect(page.get_by_role("heading", name="For lavt sikkerhetsnivå")).to_be_visible()
    expect(page.get_by_role("link", name="Logg inn med HelseID")).to_be_visible()
    assert axe_violations(page) == []
