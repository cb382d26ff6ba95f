"""The admin page and the patient preview in headless Chromium, against a real server on a
fresh demo database, as a GP and the Helsenorge team use them; axe-core checks WCAG 2.1 AA
on every view. Skipped, saying why, only where no Chromium can be had."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from babel.dates import format_date

from tests.browser import (
    ASTRID,
    FJORDBYEN,
    JACOB,
    KRISTIAN,
    STORGATA,
    assert_accessible,
    development_token,
    why_no_browser,
)

REASON = why_no_browser()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"nettlesertester: {REASON}")

if REASON is None:
    from playwright.sync_api import Page, expect


def today() -> date:
    return datetime.now(ZoneInfo("Europe/Oslo")).date()


def dotted(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def in_words(day: date) -> str:
    """The day as the patient page writes it in bokmål: "torsdag 10. desember 2026"."""
    return format_date(day, "EEEE d. MMMM y", locale="nb")


def sign_in(page: Page, hpr: int, practice: int | None = None) -> None:
    page.goto(f"/?dev-hpr={hpr}")
    expect(page.get_by_role("tab", name="Info til pasient")).to_have_attribute(
        "aria-selected", "true"
    )
    if practice is not None:
        page.get_by_label("Velg virksomhet").select_option(str(practice))
        # The change event starts the load at once; "Laster …" goes when the boxes are new.
        expect(page.get_by_text("Laster …")).to_be_hidden()
    expect(page.get_by_role("region", name="Reseptfornyelse")).to_be_visible()


def slot(page: Page, title: str):
    return page.get_by_role("region", name=title, exact=True)


# The box's own counter and error; a scheduled text's form further down the region has its own.
def addition_counter(box):
    return box.locator(".counter").first


def addition_error(box):
    return box.locator(".field-error").first


def patient_service(page: Page, title: str):
    return page.locator("section.hn-page").filter(has=page.get_by_role("heading", name=title))


def panel_entry(page: Page, title: str):
    return page.locator(".hn-services li").filter(has_text=title)


def open_preview(page: Page, her_id: int, hpr: int | None = None, on: date | None = None) -> Page:
    preview = page.context.new_page()
    query = "&".join(
        part for part in (f"hpr={hpr}" if hpr else "", f"dato={on}" if on else "") if part
    )
    preview.goto(f"/pasient/{her_id}" + (f"?{query}" if query else ""))
    expect(preview.get_by_role("heading", name="Hva trenger du?")).to_be_visible()
    return preview


# ---------------------------------------------------------------------------
# Signing in


def test_picker_lists_the_demo_practitioners_and_signs_in(page):
    # Given no token, in development
    page.goto("/")
    # Then the page offers the practitioners of the registry
    expect(page.get_by_role("heading", name="Logg inn for utvikling")).to_be_visible()
    for name in ("Astrid Info", "Kristian Larsen", "Jacob Tore"):
        expect(page.get_by_role("link", name=re.compile(name))).to_be_visible()
    assert_accessible(page, "velg behandler")
    # When Astrid is picked
    page.get_by_role("link", name=re.compile("Astrid Info")).click()
    # Then she is signed in, at her practice, on "Info til pasient"
    expect(page).to_have_url(re.compile(rf"dev-hpr={ASTRID}"))
    expect(page.get_by_text(f"Astrid Info (HPR {ASTRID})")).to_be_visible()
    expect(page.get_by_label("Velg virksomhet")).to_have_value(str(STORGATA))
    expect(slot(page, "Reseptfornyelse").get_by_text("Du tilbyr tjenesten")).to_be_visible()
    assert_accessible(page, "Info til pasient")


def test_the_practice_chosen_last_is_shown_when_an_earlier_answer_comes_later(page):
    # Given Kristian's first practice (Fjordbyen) is slow to answer
    held = []

    def hold_first_practice(route):
        # Only the practice query has herId as its one variable: the page also reads the
        # standard texts of the same practice at start, and holding one of those instead
        # would let the practice answer through.
        if f'"variables":{{"herId":{FJORDBYEN}}}' in (route.request.post_data or "") and not held:
            held.append(route)
        else:
            route.continue_()

    page.route("**/graphql", hold_first_practice)
    page.goto(f"/?dev-hpr={KRISTIAN}")
    expect(page.get_by_label("Velg virksomhet")).to_have_value(str(FJORDBYEN))
    expect(page.get_by_text("Laster …")).to_be_visible()
    # When he switches to Storgata before it comes, and Fjordbyen's answer arrives after
    page.get_by_label("Velg virksomhet").select_option(str(STORGATA))
    expect(slot(page, "E-konsultasjon").get_by_text("Du tilbyr tjenesten")).to_be_visible()
    held[0].continue_()
    held[0].request.response()
    # Then the page keeps showing Storgata, the practice he chose last (a page that took the late
    # answer would have drawn Fjordbyen, which does not offer e-konsultasjon, by now)
    page.wait_for_timeout(300)
    expect(page.get_by_text("Laster …")).to_be_hidden()
    expect(page.get_by_label("Velg virksomhet")).to_have_value(str(STORGATA))
    expect(slot(page, "E-konsultasjon").get_by_text("Du tilbyr tjenesten")).to_be_visible()


def test_tabs_work_from_the_keyboard(page):
    sign_in(page, ASTRID)
    page.get_by_role("tab", name="Info til pasient").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Integrerte verktøy")).to_be_focused()
    expect(page.get_by_role("tab", name="Integrerte verktøy")).to_have_attribute(
        "aria-selected", "true"
    )
    expect(page.get_by_role("columnheader", name="Aktive verktøy/skjema")).to_be_visible()
    page.keyboard.press("End")
    expect(page.get_by_role("tab", name="Historikk")).to_be_focused()
    page.keyboard.press("Home")
    expect(slot(page, "Reseptfornyelse")).to_be_visible()
    # The focus ring is drawn (a visible outline), not left to the browser's default
    outline = page.get_by_role("tab", name="Info til pasient").evaluate(
        "el => getComputedStyle(el).outlineStyle + ' ' + getComputedStyle(el).outlineWidth"
    )
    assert outline == "solid 3px"


# ---------------------------------------------------------------------------
# Info til pasient


def test_gp_edits_a_text_sees_it_beside_the_box_and_in_the_preview(page):
    sign_in(page, ASTRID)
    box = slot(page, "Reseptfornyelse")
    text = "Husk å oppgi styrke og dose. Svar innen tre dager."
    # When Astrid types an addition
    box.get_by_label("Tilleggsinformasjon fra legekontor").fill(text)
    # Then the counter counts it
    expect(addition_counter(box)).to_contain_text(f"{len(text)}/300")
    # And the patient view beside it shows it before it is saved
    box.get_by_role("button", name=re.compile("Vis hvor teksten plasseres på Helsenorge")).click()
    beside = page.get_by_role("complementary", name="Slik ser det ut for pasientene dine")
    expect(beside.get_by_role("heading", name="Fornye resept")).to_be_visible()
    expect(beside.get_by_text("Informasjon fra fastlegekontoret")).to_be_visible()
    expect(beside.get_by_text(text)).to_be_visible()
    expect(beside.get_by_text("Be om å få fornyet en eller flere resepter.")).to_be_visible()
    assert_accessible(page, "forhåndsvisning ved siden av tekstboksene")
    # When she saves
    page.get_by_role("button", name="Lagre").click()
    expect(page.get_by_role("status").filter(has_text="lagret")).to_be_visible()
    # Then patients see it
    preview = open_preview(page, STORGATA, ASTRID)
    service = patient_service(preview, "Fornye resept")
    expect(service.get_by_text("Informasjon fra fastlegekontoret")).to_be_visible()
    expect(service.get_by_text(text)).to_be_visible()
    assert_accessible(preview, "pasientvisning")
    # And "AVBRYT" puts back the saved text after more typing
    box.get_by_label("Tilleggsinformasjon fra legekontor").fill("Noe annet")
    page.get_by_role("button", name="Avbryt").click()
    expect(box.get_by_label("Tilleggsinformasjon fra legekontor")).to_have_value(text)


def test_too_long_text_is_refused_with_its_message_at_the_box(page):
    sign_in(page, KRISTIAN, FJORDBYEN)
    box = slot(page, "Kontakt legekontoret")
    field = box.get_by_label("Tilleggsinformasjon fra legekontor")
    field.fill("æ" * 301)
    expect(addition_counter(box)).to_contain_text("301/300")
    page.get_by_role("button", name="Lagre").click()
    # The server's message, naming the limit, under the box it belongs to
    expect(addition_error(box)).to_contain_text("300")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    expect(page.get_by_role("alert")).to_contain_text("Ingenting ble lagret")
    assert_accessible(page, "for lang tekst")
    # Fixed, it saves
    field.fill("æ" * 300)
    page.get_by_role("button", name="Lagre").click()
    expect(page.get_by_role("status").filter(has_text="lagret")).to_be_visible()
    expect(addition_error(box)).to_be_empty()


def test_a_colleagues_save_of_another_box_in_between_is_taken_in(page, server):
    sign_in(page, KRISTIAN, STORGATA)
    # Given Astrid saves a text after Kristian opened the page
    response = httpx.post(
        f"{server.base}/graphql",
        headers={"Authorization": f"Bearer {development_token(server, ASTRID)}"},
        json={
            "query": "mutation($i: SaveTextsInput!) { saveTexts(input: $i) { userErrors { code } } }",
            "variables": {
                "i": {
                    "herId": STORGATA,
                    "texts": [{"slot": "TIMEBESTILLING", "text": "Ring før 9."}],
                }
            },
        },
        timeout=10,
    )
    assert response.json()["data"]["saveTexts"]["userErrors"] == []
    # When Kristian saves his own change, to another box
    panel = slot(page, "Helsekontakt inkl. fastlegepanel")
    panel.get_by_label("Tilleggsinformasjon fra legekontor").fill("Velkommen til oss!")
    page.get_by_role("button", name="Lagre").click()
    # Then it is saved (issue 25: only the same box stops a save), and Astrid's text is kept
    # (tests/test_web_texts.py has the rest: the same box, and the choice between the texts)
    expect(page.get_by_role("status").filter(has_text="lagret")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(panel.get_by_label("Tilleggsinformasjon fra legekontor")).to_have_value(
        "Velkommen til oss!"
    )
    expect(
        slot(page, "Timebestilling").get_by_label("Tilleggsinformasjon fra legekontor")
    ).to_have_value("Ring før 9.")
    assert_accessible(page, "lagret etter en kollegas endring")


# ---------------------------------------------------------------------------
# Integrerte verktøy


def test_gp_chooses_a_form_and_the_preview_shows_its_questions(page):
    sign_in(page, ASTRID)
    page.get_by_role("tab", name="Integrerte verktøy").click()
    row = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="E-konsultasjon", exact=True)
    )
    expect(row.get_by_role("cell").first).to_have_text("Ingen")
    assert_accessible(page, "Integrerte verktøy")
    # When Astrid chooses "Beskriv symptomene dine" for e-konsultasjon
    row.get_by_role("button", name=re.compile("Endre")).click()
    dialog = page.get_by_role("dialog", name="Endre skjema")
    expect(dialog.get_by_role("radio", name="Ingen")).to_be_checked()
    assert_accessible(page, "velg skjema")
    dialog.get_by_role("radio", name="Sjekkpunkt: Beskriv symptomene dine").check()
    dialog.get_by_role("button", name="Lagre").click()
    # Then the table shows it, and focus is back on the row's button
    expect(dialog).to_be_hidden()
    expect(row.get_by_role("cell").first).to_have_text("Sjekkpunkt: Beskriv symptomene dine")
    expect(row.get_by_role("button", name=re.compile("Endre"))).to_be_focused()
    # And patients go through the form's questions (from its FHIR Questionnaire) first
    preview = open_preview(page, STORGATA, ASTRID)
    service = patient_service(preview, "Starte e-konsultasjon")
    expect(service.get_by_role("heading", name="Beskriv symptomene dine")).to_be_visible()
    expect(
        service.get_by_role("group", name=re.compile("Hvordan er formen din i dag?"))
    ).to_be_visible()
    expect(service.get_by_role("radio", name="Som vanlig", exact=True)).to_be_visible()


# ---------------------------------------------------------------------------
# Fravær


def add_absence(page: Page, who: str, start: date, end: date, services: list[str]) -> None:
    page.get_by_role("button", name="Legg til fravær").click()
    form = page.locator("#absence-form")
    form.get_by_label("Behandler").select_option(label=who)
    form.get_by_label("Fra og med").fill(start.isoformat())
    form.get_by_label("Til og med").fill(end.isoformat())
    for service in services:
        form.get_by_label(service, exact=True).check()
    form.get_by_role("button", name="Lagre fravær").click()


def test_absence_switches_a_service_off_and_deleting_it_on_again(page):
    sign_in(page, KRISTIAN, FJORDBYEN)
    page.get_by_role("tab", name="Fravær").click()
    expect(page.get_by_text("Ingen registrert fravær.")).to_be_visible()
    start, end = today(), today() + timedelta(days=3)
    # When Kristian registers an absence for Jacob
    add_absence(page, "Jacob Tore", start, end, ["Reseptfornyelse"])
    row = page.get_by_role("row").filter(has_text="Jacob Tore")
    expect(row).to_contain_text(dotted(start))
    expect(row).to_contain_text(dotted(end))
    expect(row).to_contain_text("Reseptfornyelse")
    assert_accessible(page, "Fravær")
    # Then Jacob's patients find prescription renewal switched off, with the reopening day
    preview = open_preview(page, FJORDBYEN, JACOB)
    entry = panel_entry(preview, "Fornye resept")
    expect(entry).to_contain_text("Tjenesten er midlertidig utilgjengelig")
    expect(entry.get_by_role("link")).to_have_count(0)
    expect(panel_entry(preview, "Kontakte legekontoret").get_by_role("link")).to_have_count(1)
    # And on a day after it (?dato=), it is on
    later = open_preview(page, FJORDBYEN, JACOB, on=end + timedelta(days=7))
    expect(panel_entry(later, "Fornye resept").get_by_role("link")).to_have_count(1)
    # When an overlapping absence is tried, it is refused at "Fra og med"
    add_absence(
        page, "Jacob Tore", start + timedelta(days=1), end + timedelta(days=2), ["Reseptfornyelse"]
    )
    message = page.locator("#absence-from-error")
    expect(message).to_contain_text(f"{dotted(start)}–{dotted(end)}")
    expect(page.locator("#absence-form").get_by_label("Fra og med")).to_have_attribute(
        "aria-invalid", "true"
    )
    assert_accessible(page, "overlappende fravær")
    page.locator("#absence-form").get_by_role("button", name="Avbryt").click()
    # When the absence is deleted, after confirming
    row.get_by_role("button", name=re.compile("Slett")).click()
    confirm = page.get_by_role("dialog", name="Slette fraværet?")
    expect(confirm).to_contain_text("Jacob Tore")
    assert_accessible(page, "bekreft sletting")
    confirm.get_by_role("button", name="Slett fraværet").click()
    expect(page.get_by_text("Ingen registrert fravær.")).to_be_visible()
    # Then the service is on again for his patients
    preview.reload()
    expect(panel_entry(preview, "Fornye resept").get_by_role("link")).to_have_count(1)
    expect(panel_entry(preview, "Fornye resept")).not_to_contain_text("utilgjengelig")


# ---------------------------------------------------------------------------
# Planlagt tekst


def scheduled_items(box):
    # Not the standard text's bullet points: the list of the box's scheduled texts.
    return box.get_by_role("list", name=re.compile("Planlagte tekster")).get_by_role("listitem")


def scheduled_form(box):
    return box.get_by_role("form", name="Ny planlagt tekst")


def schedule_text(box, text: str, start: date, end: date) -> None:
    box.get_by_role("button", name=re.compile("Legg til planlagt tekst")).click()
    form = scheduled_form(box)
    expect(form.get_by_label("Tekst som skal vises i perioden")).to_be_focused()
    form.get_by_label("Tekst som skal vises i perioden").fill(text)
    form.get_by_label("Fra og med").fill(start.isoformat())
    form.get_by_label("Til og med").fill(end.isoformat())
    form.get_by_role("button", name="Lagre planlagt tekst").click()


def show_preview_on(preview: Page, day: date) -> None:
    preview.get_by_label("Vis siden slik den ser ut den").fill(day.isoformat())
    preview.get_by_role("button", name="Vis", exact=True).click()
    expect(preview).to_have_url(re.compile(rf"dato={day.isoformat()}"))
    expect(preview.get_by_role("heading", name="Hva trenger du?")).to_be_visible()


def test_scheduled_text_stands_in_for_the_addition_on_its_dates_until_deleted(page):
    sign_in(page, KRISTIAN, FJORDBYEN)
    box = slot(page, "Timebestilling")
    standing = "Ring oss før klokka 9 om du ikke finner en ledig time."
    holiday = "Vi har ferie. Trenger du time, ring legevakten på 116 117."
    start, end = today() + timedelta(days=2), today() + timedelta(days=5)
    # Given a saved addition, and unsaved typing in another box
    box.get_by_label("Tilleggsinformasjon fra legekontor").fill(standing)
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="lagret")).to_be_visible()
    unsaved = slot(page, "Kontakt legekontoret").get_by_label("Tilleggsinformasjon fra legekontor")
    unsaved.fill("Ikke lagret ennå")
    # When Kristian schedules a holiday notice for the box
    schedule_text(box, holiday, start, end)
    # Then it is listed under the box with its dates, and the form is closed
    listed = scheduled_items(box).filter(has_text=holiday)
    expect(listed).to_contain_text(f"Planlagt tekst {dotted(start)}–{dotted(end)}")
    expect(scheduled_form(box)).to_be_hidden()
    expect(box.get_by_role("button", name=re.compile("Legg til planlagt tekst"))).to_be_focused()
    expect(box.get_by_role("status")).to_contain_text("Den planlagte teksten er lagt til")
    expect(unsaved).to_have_value("Ikke lagret ennå")
    assert_accessible(page, "planlagt tekst i listen")
    # And an overlapping one is refused under "Fra og med", naming the first one's dates
    schedule_text(box, "Stengt", start + timedelta(days=1), end + timedelta(days=3))
    form = scheduled_form(box)
    expect(form.get_by_label("Fra og med")).to_have_accessible_description(
        re.compile(f"{dotted(start)}–{dotted(end)}")
    )
    expect(form.get_by_label("Fra og med")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("Fra og med")).to_be_focused()
    expect(scheduled_items(box)).to_have_count(1)
    assert_accessible(page, "overlappende planlagt tekst")
    form.get_by_role("button", name="Avbryt").click()

    # The patient preview: the addition today, the scheduled text on its dates
    preview = open_preview(page, FJORDBYEN)
    service = patient_service(preview, "Bestille time")
    expect(service.get_by_text(standing)).to_be_visible()
    expect(service.get_by_text("Gjelder til og med")).to_have_count(0)
    show_preview_on(preview, start + timedelta(days=1))
    service = patient_service(preview, "Bestille time")
    expect(service.get_by_text(holiday)).to_be_visible()
    expect(service.get_by_text(f"Gjelder til og med {in_words(end)}")).to_be_visible()
    expect(service.get_by_text(standing)).to_have_count(0)
    assert_accessible(preview, "pasientvisning med planlagt tekst")
    show_preview_on(preview, end + timedelta(days=1))
    service = patient_service(preview, "Bestille time")
    expect(service.get_by_text(standing)).to_be_visible()
    expect(service.get_by_text(holiday)).to_have_count(0)
    expect(service.get_by_text("Gjelder til og med")).to_have_count(0)

    # When the scheduled text is deleted, after confirming
    listed.get_by_role("button", name=re.compile("Slett")).click()
    confirm = page.get_by_role("dialog", name="Slette den planlagte teksten?")
    expect(confirm).to_contain_text(holiday)
    assert_accessible(page, "bekreft sletting av planlagt tekst")
    confirm.get_by_role("button", name="Slett den planlagte teksten").click()
    # Then it is gone from the list, and the addition stands on its dates again
    expect(scheduled_items(box)).to_have_count(0)
    expect(box.get_by_role("status")).to_contain_text("er slettet")
    expect(box.get_by_role("button", name=re.compile("Legg til planlagt tekst"))).to_be_focused()
    expect(unsaved).to_have_value("Ikke lagret ennå")
    show_preview_on(preview, start + timedelta(days=1))
    service = patient_service(preview, "Bestille time")
    expect(service.get_by_text(standing)).to_be_visible()
    expect(service.get_by_text(holiday)).to_have_count(0)


def test_scheduled_text_errors_show_at_their_fields_and_nothing_is_added(page):
    sign_in(page, ASTRID)
    box = slot(page, "Helsekontakt inkl. fastlegepanel")
    start = today() + timedelta(days=5)
    box.get_by_role("button", name=re.compile("Legg til planlagt tekst")).click()
    form = scheduled_form(box)
    text = form.get_by_label("Tekst som skal vises i perioden")
    # The panel's limit, counted live
    text.fill("æ" * 201)
    expect(form.locator(".counter")).to_contain_text("201/200")
    expect(text).to_have_accessible_description(re.compile("1 for mange"))
    form.get_by_label("Fra og med").fill(start.isoformat())
    form.get_by_label("Til og med").fill((start + timedelta(days=2)).isoformat())
    form.get_by_role("button", name="Lagre planlagt tekst").click()
    # Too long: the server's message, naming the limit, under the text
    expect(text).to_have_accessible_description(re.compile("200"))
    expect(text).to_have_attribute("aria-invalid", "true")
    expect(text).to_be_focused()
    # When the text fits but "Til og med" is before "Fra og med"
    text.fill("Vi har ferie.")
    form.get_by_label("Til og med").fill((start - timedelta(days=3)).isoformat())
    form.get_by_role("button", name="Lagre planlagt tekst").click()
    # Then the message sits under the date field, and the text is no longer marked
    to = form.get_by_label("Til og med")
    expect(to).to_have_accessible_description(re.compile("kan ikke være før «Fra og med»"))
    expect(to).to_have_attribute("aria-invalid", "true")
    expect(to).to_be_focused()
    expect(text).not_to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "feil i planlagt tekst")
    # And nothing was added
    expect(box.get_by_role("list", name=re.compile("Planlagte tekster"))).to_be_hidden()
    form.get_by_role("button", name="Avbryt").click()
    expect(form).to_be_hidden()
    page.reload()
    expect(slot(page, "Reseptfornyelse")).to_be_visible()
    expect(scheduled_items(box)).to_have_count(0)


def test_a_colleagues_change_before_scheduling_is_explained_with_a_way_to_reload(page, server):
    sign_in(page, KRISTIAN, STORGATA)
    start, end = today() + timedelta(days=30), today() + timedelta(days=40)
    # Given Astrid schedules a text after Kristian opened the page
    response = httpx.post(
        f"{server.base}/graphql",
        headers={"Authorization": f"Bearer {development_token(server, ASTRID)}"},
        json={
            "query": "mutation($i: AddScheduledTextInput!) "
            "{ addScheduledText(input: $i) { userErrors { code } } }",
            "variables": {
                "i": {
                    "herId": STORGATA,
                    "slot": "E_KONSULTASJON",
                    "text": "Astrids planlagte tekst",
                    "from": start.isoformat(),
                    "to": end.isoformat(),
                }
            },
        },
        timeout=10,
    )
    assert response.json()["data"]["addScheduledText"]["userErrors"] == []
    # When Kristian schedules one for the same box
    box = slot(page, "E-konsultasjon")
    schedule_text(
        box, "Kristians planlagte tekst", end + timedelta(days=1), end + timedelta(days=2)
    )
    # Then nothing is added, he is told why, and can load what stands now
    alert = scheduled_form(box).get_by_role("alert")
    expect(alert).to_contain_text("En kollega har endret")
    expect(scheduled_items(box)).to_have_count(0)
    assert_accessible(page, "utdatert versjon ved planlagt tekst")
    alert.get_by_role("button", name="Last inn på nytt").click()
    expect(scheduled_items(box).filter(has_text="Astrids planlagte tekst")).to_contain_text(
        f"{dotted(start)}–{dotted(end)}"
    )
    expect(box.get_by_role("button", name=re.compile("Legg til planlagt tekst"))).to_be_focused()


# ---------------------------------------------------------------------------
# The patient preview


def test_preview_shows_the_panel_and_every_service_page(page):
    page.goto(f"/pasient/{FJORDBYEN}")
    expect(page.get_by_role("heading", name="Hva trenger du?")).to_be_visible()
    for title in (
        "Bestille time",
        "Starte e-konsultasjon",
        "Fornye resept",
        "Kontakte legekontoret",
    ):
        expect(panel_entry(page, title)).to_be_visible()
        expect(patient_service(page, title)).to_be_visible()
    # Fjordbyen does not offer e-konsultasjon
    expect(panel_entry(page, "Starte e-konsultasjon")).to_contain_text("tilbyr ikke")
    # The default form at prescription renewal, with its questions
    renewal = patient_service(page, "Fornye resept")
    expect(renewal.get_by_label(re.compile("Hvilket legemiddel vil du fornye?"))).to_be_visible()
    assert_accessible(page, "forhåndsvisning")


def test_preview_of_an_unknown_practice_says_so(page):
    page.goto("/pasient/1?hpr=abc")
    expect(page.get_by_role("alert")).to_contain_text("ikke et HPR-nummer")
    page.goto("/pasient/1")
    expect(page.get_by_role("alert")).to_contain_text("Fant ikke legekontoret")
