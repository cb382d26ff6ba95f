""" "Info til pasient" in headless Chromium when colleagues work on the same practice, and the
patient view beside the boxes while a scheduled text is in force (issue 25, items 2 and 3).

A colleague's change elsewhere in the practice must not stop a save: the page reads the
practice again, keeps what the GP typed and saves. Only a colleague's change to a box the GP
edited stops it, and then the GP sees both texts and chooses. `expectedVersion` stays the API's
guard; the technical "versjon …" message never reaches the GP."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.browser import (
    ASTRID,
    FJORDBYEN,
    JACOB,
    KRISTIAN,
    STORGATA,
    assert_accessible,
    dotted,
    graphql_as,
    oslo_today,
    why_no_browser,
)

REASON = why_no_browser()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"nettlesertester: {REASON}")

if REASON is None:
    from playwright.sync_api import Page, expect


# What the API says on STALE_VERSION ("… versjon 11, du hadde versjon 10"): not for a GP.
TECHNICAL = re.compile(r"versjon \d")


def colleague_saves(server, hpr: int, her_id: int, texts: dict[str, str | None]) -> None:
    data = graphql_as(
        server,
        hpr,
        "mutation($i: SaveTextsInput!) { saveTexts(input: $i) { userErrors { code } } }",
        {"i": {"herId": her_id, "texts": [{"slot": s, "text": t} for s, t in texts.items()]}},
    )
    assert data["saveTexts"]["userErrors"] == []


def colleague_chooses_form(server, hpr: int, her_id: int, entry_point: str, form: str) -> None:
    data = graphql_as(
        server,
        hpr,
        "mutation($i: ChooseFormInput!) { chooseForm(input: $i) { userErrors { code } } }",
        {"i": {"herId": her_id, "entryPoint": entry_point, "formId": form}},
    )
    assert data["chooseForm"]["userErrors"] == []


def colleague_schedules(
    server, hpr: int, her_id: int, slot: str, text: str, start: date, end: date, language="NB"
) -> None:
    data = graphql_as(
        server,
        hpr,
        "mutation($i: AddScheduledTextInput!) "
        "{ addScheduledText(input: $i) { userErrors { code message } } }",
        {
            "i": {
                "herId": her_id,
                "slot": slot,
                "language": language,
                "text": text,
                "from": start.isoformat(),
                "to": end.isoformat(),
            }
        },
    )
    assert data["addScheduledText"]["userErrors"] == []


def stored_texts(server, her_id: int) -> dict[str, str | None]:
    data = graphql_as(
        server,
        KRISTIAN,
        "query($h: Int!) { practice(herId: $h) { texts { slot text } } }",
        {"h": her_id},
    )
    return {t["slot"]: t["text"] for t in data["practice"]["texts"]}


def sign_in(page: Page, hpr: int, practice: int | None = None) -> None:
    page.goto(f"/?dev-hpr={hpr}")
    expect(page.get_by_role("region", name="Reseptfornyelse")).to_be_visible()
    if practice is not None:
        page.get_by_label("Velg virksomhet").select_option(str(practice))
        expect(page.get_by_text("Laster …")).to_be_hidden()
        expect(page.get_by_role("region", name="Reseptfornyelse")).to_be_visible()


def box(page: Page, title: str):
    return page.get_by_role("region", name=title, exact=True).get_by_label(
        "Tilleggsinformasjon fra legekontor"
    )


def press_lagre(page: Page) -> None:
    page.get_by_role("button", name="Lagre", exact=True).click()


def saved_status(page: Page):
    return page.get_by_role("status").filter(has_text="Endringene er lagret")


# ---------------------------------------------------------------------------
# Item 2: a colleague's change elsewhere does not stop a save


def test_a_colleagues_change_elsewhere_is_taken_in_and_the_typing_saved(page, server):
    sign_in(page, KRISTIAN, STORGATA)
    mine = "Fornyelse tar inntil tre virkedager."
    # Given Kristian types while Astrid chooses a form and saves a box he has not touched
    box(page, "Reseptfornyelse").fill(mine)
    colleague_chooses_form(
        server,
        ASTRID,
        STORGATA,
        "TIMEBESTILLING_KONSULTASJON",
        "alternativ-skjemaingang-timebestilling",
    )
    colleague_saves(server, ASTRID, STORGATA, {"TIMEBESTILLING": "Ring før klokka 9."})
    # When he presses LAGRE
    press_lagre(page)
    # Then his text is saved without a word about versions, and nothing else is lost
    expect(saved_status(page)).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_text(TECHNICAL)).to_have_count(0)
    expect(box(page, "Reseptfornyelse")).to_have_value(mine)
    # Astrid's text shows in her box, and stays saved
    expect(box(page, "Timebestilling")).to_have_value("Ring før klokka 9.")
    stored = stored_texts(server, STORGATA)
    assert stored["RESEPTFORNYELSE"] == mine
    assert stored["TIMEBESTILLING"] == "Ring før klokka 9."
    # The other tabs show the practice as it now stands: her form is there
    page.get_by_role("tab", name="Integrerte verktøy").click()
    row = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Timebestilling konsultasjon", exact=True)
    )
    expect(row.get_by_role("cell").first).to_contain_text("Alternativ skjemaingang")
    # And the next save, with nobody in between, goes straight through
    page.get_by_role("tab", name="Info til pasient").click()
    box(page, "Reseptfornyelse").fill(mine + " Husk styrke.")
    press_lagre(page)
    expect(saved_status(page)).to_be_visible()
    assert stored_texts(server, STORGATA)["RESEPTFORNYELSE"] == mine + " Husk styrke."


def test_a_colleagues_change_to_the_same_boxes_lets_the_gp_choose(page, server):
    colleague_saves(server, JACOB, FJORDBYEN, {"KONTAKT_LEGEKONTORET": "Gammel tekst."})
    sign_in(page, KRISTIAN, FJORDBYEN)
    expect(box(page, "Kontakt legekontoret")).to_have_value("Gammel tekst.")
    # Given Kristian edits two boxes and one more, while Jacob saves other texts in the first two
    box(page, "Kontakt legekontoret").fill("Kristians kontakttekst.")
    box(page, "Reseptfornyelse").fill("Kristians resepttekst.")
    box(page, "Timebestilling").fill("Kristians timetekst.")
    colleague_saves(
        server,
        JACOB,
        FJORDBYEN,
        {"KONTAKT_LEGEKONTORET": "Jacobs kontakttekst.", "RESEPTFORNYELSE": "Jacobs resepttekst."},
    )
    # When he presses LAGRE
    press_lagre(page)
    # Then nothing is saved yet, and one plain message per box shows both texts
    alert = page.get_by_role("alert")
    conflicts = alert.get_by_role("group")
    expect(conflicts).to_have_count(2)
    contact = alert.get_by_role("group", name=re.compile("Kontakt legekontoret"))
    expect(contact).to_contain_text("En kollega har endret teksten")
    expect(contact).to_contain_text("Kollegaens tekst")
    expect(contact).to_contain_text("Jacobs kontakttekst.")
    expect(contact).to_contain_text("Din tekst")
    expect(contact).to_contain_text("Kristians kontakttekst.")
    expect(page.get_by_text(TECHNICAL)).to_have_count(0)
    expect(page.get_by_text("Last inn på nytt")).to_have_count(0)
    expect(saved_status(page)).to_have_count(0)
    assert stored_texts(server, FJORDBYEN)["TIMEBESTILLING"] is None
    # What he typed is still in the boxes
    expect(box(page, "Kontakt legekontoret")).to_have_value("Kristians kontakttekst.")
    expect(box(page, "Timebestilling")).to_have_value("Kristians timetekst.")
    assert_accessible(page, "kollega har endret samme tekst")

    # When he keeps his own contact text and Jacob's prescription text
    contact.get_by_role("button", name=re.compile("^Behold din tekst")).click()
    expect(contact).to_have_count(0)
    recipe = alert.get_by_role("group", name=re.compile("Reseptfornyelse"))
    expect(
        recipe.get_by_role("button", name=re.compile("^Behold kollegaens tekst"))
    ).to_be_focused()
    recipe.get_by_role("button", name=re.compile("^Behold kollegaens tekst")).click()
    # Then everything is saved in one go, with the version read afresh
    expect(saved_status(page)).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(box(page, "Kontakt legekontoret")).to_have_value("Kristians kontakttekst.")
    expect(box(page, "Reseptfornyelse")).to_have_value("Jacobs resepttekst.")
    expect(box(page, "Timebestilling")).to_have_value("Kristians timetekst.")
    stored = stored_texts(server, FJORDBYEN)
    assert stored["KONTAKT_LEGEKONTORET"] == "Kristians kontakttekst."
    assert stored["RESEPTFORNYELSE"] == "Jacobs resepttekst."
    assert stored["TIMEBESTILLING"] == "Kristians timetekst."


def test_the_same_text_typed_by_both_is_no_conflict(page, server):
    sign_in(page, ASTRID)
    box(page, "E-konsultasjon").fill("Legg ved bilde.")
    colleague_saves(server, KRISTIAN, STORGATA, {"E_KONSULTASJON": "Legg ved bilde."})
    press_lagre(page)
    expect(saved_status(page)).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    assert stored_texts(server, STORGATA)["E_KONSULTASJON"] == "Legg ved bilde."


# ---------------------------------------------------------------------------
# Item 3: the patient view beside the boxes while a scheduled text is in force


def beside(page: Page):
    return page.get_by_role("complementary", name="Slik ser det ut for pasientene dine")


def show_beside(page: Page, title: str) -> None:
    page.get_by_role("region", name=title, exact=True).get_by_role(
        "button", name=re.compile("Vis hvor teksten plasseres på Helsenorge")
    ).click()
    expect(beside(page)).to_be_visible()


def test_preview_beside_the_box_shows_the_scheduled_text_in_force_today(page, server):
    standing = "Vi fornyer resepter hver dag."
    holiday = "Vi har ferie denne uka. Ring legevakten på 116 117."
    end = oslo_today() + timedelta(days=3)
    colleague_saves(server, JACOB, FJORDBYEN, {"RESEPTFORNYELSE": standing})
    colleague_schedules(server, JACOB, FJORDBYEN, "RESEPTFORNYELSE", holiday, oslo_today(), end)
    # An English notice in force does not stand in for the bokmål panel text
    colleague_schedules(
        server, JACOB, FJORDBYEN, "FASTLEGEPANEL", "We are on holiday.", oslo_today(), end, "EN"
    )
    sign_in(page, JACOB)
    # When Jacob looks beside the prescription box
    show_beside(page, "Reseptfornyelse")
    pane = beside(page)
    # Then he sees what patients see today: the scheduled text, until its last day
    expect(pane.get_by_text(holiday)).to_be_visible()
    expect(pane.get_by_text(re.compile("^Gjelder til og med"))).to_be_visible()
    expect(pane.get_by_text(standing)).to_have_count(0)
    # And typing in the box does not replace it there, but says when the typing applies
    box(page, "Reseptfornyelse").fill("Ny fast tekst om resepter.")
    expect(pane.get_by_text(holiday)).to_be_visible()
    expect(pane.get_by_text("Ny fast tekst om resepter.")).to_have_count(0)
    expect(pane).to_contain_text(f"etter {dotted(end)}")
    assert_accessible(page, "forhåndsvisning med planlagt tekst")

    # The panel has only an English notice: the bokmål preview shows the typing
    show_beside(page, "Helsekontakt inkl. fastlegepanel")
    box(page, "Helsekontakt inkl. fastlegepanel").fill("Velkommen til Fjordbyen.")
    expect(pane.get_by_text("Velkommen til Fjordbyen.")).to_be_visible()
    expect(pane.get_by_text("We are on holiday.")).to_have_count(0)

    # When the scheduled text is deleted, the typing is what patients would see
    show_beside(page, "Reseptfornyelse")
    region = page.get_by_role("region", name="Reseptfornyelse", exact=True)
    region.get_by_role("listitem").filter(has_text=holiday).get_by_role(
        "button", name=re.compile("Slett")
    ).click()
    page.get_by_role("dialog").get_by_role("button", name="Slett den planlagte teksten").click()
    expect(pane.get_by_text("Ny fast tekst om resepter.")).to_be_visible()
    expect(pane.get_by_text(holiday)).to_have_count(0)
    expect(pane.get_by_text("Gjelder til og med")).to_have_count(0)
