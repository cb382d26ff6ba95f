"""Languages on the admin page and in the patient preview, in headless Chromium against a real
server on a fresh demo database: a GP writes an addition in English beside the bokmål one and
patients reading English get it, marked `lang="en"`; a reader of nynorsk gets the standard
texts in nynorsk and the practice's bokmål addition marked as bokmål; errors land under the
language they belong to; axe-core finds no WCAG 2.1 AA violation with the languages open."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser import (
    ASTRID,
    FJORDBYEN,
    KRISTIAN,
    STORGATA,
    assert_accessible,
    why_no_browser,
)

REASON = why_no_browser()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"nettlesertester: {REASON}")

if REASON is None:
    from playwright.sync_api import Page, expect


BOKMAL_LABEL = "Tilleggsinformasjon fra legekontor"


def today() -> date:
    return datetime.now(ZoneInfo("Europe/Oslo")).date()


def sign_in(page: Page, hpr: int, practice: int | None = None) -> None:
    page.goto(f"/?dev-hpr={hpr}")
    if practice is not None:
        page.get_by_label("Velg virksomhet").select_option(str(practice))
        expect(page.get_by_text("Laster …")).to_be_hidden()
    expect(page.get_by_role("region", name="Reseptfornyelse")).to_be_visible()


def slot(page: Page, title: str):
    return page.get_by_role("region", name=title, exact=True)


def language_button(box, name: str):
    return box.get_by_role("button", name=re.compile(f"^{name}"))


def translation(box, language: str):
    """The addition in another language: its text box, counter and error place."""
    label = f"Tilleggsinformasjon på {language}"
    field = box.get_by_label(label)
    holder = box.locator(".translation").filter(has=box.page.get_by_label(label))
    return field, holder.locator(".counter"), holder.locator(".field-error")


def save(page: Page) -> None:
    page.get_by_role("button", name="Lagre", exact=True).click()


def open_preview(page: Page, her_id: int, query: str = "") -> Page:
    preview = page.context.new_page()
    preview.goto(f"/pasient/{her_id}" + (f"?{query}" if query else ""))
    expect(preview.locator("section.hn-panel")).to_be_visible()
    return preview


def patient_service(preview: Page, title: str):
    return preview.locator("section.hn-page").filter(
        has=preview.get_by_role("heading", name=title, exact=True)
    )


def test_gp_writes_an_english_addition_and_patients_read_it_in_english(page):
    sign_in(page, ASTRID)
    box = slot(page, "Reseptfornyelse")
    english = "Please state the name, strength and amount of the medicine."
    # Bokmål is always there; the other languages are one click away, closed while empty
    expect(box.get_by_label(BOKMAL_LABEL)).to_be_visible()
    for name in ("Nynorsk", "Davvisámegiella", "English"):
        expect(language_button(box, name)).to_have_attribute("aria-expanded", "false")
    field, counter, _ = translation(box, "engelsk")
    expect(field).to_be_hidden()
    # When Astrid opens English and writes there
    language_button(box, "English").click()
    expect(language_button(box, "English")).to_have_attribute("aria-expanded", "true")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("lang", "en")
    field.fill(english)
    # Then it has its own counter, with the box's limit
    expect(counter).to_contain_text(f"{len(english)}/300")
    expect(box.locator(".counter").first).to_contain_text("0/300")
    assert_accessible(page, "Info til pasient med engelsk åpen")
    save(page)
    expect(page.get_by_role("status").filter(has_text="lagret")).to_be_visible()

    # And on the next visit, English holds it and is shown open, the other languages not
    sign_in(page, ASTRID)
    box = slot(page, "Reseptfornyelse")
    field, _, _ = translation(box, "engelsk")
    expect(field).to_have_value(english)
    expect(language_button(box, "English")).to_have_attribute("aria-expanded", "true")
    expect(language_button(box, "Nynorsk")).to_have_attribute("aria-expanded", "false")

    # And a patient reading English sees the page in English, the addition marked English
    preview = open_preview(page, STORGATA, f"hpr={ASTRID}&sprak=en")
    expect(preview.get_by_label("Språk")).to_have_value("en")
    expect(preview.get_by_role("heading", name="What do you need?")).to_be_visible()
    service = patient_service(preview, "Renew a prescription")
    expect(service).to_have_attribute("lang", "en")
    expect(service.get_by_text("Ask to have one or more prescriptions renewed.")).to_be_visible()
    expect(service.get_by_role("heading", name="Information from your GP surgery")).to_be_visible()
    expect(service.get_by_text(english)).to_have_attribute("lang", "en")
    expect(preview.locator("#summary")).to_contain_text("på engelsk")
    assert_accessible(preview, "pasientvisning på engelsk")

    # And the language is chosen on the page, and kept in the address
    preview.get_by_label("Språk").select_option(label="Bokmål")
    preview.get_by_role("button", name="Vis", exact=True).click()
    expect(preview).to_have_url(re.compile(r"sprak=nb"))
    service = patient_service(preview, "Fornye resept")
    expect(service).to_have_attribute("lang", "nb")
    expect(service.get_by_text(english)).to_have_count(0)


def test_a_reader_of_nynorsk_gets_the_bokmal_addition_marked_as_bokmal(page):
    sign_in(page, KRISTIAN, FJORDBYEN)
    bokmal = "Skriv gjerne om det gjelder sykmelding eller attest."
    slot(page, "Kontakt legekontoret").get_by_label(BOKMAL_LABEL).fill(bokmal)
    save(page)
    expect(page.get_by_role("status").filter(has_text="lagret")).to_be_visible()
    # When a patient reads the page in nynorsk
    preview = open_preview(page, FJORDBYEN, "sprak=nn")
    expect(preview.get_by_role("heading", name="Kva treng du?")).to_be_visible()
    service = patient_service(preview, "Kontakte legekontoret")
    # Then the standard text is in nynorsk, and the practice's bokmål addition says it is bokmål
    expect(service).to_have_attribute("lang", "nn")
    expect(service.get_by_text("Still eit praktisk spørsmål", exact=False)).to_be_visible()
    expect(service.get_by_role("heading", name="Informasjon frå fastlegekontoret")).to_be_visible()
    expect(service.get_by_text(bokmal)).to_have_attribute("lang", "nb")
    # And the forms, which stay in bokmål, are marked so too
    for form in preview.locator("section.hn-page[lang='nn'] .hn-form").all():
        expect(form).to_have_attribute("lang", "nb")
    assert_accessible(preview, "pasientvisning på nynorsk med bokmålstekst")

    # When a patient reads nordsamisk, which has no reviewed translation yet
    preview.goto(f"/pasient/{FJORDBYEN}?sprak=se")
    service = patient_service(preview, "Kontakte legekontoret")
    # Then the whole page is bokmål, said and marked so
    expect(service).to_have_attribute("lang", "nb")
    expect(preview.locator("#summary")).to_contain_text("finnes ikke på nordsamisk ennå")
    expect(service.get_by_text(bokmal)).to_have_attribute("lang", "nb")


def test_errors_show_under_the_language_they_belong_to_and_nothing_is_saved(page):
    sign_in(page, ASTRID)
    box = slot(page, "Helsekontakt inkl. fastlegepanel")
    nynorsk, _, nynorsk_error = translation(box, "nynorsk")
    english, english_counter, english_error = translation(box, "engelsk")
    # Given a good text in nynorsk and one too long (the panel's limit is 200) in English
    language_button(box, "Nynorsk").click()
    nynorsk.fill("Velkomen til oss!")
    language_button(box, "English").click()
    english.fill("a" * 201)
    expect(english_counter).to_contain_text("201/200")
    save(page)
    # Then the server's message stands under English only, and nothing is saved
    expect(english_error).to_contain_text("engelsk")
    expect(english_error).to_contain_text("200")
    expect(english).to_have_attribute("aria-invalid", "true")
    expect(english).to_be_focused()
    expect(nynorsk_error).to_be_empty()
    expect(box.locator(".field-error").first).to_be_empty()
    expect(page.get_by_role("alert").filter(has_text="Ingenting ble lagret")).to_be_visible()
    assert_accessible(page, "for lang engelsk tekst")
    preview = open_preview(page, STORGATA, "sprak=nn")
    expect(preview.get_by_text("Velkomen til oss!")).to_have_count(0)
    # When English is shortened, both save
    english.fill("Welcome to us!")
    save(page)
    expect(page.get_by_role("status").filter(has_text="lagret")).to_be_visible()
    expect(english_error).to_be_empty()
    preview.reload()
    expect(preview.get_by_text("Velkomen til oss!")).to_have_attribute("lang", "nn")
    # And emptying a language removes that addition: nynorsk readers get bokmål's (none here)
    nynorsk.fill("")
    save(page)
    expect(page.get_by_role("status").filter(has_text="lagret")).to_be_visible()
    preview.reload()
    expect(preview.locator("section.hn-panel")).to_be_visible()
    expect(preview.get_by_text("Velkomen til oss!")).to_have_count(0)


def test_a_scheduled_text_in_english_is_listed_with_its_language_and_shown_in_english(page):
    sign_in(page, KRISTIAN, STORGATA)
    box = slot(page, "Timebestilling")
    start, end = today() + timedelta(days=3), today() + timedelta(days=6)
    notice = "We are closed for a course. Call the out-of-hours service on 116 117."
    box.get_by_role("button", name=re.compile("Legg til planlagt tekst")).click()
    form = box.get_by_role("form", name="Ny planlagt tekst")
    # Bokmål unless chosen
    expect(form.get_by_label("Språk")).to_have_value("NB")
    form.get_by_label("Språk").select_option(label="English")
    expect(form.get_by_label("Tekst som skal vises i perioden")).to_have_attribute("lang", "en")
    form.get_by_label("Tekst som skal vises i perioden").fill(notice)
    form.get_by_label("Fra og med").fill(start.isoformat())
    form.get_by_label("Til og med").fill(end.isoformat())
    assert_accessible(page, "ny planlagt tekst med språk")
    form.get_by_role("button", name="Lagre planlagt tekst").click()
    # Then it is listed with its language
    listed = box.get_by_role("list", name=re.compile("Planlagte tekster")).get_by_role("listitem")
    expect(listed.filter(has_text=notice)).to_contain_text("(engelsk)")
    expect(listed.get_by_text(notice)).to_have_attribute("lang", "en")
    # And English readers get it on its dates, bokmål readers not
    preview = open_preview(page, STORGATA, f"sprak=en&dato={start + timedelta(days=1)}")
    service = patient_service(preview, "Book an appointment")
    expect(service.get_by_text(notice)).to_have_attribute("lang", "en")
    expect(service.get_by_text(re.compile("Applies up to and including"))).to_be_visible()
    preview.goto(f"/pasient/{STORGATA}?dato={start + timedelta(days=1)}")
    expect(patient_service(preview, "Bestille time").get_by_text(notice)).to_have_count(0)
