"""Makes the README's screenshots (docs/screenshots/*.png) with headless Chromium, on a fresh
demo database filled the way a GP would: `make screenshots` (or `python -m tests.screenshots
--sprak` for only the two of the languages)."""

from __future__ import annotations

import os
import re
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.browser import CHROMIUM_ARGS, ROOT, chromium_path, demo_server, why_no_browser

OUT = ROOT / "docs" / "screenshots"
ASTRID, STORGATA = 9144889, 8142519
TEXTS = {
    "Helsekontakt inkl. fastlegepanel": (
        "Vi har ferie 8.–19. juli. Trenger du å fornye en resept, ring oss på 22 00 00 00. "
        "Ved akutt sykdom: ring legevakt på 116 117."
    ),
    "Reseptfornyelse": (
        "Oppgi navn, styrke og mengde på legemiddelet. "
        "Vanedannende legemidler fornyer vi bare etter en konsultasjon."
    ),
    "E-konsultasjon": "Legg gjerne ved bilde hvis det gjelder hud eller sår.",
    "Kontakt legekontoret": "Gjelder det sykmelding eller attest, skriv det i emnefeltet.",
    "Timebestilling": "Finner du ingen ledig time, ring oss mellom klokka 8 og 15.",
}
ENGLISH = (
    "Please state the name, strength and amount of the medicine. "
    "We renew addictive medicines only after a consultation."
)


def today() -> date:
    return datetime.now(ZoneInfo("Europe/Oslo")).date()


def admin_and_preview(context: Any) -> None:
    """The tabs of the admin page and the patient preview, in bokmål."""
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto(f"/?dev-hpr={ASTRID}")
    for title, text in TEXTS.items():
        region = page.get_by_role("region", name=title, exact=True)
        region.get_by_label("Tilleggsinformasjon fra legekontor").fill(text)
    page.get_by_role("button", name="Lagre").click()
    expect(page.get_by_role("status").filter(has_text="lagret")).to_be_visible()

    # Info til pasient, with an unsaved change shown beside the boxes
    panel = page.get_by_role("region", name="Helsekontakt inkl. fastlegepanel")
    panel.get_by_role("button", name="Vis hvor teksten plasseres på Helsenorge").click()
    panel.get_by_label("Tilleggsinformasjon fra legekontor").fill(
        TEXTS["Helsekontakt inkl. fastlegepanel"].replace("8.–19. juli", "8.–26. juli")
    )
    page.get_by_role("heading", name="Fastlegetjenester").wait_for()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=OUT / "info-til-pasient.png")
    page.get_by_role("button", name="Avbryt").click()
    page.get_by_role("button", name="Lukk forhåndsvisningen").click()

    # Planlagt tekst: one listed under the panel's box, the form open for the next
    start = today() + timedelta(days=14)
    panel.get_by_role("button", name="Legg til planlagt tekst").click()
    form = panel.get_by_role("form", name="Ny planlagt tekst")
    form.get_by_label("Tekst som skal vises i perioden").fill(
        "Legekontoret holder stengt. Trenger du hjelp, ring legevakt på 116 117."
    )
    form.get_by_label("Fra og med").fill(start.isoformat())
    form.get_by_label("Til og med").fill((start + timedelta(days=18)).isoformat())
    form.get_by_role("button", name="Lagre planlagt tekst").click()
    expect(panel.get_by_text("Planlagt tekst", exact=True)).to_be_visible()
    panel.get_by_role("button", name="Legg til planlagt tekst").click()
    form.get_by_label("Tekst som skal vises i perioden").fill(
        "Legekontoret er stengt på grunn av kurs. Ved akutt sykdom: ring legevakt på 116 117."
    )
    form.get_by_label("Fra og med").fill((start + timedelta(days=35)).isoformat())
    form.get_by_label("Til og med").fill((start + timedelta(days=36)).isoformat())
    page.mouse.move(0, 0)
    page.evaluate("document.activeElement.blur()")  # no focus ring on the last date field
    # Measured from the top of the page, as the clip of a full-page screenshot is.
    page.evaluate("window.scrollTo(0, 0)")
    top = page.get_by_role("tablist").bounding_box()
    bottom = panel.bounding_box()
    page.screenshot(
        path=OUT / "scheduled-text.png",
        full_page=True,
        clip={
            "x": 0,
            "y": top["y"] - 16,
            "width": 1280,
            "height": bottom["y"] + bottom["height"] - top["y"] + 32,
        },
    )
    form.get_by_role("button", name="Avbryt").click()

    # Integrerte verktøy: one form chosen, the chooser open at another row
    page.get_by_role("tab", name="Integrerte verktøy").click()
    row = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="E-konsultasjon", exact=True)
    )
    row.get_by_role("button").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("radio", name="Sjekkpunkt: Beskriv symptomene dine").check()
    dialog.get_by_role("button", name="Lagre").click()
    expect(dialog).to_be_hidden()
    page.screenshot(path=OUT / "integrerte-verktoy.png")
    page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Reseptfornyelse", exact=True)
    ).get_by_role("button").click()
    page.get_by_role("dialog").wait_for()
    page.screenshot(path=OUT / "integrerte-verktoy-endre.png")
    page.get_by_role("dialog").get_by_role("button", name="Avbryt").click()

    # Fravær: one registered, the form open for the next
    page.get_by_role("tab", name="Fravær").click()
    start = today()
    page.get_by_role("button", name="Legg til fravær").click()
    form = page.locator("#absence-form")
    form.get_by_label("Fra og med").fill(start.isoformat())
    form.get_by_label("Til og med").fill((start + timedelta(days=11)).isoformat())
    form.get_by_label("Reseptfornyelse", exact=True).check()
    form.get_by_role("button", name="Lagre fravær").click()
    expect(page.get_by_role("row").filter(has_text="Astrid Info")).to_be_visible()
    page.get_by_role("button", name="Legg til fravær").click()
    page.mouse.move(0, 0)  # no hover colour on the button just pressed
    page.screenshot(path=OUT / "fravaer.png", full_page=True)

    # The patient preview for Astrid's patients
    preview = context.new_page()
    preview.goto(f"/pasient/{STORGATA}?hpr={ASTRID}")
    preview.get_by_role("heading", name="Beskriv symptomene dine").wait_for()
    preview.get_by_role("radio").first.wait_for()
    preview.screenshot(path=OUT / "pasient.png", full_page=True)

    # Historikk: the form choice undone, so "Angret: …" comes first with its own ANGRE and
    # the choice itself (no longer in force) has none
    page.bring_to_front()
    page.get_by_role("tab", name="Historikk").click()
    page.get_by_role("row").filter(has_text="Valgte").get_by_role("button").click()
    page.get_by_role("dialog").get_by_role("button", name="Angre endringen").click()
    page.get_by_role("row").filter(has_text="Angret: Valgte").wait_for()
    page.mouse.move(0, 0)
    page.screenshot(path=OUT / "history.png", full_page=True)


def languages(context: Any) -> None:
    """A box with its English addition open, and the patient preview in English."""
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto(f"/?dev-hpr={ASTRID}")
    box = page.get_by_role("region", name="Reseptfornyelse", exact=True)
    box.get_by_label("Tilleggsinformasjon fra legekontor").fill(TEXTS["Reseptfornyelse"])
    box.get_by_role("button", name=re.compile("^English")).click()
    box.get_by_label("Tilleggsinformasjon på engelsk").fill(ENGLISH)
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="lagret")).to_be_visible()
    page.mouse.move(0, 0)
    page.evaluate("document.activeElement.blur()")
    box.screenshot(path=OUT / "info-til-pasient-sprak.png")

    preview = context.new_page()
    preview.goto(f"/pasient/{STORGATA}?hpr={ASTRID}&sprak=en")
    preview.get_by_role("heading", name="What do you need?").wait_for()
    preview.get_by_role("radio").first.wait_for()
    preview.screenshot(path=OUT / "pasient-english.png", full_page=True)


def main(argv: list[str] | None = None) -> int:
    """Every screenshot; with --sprak only the two of the languages."""
    only_languages = "--sprak" in (sys.argv[1:] if argv is None else argv)
    reason = why_no_browser()
    if reason:
        print(f"Kan ikke lage skjermbilder: {reason}", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as folder,
        demo_server(Path(folder)) as server,
        sync_playwright() as playwright,
    ):
        # Date fields follow Chromium's own language, from LANGUAGE (Debian's chromium-l10n
        # has the Norwegian one); without it they read mm/dd/yyyy.
        browser = playwright.chromium.launch(
            executable_path=chromium_path(),
            args=CHROMIUM_ARGS,
            env={**os.environ, "LANG": "nb_NO.UTF-8", "LANGUAGE": "nb"},
        )
        context = browser.new_context(
            base_url=server.base,
            locale="nb-NO",
            timezone_id="Europe/Oslo",
            viewport={"width": 1280, "height": 1000},
        )
        if not only_languages:
            admin_and_preview(context)
        languages(context)
        browser.close()
    for made in sorted(OUT.glob("*.png")):
        print(made.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
