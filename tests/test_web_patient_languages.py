"""The patient page in the reader's language (issue 25, item 9): every string the preview
shows is in the language the API answered in, dates are written out in words the way that
language writes them (Babel, on the server), and the English reads as English.

First the API (no browser needed), then the preview in headless Chromium against a real
server on a fresh demo database, in English, nynorsk and nordsamisk (which has no reviewed
translation yet, so the whole page is bokmål)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from babel.dates import format_date

from tests.browser import assert_accessible, demo_server, development_token, why_no_browser
from tests.conftest import ASTRID, STORGATA, TODAY

REASON = why_no_browser()
browser_test = pytest.mark.skipif(REASON is not None, reason=f"nettlesertester: {REASON}")

if REASON is None:
    from playwright.sync_api import Page, expect

# --- the API ------------------------------------------------------------------------------

SERVICE = """
query Service($herId: Int!, $language: Language, $on: Date) {
  patientService(herId: $herId, service: RESEPTFORNYELSE, language: $language, on: $on) {
    language standardText practiceText practiceTextUntil practiceTextUntilInWords
  }
}
"""

PANEL = """
query Panel($herId: Int!, $language: Language) {
  patientPanel(herId: $herId, language: $language) {
    panelText panelTextUntil panelTextUntilInWords
    services { language practiceTextUntilInWords }
  }
}
"""

SCHEDULE = """
mutation Schedule($input: AddScheduledTextInput!) {
  addScheduledText(input: $input) { userErrors { code } }
}
"""

SAVE = """
mutation Save($input: SaveTextsInput!) {
  saveTexts(input: $input) { userErrors { code } }
}
"""

# TODAY is Monday 10 June 2024; the notices below end the day after, a Tuesday, whose name
# sets bokmål (tirsdag) and nynorsk (tysdag) apart.
TUESDAY = {
    "NB": "tirsdag 11. juni 2024",
    "NN": "tysdag 11. juni 2024",
    "EN": "Tuesday 11 June 2024",
    "SE": "tirsdag 11. juni 2024",  # no Sami translation yet: the page is bokmål
}


async def schedule(api, slot: str, language: str, text: str) -> None:
    variables = {
        "input": {
            "herId": STORGATA,
            "slot": slot,
            "language": language,
            "text": text,
            "from": TODAY.isoformat(),
            "to": (TODAY + timedelta(days=1)).isoformat(),
        }
    }
    data = await api.data(SCHEDULE, variables, hpr=ASTRID)
    assert data["addScheduledText"]["userErrors"] == []


@pytest.mark.parametrize("language", ["NB", "NN", "EN", "SE"])
async def test_the_last_day_of_a_scheduled_text_is_written_out_in_the_language(api, language):
    # Given holiday notices in bokmål on the panel and on renewing prescriptions
    await schedule(api, "FASTLEGEPANEL", "NB", "Stengt i romjulen.")
    await schedule(api, "RESEPTFORNYELSE", "NB", "Ferie.")
    # Then the last day comes as a date and written out as the page's language writes it
    view = (await api.data(SERVICE, {"herId": STORGATA, "language": language}))["patientService"]
    assert view["practiceTextUntil"] == "2024-06-11"
    assert view["practiceTextUntilInWords"] == TUESDAY[language]
    panel = (await api.data(PANEL, {"herId": STORGATA, "language": language}))["patientPanel"]
    assert (panel["panelTextUntil"], panel["panelTextUntilInWords"]) == (
        "2024-06-11",
        TUESDAY[language],
    )


async def test_a_standing_addition_has_no_last_day_in_words(api):
    variables = {"input": {"herId": STORGATA, "texts": [{"slot": "RESEPTFORNYELSE", "text": "X"}]}}
    assert (await api.data(SAVE, variables, hpr=ASTRID))["saveTexts"]["userErrors"] == []
    view = (await api.data(SERVICE, {"herId": STORGATA, "language": "EN"}))["patientService"]
    assert (view["practiceText"], view["practiceTextUntilInWords"]) == ("X", None)


# --- the preview in the browser -----------------------------------------------------------

NUMERIC_DATE = re.compile(r"\b\d{1,2}\.\d{1,2}\.\d{4}\b")
# The preview's notes about forms as bokmål writes them (nynorsk writes "skjema «…»" too).
BOKMAL_NOTES = (
    "Valg for pasienten",
    "Uten skjema",
    "uten skjema",
    "Med skjema svarer",
    "Forhåndsvisning: svarene",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if REASON is not None:
        pytest.skip(f"nettlesertester: {REASON}")
    with demo_server(tmp_path_factory.mktemp("web-patient-languages")) as running:
        yield running


@pytest.fixture(scope="module")
def notices(server) -> tuple[date, date]:
    """The day the preview is asked for and the last day of what covers it: Astrid (Storgata)
    away from prescriptions, scheduled notices in bokmål on the panel, in bokmål and English
    on booking."""
    today = datetime.now(ZoneInfo("Europe/Oslo")).date()
    start, end = today + timedelta(days=3), today + timedelta(days=12)
    token = development_token(server, ASTRID)

    def send(query: str, variables: dict) -> None:
        response = httpx.post(
            f"{server.base}/graphql",
            json={"query": query, "variables": {"input": variables}},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        payload = next(iter(response.json()["data"].values()))
        assert payload["userErrors"] == [], payload

    period = {"herId": STORGATA, "from": start.isoformat(), "to": end.isoformat()}
    send(SCHEDULE, {**period, "slot": "FASTLEGEPANEL", "text": "Stengt i romjulen."})
    send(SCHEDULE, {**period, "slot": "TIMEBESTILLING", "text": "Stengt for kurs."})
    send(
        SCHEDULE,
        {**period, "slot": "TIMEBESTILLING", "language": "EN", "text": "Closed for a course."},
    )
    send(
        "mutation Add($input: AddAbsenceInput!) { addAbsence(input: $input) { userErrors { code } } }",
        {**period, "practitionerHpr": ASTRID, "services": ["RESEPTFORNYELSE"]},
    )
    return start, end


def preview(page: Page, notices: tuple[date, date], language: str) -> None:
    page.goto(f"/pasient/{STORGATA}?hpr={ASTRID}&dato={notices[0]}&sprak={language}")
    expect(page.locator("section.hn-panel")).to_be_visible()
    for form in page.locator(".hn-form-items").all():
        expect(form.locator(".hn-q-item").first).to_be_visible()


def service_page(page: Page, title: str):
    return page.locator("section.hn-page").filter(
        has=page.get_by_role("heading", name=title, exact=True)
    )


def screens_text(page: Page) -> str:
    return "\n".join(page.locator(".hn-screen").all_inner_texts())


@browser_test
def test_the_english_preview_is_english_throughout(page, notices):
    preview(page, notices, "en")
    until = format_date(notices[1], "EEEE d MMMM y", locale="en")
    # The last day of a notice in words, as English writes it, beside the absence's date
    panel = page.locator("section.hn-panel")
    expect(panel.locator(".hn-until")).to_have_text(f"Applies up to and including {until}")
    booking = service_page(page, "Book an appointment")
    expect(booking.locator(".hn-until")).to_have_text(f"Applies up to and including {until}")
    expect(booking.locator(".hn-until")).not_to_have_attribute("lang", re.compile("."))
    renewal = service_page(page, "Renew a prescription")
    expect(renewal.locator(".hn-notice")).to_contain_text(re.compile(r"day \d{1,2} [A-Z][a-z]+"))
    text = screens_text(page)
    assert NUMERIC_DATE.search(text) is None, NUMERIC_DATE.search(text)
    # No Norwegian notes stand on the English page
    for note in (*BOKMAL_NOTES, "skjema «"):
        assert note not in text, note
    # The notes come in English; the forms (bokmål) are marked so, our words inside them English
    choices = booking.locator(".hn-entry-points")
    expect(choices.get_by_role("heading", name="Options for the patient")).to_be_visible()
    expect(choices.locator("li").first).to_contain_text("Consultation: form “Konsultasjon")
    expect(choices.locator("li [lang='nb']").first).to_have_text(re.compile("^Konsultasjon"))
    form = booking.locator(".hn-form")
    expect(form).to_have_attribute("lang", "nb")
    expect(form.get_by_text("With a form, the patient first answers")).to_have_attribute(
        "lang", "en"
    )
    expect(form.get_by_text("Preview: the answers are not sent.")).to_have_attribute("lang", "en")
    straight = service_page(page, "Start an e-consultation").locator(".hn-straight")
    expect(straight).to_have_text("No form: the patient goes straight to the service.")
    expect(straight).not_to_have_attribute("lang", re.compile("."))
    contact = service_page(page, "Contact the surgery").locator(".hn-entry-points li")
    expect(contact.first).to_have_text("Contact the surgery: no form")
    assert_accessible(page, "pasientvisning på engelsk med planlagte tekster og fravær")


@browser_test
def test_the_nynorsk_preview_is_nynorsk_throughout(page, notices):
    preview(page, notices, "nn")
    until = format_date(notices[1], "EEEE d. MMMM y", locale="nn")
    panel = page.locator("section.hn-panel")
    expect(panel.locator(".hn-until")).to_have_text(f"Gjeld til og med {until}")
    booking = service_page(page, "Bestille time")
    expect(booking.locator(".hn-until")).to_have_text(f"Gjeld til og med {until}")
    text = screens_text(page)
    assert NUMERIC_DATE.search(text) is None, NUMERIC_DATE.search(text)
    for note in BOKMAL_NOTES:
        assert note not in text, note
    choices = booking.locator(".hn-entry-points")
    expect(choices.get_by_role("heading", name="Val for pasienten")).to_be_visible()
    expect(choices.locator("li").first).to_contain_text("Konsultasjon: skjema «Konsultasjon")
    form = booking.locator(".hn-form")
    expect(form.get_by_text("Med skjema svarar pasienten først")).to_have_attribute("lang", "nn")
    expect(form.get_by_text("Førehandsvising: svara blir ikkje sende.")).to_have_attribute(
        "lang", "nn"
    )
    straight = service_page(page, "Starte e-konsultasjon").locator(".hn-straight")
    expect(straight).to_have_text("Utan skjema: pasienten kjem rett til tenesta.")
    contact = service_page(page, "Kontakte legekontoret").locator(".hn-entry-points li")
    expect(contact.first).to_have_text("Kontakte legekontoret: utan skjema")
    assert_accessible(page, "pasientvisning på nynorsk med planlagte tekster og fravær")


@browser_test
def test_the_sami_preview_is_bokmal_as_a_whole_dates_in_words(page, notices):
    # Nordsamisk has no reviewed translation: the page is bokmål, the dates bokmål words
    preview(page, notices, "se")
    until = format_date(notices[1], "EEEE d. MMMM y", locale="nb")
    booking = service_page(page, "Bestille time")
    expect(booking).to_have_attribute("lang", "nb")
    expect(booking.locator(".hn-until")).to_have_text(f"Gjelder til og med {until}")
    expect(page.locator("section.hn-panel .hn-until")).to_have_text(f"Gjelder til og med {until}")
    assert NUMERIC_DATE.search(screens_text(page)) is None
    expect(booking.get_by_role("heading", name="Valg for pasienten")).to_be_visible()
    straight = service_page(page, "Starte e-konsultasjon").locator(".hn-straight")
    expect(straight).to_have_text("Uten skjema: pasienten kommer rett til tjenesten.")
    # Nothing inside the bokmål sections claims another language but the practice's own text
    marked = page.locator("section.hn-page [lang]:not(.hn-practice-text)")
    for element in marked.all():
        expect(element).to_have_attribute("lang", "nb")
