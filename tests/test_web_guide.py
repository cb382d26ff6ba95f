"""Closer to the guide (issue 25): the page's «Helsenorge for fastleger» and Fravær's guide, as
links to the addresses in the settings (TILPASS_HELP_URL, TILPASS_ABSENCE_GUIDE_URL); language
buttons that say "nordsamisk" as the box they open does; and, above the nynorsk or English
addition, the standard text in that language. The browser tests run headless Chromium against a
real server on a fresh demo database started with both settings."""

from __future__ import annotations

import asyncio
import json
import re
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import httpx
import pytest
from starlette.applications import Starlette

from models.catalog import load_catalog
from settings import (
    DEFAULT_ABSENCE_GUIDE_URL,
    DEFAULT_HELP_URL,
    Settings,
    SettingsError,
    load_settings,
)
from tests.browser import (
    ASTRID,
    ROOT,
    assert_accessible,
    seeded_demo,
    why_no_browser,
)
from tests.servers import Server
from web.routes import web_routes

REASON = why_no_browser()
browser_test = pytest.mark.skipif(REASON is not None, reason=f"nettlesertester: {REASON}")

if REASON is None:
    from playwright.sync_api import Page, expect


HELP_URL = "https://hjelp.example.no/helsenorge-for-fastleger"
GUIDE_URL = "https://hjelp.example.no/veileder-fravaer"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = seeded_demo(tmp_path_factory.mktemp("web-guide"))
    running = Server(
        cwd=ROOT,
        env={**env, "TILPASS_HELP_URL": HELP_URL, "TILPASS_ABSENCE_GUIDE_URL": GUIDE_URL},
    ).start()
    try:
        yield running
    finally:
        running.stop()


def sign_in(page: Page, hpr: int = ASTRID) -> None:
    page.goto(f"/?dev-hpr={hpr}")
    expect(page.get_by_role("region", name="Reseptfornyelse")).to_be_visible()


def slot(page: Page, title: str):
    return page.get_by_role("region", name=title, exact=True)


def translation(box, language: str):
    """The box of the addition in another language (label "Tilleggsinformasjon på …")."""
    return box.locator(".translation").filter(
        has=box.page.get_by_label(f"Tilleggsinformasjon på {language}")
    )


# ---------------------------------------------------------------------------
# The links, at the addresses in the settings


@browser_test
def test_the_page_sends_gps_to_helsenorge_for_fastleger(page):
    page.goto("/")
    question = page.get_by_text(
        "Trenger du hjelp til å ta i bruk digital dialog med dine pasienter?"
    )
    expect(question).to_be_visible()
    link = page.get_by_role("link", name=re.compile("^Gå til «Helsenorge for fastleger»"))
    expect(link).to_have_attribute("href", HELP_URL)
    # A new tab, said so, so that what the GP typed stays on this one
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_accessible_name(re.compile("åpnes i en ny fane"))
    sign_in(page)
    expect(link).to_be_visible()
    assert_accessible(page, "Helsetilbud med lenke til Helsenorge for fastleger")


@browser_test
def test_fravaer_links_its_guide(page):
    sign_in(page)
    page.get_by_role("tab", name="Fravær").click()
    panel = page.get_by_role("tabpanel", name="Fravær")
    expect(
        panel.get_by_role("heading", name="Hvordan registrere midlertidig fravær")
    ).to_be_visible()
    link = panel.get_by_role("link", name=re.compile("^Veileder for fraværsregistrering"))
    expect(link).to_have_attribute("href", GUIDE_URL)
    assert_accessible(page, "Fravær med veilederen")


# ---------------------------------------------------------------------------
# The other languages on "Info til pasient"


@browser_test
def test_the_language_buttons_say_nordsamisk(page):
    sign_in(page)
    box = slot(page, "Reseptfornyelse")
    button = box.get_by_role("button", name=re.compile("^Davvisámegiella"))
    # The Sami name, marked as Sami for screen readers, and the Norwegian one beside it
    expect(button).to_contain_text("nordsamisk")
    expect(button.locator("[lang=se]")).to_have_text("Davvisámegiella")
    expect(button.locator("[lang=se]")).not_to_contain_text("nordsamisk")
    button.click()
    expect(box.get_by_label("Tilleggsinformasjon på nordsamisk")).to_be_focused()
    assert_accessible(page, "nordsamisk åpen")


@browser_test
def test_the_standard_text_stands_above_the_addition_in_its_language(page):
    sign_in(page)
    box = slot(page, "Reseptfornyelse")
    # Nynorsk: the catalogue's nynorsk standard text, marked nynorsk, above the box
    box.get_by_role("button", name=re.compile("^Nynorsk")).click()
    nynorsk = translation(box, "nynorsk")
    standard = nynorsk.get_by_text("Be om å få fornya ein eller fleire reseptar.", exact=False)
    expect(standard).to_be_visible()
    expect(nynorsk.locator(".standard-text")).to_have_attribute("lang", "nn")
    expect(nynorsk.get_by_text("Standardtekst på nynorsk som vises på Helsenorge")).to_be_visible()
    field = box.get_by_label("Tilleggsinformasjon på nynorsk")
    assert standard.bounding_box()["y"] < field.bounding_box()["y"]
    # English: the English one
    box.get_by_role("button", name=re.compile("^English")).click()
    english = translation(box, "engelsk")
    expect(
        english.get_by_text("Ask to have one or more prescriptions renewed.", exact=False)
    ).to_be_visible()
    expect(english.locator(".standard-text")).to_have_attribute("lang", "en")
    # Nordsamisk has no reviewed translation: patients reading it get bokmål, and the box says so
    box.get_by_role("button", name=re.compile("^Davvisámegiella")).click()
    expect(translation(box, "nordsamisk")).to_contain_text("finnes ikke på nordsamisk ennå")
    assert_accessible(page, "standardtekst på nynorsk og engelsk")
    # A box without a standard text shows none in the other languages either
    panel = slot(page, "Helsekontakt inkl. fastlegepanel")
    panel.get_by_role("button", name=re.compile("^Nynorsk")).click()
    expect(translation(panel, "nynorsk").get_by_text("Standardtekst på nynorsk")).to_have_count(0)


# ---------------------------------------------------------------------------
# The settings, and how the page gets them


def test_the_links_have_defaults_and_can_be_set():
    defaults = load_settings({})
    assert defaults.help_url == DEFAULT_HELP_URL
    assert defaults.absence_guide_url == DEFAULT_ABSENCE_GUIDE_URL
    assert DEFAULT_HELP_URL.startswith("https://") and DEFAULT_ABSENCE_GUIDE_URL.startswith(
        "https://"
    )
    given = load_settings(
        {"TILPASS_HELP_URL": f" {HELP_URL} ", "TILPASS_ABSENCE_GUIDE_URL": GUIDE_URL}
    )
    assert (given.help_url, given.absence_guide_url) == (HELP_URL, GUIDE_URL)


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://hjelp.example.no/", "/hjelp", "https://"]
)
def test_a_link_that_is_no_web_address_is_refused(url):
    with pytest.raises(SettingsError, match="TILPASS_ABSENCE_GUIDE_URL"):
        load_settings({"TILPASS_ABSENCE_GUIDE_URL": url})


def get(app: Starlette, path: str) -> httpx.Response:
    """GET from the app in an event loop of its own, in a thread of its own: the browser tests'
    Playwright keeps one running in this thread."""

    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get(path)

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(fetch())).result()


def test_the_admin_page_carries_its_links_and_the_service_names():
    # An address that tries to end the data block and start a script of its own
    sneaky = "https://hjelp.example.no/?q=</script><script>alert(1)</script>&x=1"
    configured = Settings(help_url=sneaky, absence_guide_url=GUIDE_URL)
    # The page's routes alone, beside the catalogue
    app = Starlette(routes=web_routes(configured))
    app.state.services = SimpleNamespace(catalog=load_catalog())
    response = get(app, "/")
    assert response.status_code == 200
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert "<script>alert" not in response.text
    found = re.search(
        r'<script type="application/json" id="page-config">(.*?)</script>', response.text
    )
    assert found is not None
    config = json.loads(found.group(1))
    assert config["helpUrl"] == sneaky
    assert config["absenceGuideUrl"] == GUIDE_URL
    # Every service by its admin title (the box's title) and the name patients see, box order
    assert [(s["code"], s["title"], s["patientTitle"]) for s in config["services"]] == [
        ("RESEPTFORNYELSE", "Reseptfornyelse", "Fornye resept"),
        ("E_KONSULTASJON", "E-konsultasjon", "Starte e-konsultasjon"),
        ("KONTAKT_LEGEKONTORET", "Kontakt legekontoret", "Kontakte legekontoret"),
        ("TIMEBESTILLING", "Timebestilling", "Bestille time"),
    ]
    assert all(s["absence"] for s in config["services"])
