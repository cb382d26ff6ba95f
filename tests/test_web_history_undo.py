""" "Historikk" says what "ANGRE" brings back (issue 25, item 4): a text change shows its texts
before and after, in the list and in the confirm dialog; a redo is named "Gjorde om: …"; texts
and form names are quoted the same way («…») in every entry."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.browser import (
    ASTRID,
    FJORDBYEN,
    JACOB,
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
    from playwright.sync_api import Locator, Page, expect


def api_save(server, hpr: int, her_id: int, texts: list[dict[str, str]]) -> None:
    data = graphql_as(
        server,
        hpr,
        "mutation($i: SaveTextsInput!) { saveTexts(input: $i) { userErrors { code } } }",
        {"i": {"herId": her_id, "texts": texts}},
    )
    assert data["saveTexts"]["userErrors"] == []


def sign_in(page: Page, hpr: int) -> None:
    page.goto(f"/?dev-hpr={hpr}")
    expect(page.get_by_role("region", name="Reseptfornyelse")).to_be_visible()


def box(page: Page, title: str) -> Locator:
    return page.get_by_role("region", name=title, exact=True).get_by_label(
        "Tilleggsinformasjon fra legekontor"
    )


def save_text(page: Page, title: str, text: str) -> None:
    page.get_by_role("tab", name="Info til pasient").click()
    box(page, title).fill(text)
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="lagret")).to_be_visible()


def open_history(page: Page) -> Locator:
    page.get_by_role("tab", name="Historikk").click()
    entries = page.get_by_role("table", name="Endringer, nyeste først").locator("tbody tr")
    expect(entries.first.locator("time")).to_be_visible()
    return entries


def change(entry: Locator) -> Locator:
    """The "Endring" cell of an entry."""
    return entry.get_by_role("cell").nth(1)


def undo_button(entry: Locator) -> Locator:
    return entry.get_by_role("button", name=re.compile(r"^Angre\b"))


def confirm_undo(page: Page, entry: Locator) -> None:
    undo_button(entry).click()
    dialog = page.get_by_role("dialog", name="Angre endringen?")
    dialog.get_by_role("button", name="Angre endringen").click()
    expect(dialog).to_be_hidden()


# ---------------------------------------------------------------------------


def test_a_text_change_shows_the_texts_before_and_after_in_the_list_and_the_dialog(page, server):
    old, new = "Ring før klokka 9.", "Svar innen tre virkedager."
    api_save(server, ASTRID, STORGATA, [{"slot": "RESEPTFORNYELSE", "text": old}])
    sign_in(page, ASTRID)
    save_text(page, "Reseptfornyelse", new)
    entries = open_history(page)
    newest = change(entries.first)
    # The entry names the box as other entries name theirs, and shows both texts
    expect(newest).to_contain_text("Endret tilleggsinformasjon for «Reseptfornyelse».")
    expect(newest).to_contain_text(f"Før: «{old}»")
    expect(newest).to_contain_text(f"Etter: «{new}»")
    # The first change of the box had no text before it
    first = change(entries.nth(1))
    expect(first).to_contain_text("Før: ingen tekst")
    expect(first).to_contain_text(f"Etter: «{old}»")
    assert_accessible(page, "Historikk med tekstene før og etter")

    # The confirm dialog says what ANGRE brings back
    undo_button(entries.first).click()
    dialog = page.get_by_role("dialog", name="Angre endringen?")
    expect(dialog).to_contain_text("Endret tilleggsinformasjon for «Reseptfornyelse».")
    expect(dialog).to_contain_text(f"Nå: «{new}»")
    expect(dialog).to_contain_text(f"Etter angringen: «{old}»")
    assert_accessible(page, "bekreft angring med tekstene")
    dialog.get_by_role("button", name="Angre endringen").click()
    expect(dialog).to_be_hidden()

    # The undo is listed with what it changed
    expect(page.get_by_role("status").filter(has_text="Endringen er angret.")).to_be_visible()
    undone = change(entries.first)
    expect(undone).to_contain_text("Angret: Endret tilleggsinformasjon for «Reseptfornyelse».")
    expect(undone).to_contain_text(f"Før: «{new}»")
    expect(undone).to_contain_text(f"Etter: «{old}»")
    page.get_by_role("tab", name="Info til pasient").click()
    expect(box(page, "Reseptfornyelse")).to_have_value(old)


def test_a_redo_is_named_plainly(page, server):
    text = "Legg gjerne ved bilde om det gjelder hud."
    sign_in(page, ASTRID)
    save_text(page, "E-konsultasjon", text)
    entries = open_history(page)
    confirm_undo(page, entries.first)
    expect(change(entries.first)).to_contain_text(
        "Angret: Endret tilleggsinformasjon for «E-konsultasjon»."
    )

    # ANGRE on the undo: the dialog says the text comes back
    undo_button(entries.first).click()
    dialog = page.get_by_role("dialog", name="Angre endringen?")
    expect(dialog).to_contain_text("Nå: ingen tekst")
    expect(dialog).to_contain_text(f"Etter angringen: «{text}»")
    dialog.get_by_role("button", name="Angre endringen").click()
    expect(dialog).to_be_hidden()

    # The redo is named as what it is
    expect(page.get_by_role("status").filter(has_text="gjelder igjen")).to_be_visible()
    redo = change(entries.first)
    expect(redo).to_contain_text("Gjorde om: Endret tilleggsinformasjon for «E-konsultasjon».")
    expect(redo).not_to_contain_text("Angret")
    expect(redo).not_to_contain_text("angringen er opphevet")
    expect(redo).to_contain_text(f"Etter: «{text}»")
    expect(undo_button(entries.first)).to_have_accessible_name(re.compile("Gjorde om: Endret"))

    # Undoing the redo is an undo again
    confirm_undo(page, entries.first)
    expect(page.get_by_role("status").filter(has_text="Endringen er angret.")).to_be_visible()
    again = change(entries.first)
    expect(again).to_contain_text("Angret: Endret tilleggsinformasjon for «E-konsultasjon».")
    expect(again).not_to_contain_text("angringen er opphevet")
    expect(again).to_contain_text(f"Før: «{text}»")


def test_texts_and_form_names_are_quoted_alike_in_every_entry(page, server):
    start, end = oslo_today() + timedelta(days=10), oslo_today() + timedelta(days=12)
    data = graphql_as(
        server,
        JACOB,
        "mutation($i: ChooseFormInput!) { chooseForm(input: $i) { userErrors { code } } }",
        {
            "i": {
                "herId": FJORDBYEN,
                "entryPoint": "TIMEBESTILLING_KONSULTASJON",
                "formId": "alternativ-skjemaingang-timebestilling",
            }
        },
    )
    assert data["chooseForm"]["userErrors"] == []
    data = graphql_as(
        server,
        JACOB,
        "mutation($i: AddScheduledTextInput!) { addScheduledText(input: $i) { userErrors { code } } }",
        {
            "i": {
                "herId": FJORDBYEN,
                "slot": "KONTAKT_LEGEKONTORET",
                "text": "Stengt i påsken.",
                "from": start.isoformat(),
                "to": end.isoformat(),
            }
        },
    )
    assert data["addScheduledText"]["userErrors"] == []
    api_save(
        server,
        JACOB,
        FJORDBYEN,
        [{"slot": "TIMEBESTILLING", "language": "EN", "text": "Call at 9."}],
    )
    sign_in(page, JACOB)
    entries = open_history(page)
    english = change(entries.nth(0))
    expect(english).to_contain_text("Endret tilleggsinformasjon for «Timebestilling» (engelsk).")
    expect(english).to_contain_text("Før: ingen tekst")
    expect(english).to_contain_text("Etter: «Call at 9.»")
    expect(english.get_by_text("«Call at 9.»")).to_have_attribute("lang", "en")
    scheduled = change(entries.nth(1))
    expect(scheduled).to_contain_text(
        f"La til planlagt tekst for «Kontakt legekontoret» {dotted(start)}–{dotted(end)}."
    )
    expect(scheduled).to_contain_text("Tekst: «Stengt i påsken.»")
    form = change(entries.nth(2))
    expect(form).to_contain_text("for «Timebestilling konsultasjon»")
    # One way of quoting: no straight or curly double quotes anywhere in the list
    for text in page.get_by_role("table", name="Endringer, nyeste først").all_inner_texts():
        assert not re.search('["“”]', text), text
    assert_accessible(page, "Historikk med sitater")
