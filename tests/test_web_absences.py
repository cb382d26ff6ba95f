"""Fravær in headless Chromium against a real server on a fresh demo database (issue 25): every
service has one name for GPs, the catalogue's admin title, in the tab and in "Historikk" alike;
and only the outcome of the last attempt shows, never an old success beside a new error."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser import (
    ASTRID,
    FJORDBYEN,
    KRISTIAN,
    assert_accessible,
    why_no_browser,
)

REASON = why_no_browser()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"nettlesertester: {REASON}")

if REASON is None:
    from playwright.sync_api import Page, Route, expect


# The catalogue's admin titles, in the order of the boxes on "Info til pasient", and the names
# patients see for the same services.
ADMIN_TITLES = ["Reseptfornyelse", "E-konsultasjon", "Kontakt legekontoret", "Timebestilling"]
PATIENT_TITLES = [
    "Fornye resept",
    "Starte e-konsultasjon",
    "Kontakte legekontoret",
    "Bestille time",
]


def today() -> date:
    return datetime.now(ZoneInfo("Europe/Oslo")).date()


def dotted(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def sign_in(page: Page, hpr: int, practice: int | None = None) -> None:
    page.goto(f"/?dev-hpr={hpr}")
    if practice is not None:
        page.get_by_label("Velg virksomhet").select_option(str(practice))
        expect(page.get_by_text("Laster …")).to_be_hidden()
    expect(page.get_by_role("region", name="Reseptfornyelse")).to_be_visible()


def absence_form(page: Page):
    return page.locator("#absence-form")


def add_absence(page: Page, who: str, start: date, end: date, services: list[str]) -> None:
    if absence_form(page).is_hidden():
        page.get_by_role("button", name="Legg til fravær").click()
    form = absence_form(page)
    form.get_by_label("Behandler").select_option(label=who)
    form.get_by_label("Fra og med").fill(start.isoformat())
    form.get_by_label("Til og med").fill(end.isoformat())
    for box in form.get_by_role("checkbox").all():
        box.uncheck()
    for service in services:
        form.get_by_label(service, exact=True).check()
    form.get_by_role("button", name="Lagre fravær").click()


def added_status(page: Page):
    return page.get_by_role("status").filter(has_text="Fraværet er lagt til")


def test_services_have_the_same_names_in_fravaer_and_in_historikk(page):
    sign_in(page, ASTRID)
    page.get_by_role("tab", name="Fravær").click()
    start, end = today() + timedelta(days=20), today() + timedelta(days=24)
    # The checkboxes name the services as the boxes on "Info til pasient" do
    page.get_by_role("button", name="Legg til fravær").click()
    labels = absence_form(page).locator(".choice label")
    expect(labels).to_have_text(ADMIN_TITLES)
    # When Astrid switches three services off (ticked in another order than listed)
    add_absence(
        page, "Astrid Info", start, end, ["Timebestilling", "Reseptfornyelse", "E-konsultasjon"]
    )
    names = "Reseptfornyelse, E-konsultasjon, Timebestilling"
    row = page.get_by_role("row").filter(has_text=dotted(start))
    expect(row.get_by_role("cell").nth(3)).to_have_text(names)
    expect(added_status(page)).to_contain_text(names)
    # Then "Historikk" names them the same way, and never as patients do
    page.get_by_role("tab", name="Historikk").click()
    history = page.locator("#panel-historikk")
    entry = page.get_by_role("row").filter(has_text="La til fravær")
    expect(entry).to_contain_text(f"({names})")
    for title in PATIENT_TITLES:
        expect(history).not_to_contain_text(title)
    # And so do the undo's confirmation and the "Angret: …" entry it leaves
    entry.get_by_role("button", name=re.compile("Angre")).click()
    confirm = page.get_by_role("dialog", name="Angre endringen?")
    expect(confirm).to_contain_text(f"({names})")
    confirm.get_by_role("button", name="Angre endringen").click()
    undone = page.get_by_role("row").filter(has_text="Angret: La til fravær")
    expect(undone).to_contain_text(f"({names})")
    for title in PATIENT_TITLES:
        expect(history).not_to_contain_text(title)
    assert_accessible(page, "Historikk med fravær")


def test_history_entries_written_with_patients_names_are_shown_with_admin_titles(page):
    # Entries written before the server named services by admin title name them as patients do;
    # the page's one helper for service names (service-names.js) shows them as everywhere else.
    sign_in(page, ASTRID)
    shown = page.evaluate(
        """async () => {
            const { withServiceNames } = await import("/static/service-names.js");
            return [
                "La til fravær for Astrid Info 12.06.2024–08.07.2024 (Bestille time, Fornye resept).",
                "Angret: La til fravær for Astrid Info 12.06.2024–08.07.2024 (Starte e-konsultasjon, " +
                    "Kontakte legekontoret). (angringen er opphevet)",
                "La til fravær for Ola (vikar) Nordmann 01.07.2024–02.07.2024 (Reseptfornyelse).",
                "Endret tilleggsinformasjon for «Reseptfornyelse».",
                "La til fravær for Astrid Info 12.06.2024–08.07.2024 (Noe ukjent).",
            ].map(withServiceNames);
        }"""
    )
    assert shown == [
        "La til fravær for Astrid Info 12.06.2024–08.07.2024 (Reseptfornyelse, Timebestilling).",
        "Angret: La til fravær for Astrid Info 12.06.2024–08.07.2024 (E-konsultasjon, "
        "Kontakt legekontoret). (angringen er opphevet)",
        "La til fravær for Ola (vikar) Nordmann 01.07.2024–02.07.2024 (Reseptfornyelse).",
        "Endret tilleggsinformasjon for «Reseptfornyelse».",
        "La til fravær for Astrid Info 12.06.2024–08.07.2024 (Noe ukjent).",
    ]


def test_a_new_attempt_clears_the_last_outcome(page):
    sign_in(page, KRISTIAN, FJORDBYEN)
    page.get_by_role("tab", name="Fravær").click()
    start, end = today() + timedelta(days=1), today() + timedelta(days=4)
    # Given an absence just added
    add_absence(page, "Jacob Tore", start, end, ["Reseptfornyelse"])
    expect(added_status(page)).to_be_visible()
    # When an overlapping one is tried
    add_absence(
        page, "Jacob Tore", start + timedelta(days=1), end + timedelta(days=2), ["Reseptfornyelse"]
    )
    expect(page.locator("#absence-from-error")).to_contain_text(f"{dotted(start)}–{dotted(end)}")
    # Then the earlier success is gone: only the refusal shows
    expect(page.get_by_text("Fraværet er lagt til")).to_have_count(0)
    assert_accessible(page, "overlappende fravær etter et lagt til")

    # When the service cannot be reached, twice, the form says so once
    def cut_off(route: Route) -> None:
        if '"practitionerHpr"' in (route.request.post_data or ""):
            route.abort()
        else:
            route.continue_()

    page.route("**/graphql", cut_off)
    later = today() + timedelta(days=30)
    add_absence(page, "Jacob Tore", later, later, ["Reseptfornyelse"])
    form_alert = absence_form(page).get_by_role("alert")
    expect(form_alert).to_contain_text("Fikk ikke kontakt med tjenesten")
    expect(page.locator("#absence-from-error")).to_be_empty()
    absence_form(page).get_by_role("button", name="Lagre fravær").click()
    expect(form_alert.locator("p")).to_have_count(1)
    # And when it is back, the next attempt succeeds with no old error left beside it
    page.unroute("**/graphql")
    absence_form(page).get_by_role("button", name="Lagre fravær").click()
    expect(added_status(page)).to_be_visible()
    expect(page.get_by_text("Fikk ikke kontakt med tjenesten")).to_have_count(0)

    # When one is deleted, its "er slettet" goes as soon as a new absence is begun
    page.get_by_role("row").filter(has_text=dotted(later)).get_by_role(
        "button", name=re.compile("Slett")
    ).click()
    page.get_by_role("dialog", name="Slette fraværet?").get_by_role(
        "button", name="Slett fraværet"
    ).click()
    deleted = page.get_by_role("status").filter(has_text="er slettet")
    expect(deleted).to_be_visible()
    expect(page.get_by_text("Fraværet er lagt til")).to_have_count(0)
    page.get_by_role("button", name="Legg til fravær").click()
    expect(deleted).to_have_count(0)
