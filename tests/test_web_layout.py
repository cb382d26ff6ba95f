"""The admin page's layout, checked by geometry in headless Chromium at a phone's width (390 px)
and a desktop's (1280 px), against a real server on a fresh demo database with something in
every tab (issue 25): nothing scrolls sideways on a phone, the date fields keep one row with an
error shown, the preview's fields line up, and a table row's text is centred with its button.
Screenshots of what was measured are left in each test's tmp folder."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.browser import (
    ASTRID,
    KRISTIAN,
    STORGATA,
    assert_accessible,
    demo_server,
    development_token,
    why_no_browser,
)

REASON = why_no_browser()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"nettlesertester: {REASON}")

if REASON is None:
    from playwright.sync_api import Page, expect


PHONE, DESKTOP = 390, 1280
TABS = ["Info til pasient", "Integrerte verktøy", "Fravær", "Historikk"]

# The elements that reach past the right edge of the window, to say what scrolls sideways.
TOO_WIDE = """() => [...document.querySelectorAll("body *")]
    .filter((el) => !el.closest(".sr-only, [hidden]"))
    .map((el) => [el, el.getBoundingClientRect()])
    .filter(([, box]) => box.width > 0 && box.right > window.innerWidth + 0.5)
    .map(([el, box]) => `${el.tagName.toLowerCase()}.${el.className} ${box.left}–${box.right}`)
    .slice(0, 10)"""


def today() -> date:
    return datetime.now(ZoneInfo("Europe/Oslo")).date()


def graphql(server: Any, hpr: int, query: str, variables: dict[str, Any]) -> None:
    response = httpx.post(
        f"{server.base}/graphql",
        headers={"Authorization": f"Bearer {development_token(server, hpr)}"},
        json={"query": query, "variables": variables},
        timeout=10,
    )
    data = response.json()["data"]
    assert all(not payload["userErrors"] for payload in data.values()), data


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("web-layout")) as running:
        # Something in every tab at Storgata: an absence naming every service, a chosen form,
        # a long addition, and the history they leave.
        graphql(
            running,
            KRISTIAN,
            "mutation($i: AddAbsenceInput!) { addAbsence(input: $i) { userErrors { code } } }",
            {
                "i": {
                    "herId": STORGATA,
                    "practitionerHpr": ASTRID,
                    "from": today().isoformat(),
                    "to": (today() + timedelta(days=3)).isoformat(),
                    "services": [
                        "TIMEBESTILLING",
                        "E_KONSULTASJON",
                        "RESEPTFORNYELSE",
                        "KONTAKT_LEGEKONTORET",
                    ],
                }
            },
        )
        graphql(
            running,
            KRISTIAN,
            "mutation($i: ChooseFormInput!) { chooseForm(input: $i) { userErrors { code } } }",
            {
                "i": {
                    "herId": STORGATA,
                    "entryPoint": "E_KONSULTASJON",
                    "formId": "beskriv-symptomene-dine",
                }
            },
        )
        graphql(
            running,
            KRISTIAN,
            "mutation($i: SaveTextsInput!) { saveTexts(input: $i) { userErrors { code } } }",
            {
                "i": {
                    "herId": STORGATA,
                    "texts": [
                        {
                            "slot": "RESEPTFORNYELSE",
                            "text": "Oppgi navn, styrke og mengde. Vanedannende legemidler "
                            "fornyer vi bare etter en konsultasjon.",
                        }
                    ],
                }
            },
        )
        yield running


@pytest.fixture
def sized(browser, server):
    """Opens the admin page at a width, signed in as Kristian at Storgata; fails the test on
    any JavaScript error, as the `page` fixture does."""
    contexts, errors = [], []

    def open_at(width: int) -> Page:
        context = browser.new_context(
            base_url=server.base,
            locale="nb-NO",
            timezone_id="Europe/Oslo",
            viewport={"width": width, "height": 900},
        )
        context.set_default_timeout(10_000)
        context.on("weberror", lambda error: errors.append(str(error.error)))
        contexts.append(context)
        page = context.new_page()
        page.goto(f"/?dev-hpr={KRISTIAN}")
        page.get_by_label("Velg virksomhet").select_option(str(STORGATA))
        expect(page.get_by_text("Laster …")).to_be_hidden()
        expect(page.get_by_role("region", name="Reseptfornyelse")).to_be_visible()
        return page

    yield open_at
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript-feil på siden: {errors}"


def assert_no_sideways_scroll(page: Page, where: str) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, (
        f"{where}: siden ruller {overflow} px sidelengs: {page.evaluate(TOO_WIDE)}"
    )


def open_tab(page: Page, title: str) -> None:
    page.get_by_role("tab", name=title).click()
    shown = {
        "Info til pasient": page.get_by_role("region", name="Reseptfornyelse"),
        "Integrerte verktøy": page.get_by_role("rowheader", name="E-kontakt"),
        "Fravær": page.get_by_role("row").filter(has_text="Astrid Info"),
        "Historikk": page.get_by_role("row").filter(has_text="La til fravær"),
    }[title]
    expect(shown).to_be_visible()


def middle(box: dict[str, float]) -> float:
    return box["y"] + box["height"] / 2


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_no_tab_scrolls_sideways(sized, width, tmp_path: Path):
    page = sized(width)
    for title in TABS:
        open_tab(page, title)
        page.screenshot(path=tmp_path / f"{width}-{title}.png", full_page=True)
        assert_no_sideways_scroll(page, f"{title} ved {width} px")
    # With the forms and the views beside the boxes open too
    page.get_by_role("tab", name="Fravær").click()
    page.get_by_role("button", name="Legg til fravær").click()
    assert_no_sideways_scroll(page, f"Nytt fravær ved {width} px")
    page.get_by_role("tab", name="Info til pasient").click()
    box = page.get_by_role("region", name="Reseptfornyelse")
    box.get_by_role("button", name="English").click()
    box.get_by_role("button", name="Legg til planlagt tekst").click()
    box.get_by_role("button", name="Vis hvor teksten plasseres på Helsenorge").click()
    expect(
        page.get_by_role("complementary").get_by_role("heading", name="Fornye resept")
    ).to_be_visible()
    page.screenshot(path=tmp_path / f"{width}-info-til-pasient-open.png", full_page=True)
    assert_no_sideways_scroll(page, f"Info til pasient med alt åpent ved {width} px")
    # And the patient preview the admin page leads to
    page.goto(f"/pasient/{STORGATA}?hpr={ASTRID}")
    expect(page.get_by_role("heading", name="Hva trenger du?")).to_be_visible()
    page.screenshot(path=tmp_path / f"{width}-pasient.png", full_page=True)
    assert_no_sideways_scroll(page, f"forhåndsvisningen ved {width} px")


def test_a_phone_shows_each_absence_as_a_card_that_names_its_dates(sized, tmp_path: Path):
    page = sized(PHONE)
    open_tab(page, "Fravær")
    row = page.get_by_role("row").filter(has_text="Astrid Info")
    start = today().strftime("%d.%m.%Y")
    expect(row.get_by_role("cell").nth(1)).to_have_text(start)
    # The date's column heading is written beside it, since the headings row is not shown
    label = (
        row.get_by_role("cell")
        .nth(1)
        .evaluate("cell => getComputedStyle(cell, '::before').content")
    )
    assert "Fra og med" in label
    row.screenshot(path=tmp_path / "fravaer-kort.png")
    assert_accessible(page, "Fravær på mobil")


def test_date_fields_keep_one_row_with_a_long_error_shown(page, tmp_path: Path):
    page.goto(f"/?dev-hpr={KRISTIAN}")
    page.get_by_label("Velg virksomhet").select_option(str(STORGATA))
    expect(page.get_by_text("Laster …")).to_be_hidden()
    page.get_by_role("tab", name="Fravær").click()
    page.get_by_role("button", name="Legg til fravær").click()
    form = page.locator("#absence-form")
    # An absence overlapping the one at Storgata: the refusal under "Fra og med" is long
    form.get_by_label("Behandler").select_option(label="Astrid Info")
    form.get_by_label("Fra og med").fill((today() + timedelta(days=1)).isoformat())
    form.get_by_label("Til og med").fill((today() + timedelta(days=9)).isoformat())
    form.get_by_label("Timebestilling", exact=True).check()
    form.get_by_role("button", name="Lagre fravær").click()
    expect(page.locator("#absence-from-error")).to_contain_text("allerede fravær")
    form.screenshot(path=tmp_path / "fravaer-feil.png")
    start, end = page.locator("#absence-from"), page.locator("#absence-to")
    start_box, end_box = start.bounding_box(), end.bounding_box()
    # "Til og med" stays beside "Fra og med", on the same row
    assert abs(start_box["y"] - end_box["y"]) < 1, (start_box, end_box)
    assert end_box["x"] >= start_box["x"] + start_box["width"], (start_box, end_box)
    labels = [
        form.get_by_text(name, exact=True).bounding_box() for name in ("Fra og med", "Til og med")
    ]
    assert abs(labels[0]["y"] - labels[1]["y"]) < 1, labels
    # And the error wraps inside its own field
    error_box = page.locator("#absence-from-error").bounding_box()
    assert error_box["x"] + error_box["width"] <= end_box["x"], (error_box, end_box)


def test_the_preview_controls_line_up(page, tmp_path: Path):
    page.goto(f"/pasient/{STORGATA}")
    expect(page.get_by_role("heading", name="Hva trenger du?")).to_be_visible()
    controls = page.locator(".preview-controls")
    controls.screenshot(path=tmp_path / "forhandsvisning-valg.png")
    fields = [page.locator(f"#{name}").bounding_box() for name in ("hpr", "dato", "sprak")]
    labels = [
        page.locator(f"label[for={name}]").bounding_box() for name in ("hpr", "dato", "sprak")
    ]
    button = controls.get_by_role("button", name="Vis", exact=True).bounding_box()
    # One row: the labels on one line, the fields (and the button) at one height
    for box in labels[1:]:
        assert abs(box["y"] - labels[0]["y"]) < 1, labels
    for box in fields[1:]:
        assert abs(box["y"] - fields[0]["y"]) < 1, fields
        assert abs(box["height"] - fields[0]["height"]) < 1, fields
    assert abs(button["y"] + button["height"] - fields[0]["y"] - fields[0]["height"]) < 1


def test_tool_rows_centre_their_text_on_the_button(page, tmp_path: Path):
    page.goto(f"/?dev-hpr={ASTRID}")
    page.get_by_role("tab", name="Integrerte verktøy").click()
    table = page.get_by_role("table").filter(has=page.get_by_role("rowheader", name="E-kontakt"))
    expect(table).to_be_visible()
    table.screenshot(path=tmp_path / "integrerte-verktoy.png")
    # Where each row's text and button are drawn (the text's own box, not its cell's)
    rows = table.evaluate(
        """table => [...table.tBodies[0].rows].map((row) => {
            const text = (cell) => {
                const range = document.createRange();
                range.selectNodeContents(cell);
                const box = range.getBoundingClientRect();
                return box.top + box.height / 2;
            };
            const button = row.querySelector("button").getBoundingClientRect();
            return {
                title: row.cells[0].textContent,
                service: text(row.cells[0]),
                form: text(row.cells[1]),
                button: button.top + button.height / 2,
            };
        })"""
    )
    assert len(rows) == 9
    for row in rows:
        assert abs(row["service"] - row["button"]) <= 2, row
        assert abs(row["form"] - row["button"]) <= 2, row
