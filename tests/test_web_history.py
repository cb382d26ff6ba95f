"""The admin page's "Historikk" tab in headless Chromium, against a real server on a fresh demo
database: a GP undoes a saved text ("ANGRE") and the patient preview follows, undoes the undo
(redo), finds no button on a change overwritten since, is offered a reload after a colleague's
change, and pages with "Vis flere"; axe-core checks WCAG 2.1 AA on the tab and its dialog."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.browser import (
    ASTRID,
    FJORDBYEN,
    JACOB,
    KRISTIAN,
    ROOT,
    STORGATA,
    assert_accessible,
    development_token,
    why_no_browser,
)

REASON = why_no_browser()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"nettlesertester: {REASON}")

if REASON is None:
    from playwright.sync_api import Locator, Page, expect


WHEN = re.compile(r"^\d{2}\.\d{2}\.\d{4} kl\. \d{2}:\d{2}$")


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
    page.get_by_role("button", name="Lagre").click()
    expect(page.get_by_role("status").filter(has_text="lagret")).to_be_visible()


def open_history(page: Page) -> Locator:
    """Opens "Historikk" and returns its entry rows, newest first, once they are read."""
    page.get_by_role("tab", name="Historikk").click()
    expect(page.get_by_role("heading", name="Historikk", exact=True)).to_be_visible()
    entries = page.get_by_role("table", name="Endringer, nyeste først").locator("tbody tr")
    expect(entries.first.locator("time")).to_be_visible()
    return entries


def undo_button(entry: Locator) -> Locator:
    return entry.get_by_role("button", name=re.compile(r"^Angre\b"))


def undo(page: Page, entry: Locator) -> Locator:
    """Presses ANGRE on the entry and confirms; returns the dialog (closed by then)."""
    undo_button(entry).click()
    dialog = page.get_by_role("dialog", name="Angre endringen?")
    dialog.get_by_role("button", name="Angre endringen").click()
    expect(dialog).to_be_hidden()
    return dialog


def preview_text(page: Page, service: str) -> Locator:
    """The patient preview of Astrid's patients at Storgata, at the page of one service."""
    preview = page.context.new_page()
    preview.goto(f"/pasient/{STORGATA}?hpr={ASTRID}")
    expect(preview.get_by_role("heading", name="Hva trenger du?")).to_be_visible()
    return preview.locator("section.hn-page").filter(
        has=preview.get_by_role("heading", name=service)
    )


def oslo_minutes_now() -> set[str]:
    """Now in Norway as the tab writes it, and a minute before (the save may straddle one)."""
    now = datetime.now(ZoneInfo("Europe/Oslo"))
    return {(now - timedelta(minutes=m)).strftime("%d.%m.%Y kl. %H:%M") for m in (0, 1)}


def api_save_text(server, hpr: int, her_id: int, slot: str, text: str) -> None:
    response = httpx.post(
        f"{server.base}/graphql",
        headers={"Authorization": f"Bearer {development_token(server, hpr)}"},
        json={
            "query": "mutation($i: SaveTextsInput!) { saveTexts(input: $i) { userErrors { code } } }",
            "variables": {"i": {"herId": her_id, "texts": [{"slot": slot, "text": text}]}},
        },
        timeout=10,
    )
    assert response.json()["data"]["saveTexts"]["userErrors"] == []


# ---------------------------------------------------------------------------


def test_history_tab_is_the_fourth_tab_and_works_from_the_keyboard(page):
    sign_in(page, ASTRID)
    page.get_by_role("tab", name="Fravær").focus()
    page.keyboard.press("ArrowRight")
    tab = page.get_by_role("tab", name="Historikk")
    expect(tab).to_be_focused()
    expect(tab).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("heading", name="Historikk", exact=True)).to_be_visible()
    page.keyboard.press("Home")
    page.keyboard.press("End")
    expect(tab).to_be_focused()
    assert page.get_by_role("tab").all_inner_texts()[-1].casefold() == "historikk"


def test_gp_undoes_a_text_change_and_the_preview_follows(page):
    sign_in(page, ASTRID)
    before = box(page, "Reseptfornyelse").input_value()
    text = "Resepter fornyes innen tre virkedager. Husk styrke og dose."
    save_text(page, "Reseptfornyelse", text)
    service = preview_text(page, "Fornye resept")
    expect(service.get_by_text(text)).to_be_visible()

    # The newest entry: when (Norwegian time), who (by name), what, and an ANGRE button
    entries = open_history(page)
    summary = "Endret tilleggsinformasjon for «Reseptfornyelse»."
    newest = entries.first
    expect(newest.get_by_role("rowheader")).to_have_text(WHEN)
    assert newest.get_by_role("rowheader").inner_text() in oslo_minutes_now()
    expect(newest.get_by_role("cell").nth(0)).to_have_text("Astrid Info")
    expect(newest.get_by_role("cell").nth(1)).to_contain_text(summary)
    button = undo_button(newest)
    expect(button).to_have_text(re.compile(r"^Angre"))
    # The button's name says which change it undoes, not just "Angre"
    expect(button).to_have_accessible_name(re.compile(re.escape(summary)))
    assert button.evaluate("el => getComputedStyle(el).textTransform") == "uppercase"
    assert_accessible(page, "Historikk")

    # ANGRE asks first, naming the change; "Avbryt" changes nothing and gives focus back
    button.click()
    dialog = page.get_by_role("dialog", name="Angre endringen?")
    expect(dialog).to_contain_text(summary)
    expect(dialog).to_contain_text("Astrid Info")
    assert_accessible(page, "bekreft angring")
    dialog.get_by_role("button", name="Avbryt").click()
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()
    expect(entries.first.get_by_role("cell").nth(1)).to_contain_text(summary)

    # Confirmed: the GP is told in words, and the list starts with the undo
    undo(page, newest)
    expect(page.get_by_role("status").filter(has_text="Endringen er angret.")).to_be_visible()
    expect(page.get_by_role("heading", name="Endringer, nyeste først")).to_be_focused()
    expect(entries.first.get_by_role("cell").nth(1)).to_contain_text(f"Angret: {summary}")
    expect(undo_button(entries.first)).to_be_visible()
    assert_accessible(page, "etter angring")

    # The patients no longer see the text, and the box is back as it was
    service.page.reload()
    expect(service.get_by_text("Informasjon fra fastlegekontoret")).to_have_count(
        1 if before else 0
    )
    expect(service.get_by_text(text)).to_have_count(0)
    page.get_by_role("tab", name="Info til pasient").click()
    expect(box(page, "Reseptfornyelse")).to_have_value(before)


def test_undoing_the_undo_redoes_the_change(page):
    sign_in(page, ASTRID)
    text = "Legg gjerne ved bilde om det gjelder hud."
    save_text(page, "E-konsultasjon", text)
    entries = open_history(page)
    undo(page, entries.first)
    expect(page.get_by_role("status").filter(has_text="Endringen er angret.")).to_be_visible()
    expect(entries.first).to_contain_text("Angret: Endret tilleggsinformasjon for «E-konsultasjon»")
    service = preview_text(page, "Starte e-konsultasjon")
    expect(service.get_by_text(text)).to_have_count(0)

    # Typing left unsaved in "Info til pasient" is named before the page reloads the boxes
    page.get_by_role("tab", name="Info til pasient").click()
    box(page, "Kontakt legekontoret").fill("Ikke lagret ennå")
    page.get_by_role("tab", name="Historikk").click()
    expect(entries.first).to_contain_text("Angret: Endret tilleggsinformasjon for «E-konsultasjon»")
    undo_button(entries.first).click()
    dialog = page.get_by_role("dialog", name="Angre endringen?")
    expect(dialog).to_contain_text("Angret: Endret tilleggsinformasjon for «E-konsultasjon»")
    expect(dialog).to_contain_text("uten å lagre, blir forkastet")
    dialog.get_by_role("button", name="Angre endringen").click()

    # ANGRE on "Angret: …" puts the change back
    expect(page.get_by_role("status").filter(has_text="gjelder igjen")).to_be_visible()
    # (the redo is a new entry, named as a redo, above the undo it undid)
    expect(entries.first).to_contain_text(
        "Gjorde om: Endret tilleggsinformasjon for «E-konsultasjon»"
    )
    expect(entries.nth(1)).to_contain_text(
        "Angret: Endret tilleggsinformasjon for «E-konsultasjon»"
    )
    service.page.reload()
    expect(service.get_by_text(text)).to_be_visible()
    page.get_by_role("tab", name="Info til pasient").click()
    expect(box(page, "E-konsultasjon")).to_have_value(text)
    expect(box(page, "Kontakt legekontoret")).not_to_have_value("Ikke lagret ennå")


def test_a_change_overwritten_since_has_no_undo_button(page, server):
    sign_in(page, ASTRID)
    save_text(page, "Timebestilling", "Tekst A: ring før 9.")
    save_text(page, "Timebestilling", "Tekst B: ring før 10.")
    entries = open_history(page)
    summary = "Endret tilleggsinformasjon for «Timebestilling»."
    expect(entries.nth(0).get_by_role("cell").nth(1)).to_contain_text(summary)
    expect(entries.nth(1).get_by_role("cell").nth(1)).to_contain_text(summary)
    # B can be undone; A cannot (the box no longer holds what A set), so it has no button
    expect(undo_button(entries.nth(0))).to_be_visible()
    expect(entries.nth(1).get_by_role("button")).to_have_count(0)
    # …which is what the server says (revertible is false when revertChange would fail)
    token = development_token(server, ASTRID)
    log = httpx.post(
        f"{server.base}/graphql",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "query": "query($h: Int!) { practice(herId: $h) "
            "{ auditLog(first: 2) { edges { node { summary revertible } } } } }",
            "variables": {"h": STORGATA},
        },
        timeout=10,
    ).json()["data"]["practice"]["auditLog"]["edges"]
    assert [edge["node"]["revertible"] for edge in log] == [True, False]
    assert_accessible(page, "Historikk uten angreknapp")


def test_a_colleagues_change_in_between_offers_a_reload(page, server):
    sign_in(page, ASTRID)
    save_text(page, "Kontakt legekontoret", "Skriv emnet i emnefeltet.")
    entries = open_history(page)
    mine = entries.filter(has_text="Endret tilleggsinformasjon for «Kontakt legekontoret»").first
    # Given Kristian saves a text after Astrid opened the history
    api_save_text(server, KRISTIAN, STORGATA, "FASTLEGEPANEL", "Velkommen til Storgata!")
    # When she undoes her change, nothing is undone and she is told why, with a way to reload
    undo(page, mine)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("En kollega har endret")
    expect(alert).to_contain_text("ingenting ble angret")
    # (in words for a GP: the API's own message speaks of version numbers)
    expect(alert).not_to_contain_text(re.compile(r"versjon \d"))
    assert_accessible(page, "Historikk, utdatert versjon")
    alert.get_by_role("button", name="Last inn på nytt").click()
    expect(alert).to_be_hidden()
    # Then the list shows Kristian's change first, by name, and hers can be undone now
    expect(entries.first.get_by_role("cell").nth(0)).to_have_text("Kristian Larsen")
    mine = entries.filter(has_text="Endret tilleggsinformasjon for «Kontakt legekontoret»").first
    undo(page, mine)
    expect(page.get_by_role("status").filter(has_text="Endringen er angret.")).to_be_visible()
    expect(entries.first).to_contain_text("Angret: Endret tilleggsinformasjon for «Kontakt")


def import_registry(server, folder, registry: dict) -> None:
    file = folder / "registry.json"
    file.write_text(json.dumps(registry), "utf-8")
    command = [sys.executable, "-m", "cli", "import-registry", str(file)]
    subprocess.run(command, cwd=ROOT, env=server.env, check=True, capture_output=True)


def test_more_than_twenty_entries_are_paged_with_vis_flere(page, server, tmp_path):
    # Given a change by Kristian, who has left Fjordbyen since, and 23 by Jacob after it
    api_save_text(server, KRISTIAN, FJORDBYEN, "KONTAKT_LEGEKONTORET", "Skriv kort.")
    demo = json.loads((ROOT / "models" / "demo-registry.json").read_text("utf-8"))
    moved = json.loads(json.dumps(demo))
    fjordbyen = next(p for p in moved["practices"] if p["herId"] == FJORDBYEN)
    fjordbyen["practitioners"] = [
        p for p in fjordbyen["practitioners"] if p["hprNumber"] != KRISTIAN
    ]
    import_registry(server, tmp_path, moved)
    try:
        for number in range(23):
            api_save_text(server, JACOB, FJORDBYEN, "TIMEBESTILLING", f"Melding nummer {number}.")
        sign_in(page, JACOB)
        entries = open_history(page)
        expect(entries).to_have_count(20)
        more = page.get_by_role("button", name="Vis flere")
        expect(more).to_be_visible()
        assert_accessible(page, "Historikk med Vis flere")
        more.click()
        expect(entries).to_have_count(24)
        expect(more).to_have_count(0)
        # Focus goes on to the first entry not seen before
        expect(entries.nth(20).get_by_role("rowheader")).to_be_focused()
        expect(entries.nth(22).get_by_role("cell").nth(0)).to_have_text("Jacob Tore")
        # Someone no longer at the practice is named by HPR number
        expect(entries.nth(23).get_by_role("cell").nth(0)).to_have_text(f"HPR {KRISTIAN}")
        # Of Jacob's, only the newest can be undone: each older one set what the next changed
        expect(entries.filter(has_text="Timebestilling").get_by_role("button")).to_have_count(1)
    finally:
        import_registry(server, tmp_path, demo)
