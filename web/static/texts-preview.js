// Beside the boxes of "Info til pasient", on request ("Vis hvor teksten plasseres på
// Helsenorge"): the page of one box's service, or the GP panel, as the GP's own patients see it
// today, with the text being typed where it would show. It is what patients see: a scheduled
// text in force today stands in for the addition there too, so a GP is not led to think their
// typing is what patients read this week.

import { h, replace, srOnly } from "./dom.js";
import { shortDate } from "./format.js";
import { DEFAULT_LANGUAGE } from "./languages.js";
import { renderPanel, renderServicePage } from "./patient-view.js";

const PANEL_SLOT = "FASTLEGEPANEL";
const PLACEHOLDER = "Her vises tilleggsinformasjonen fra legekontoret når du skriver den.";

/**
 * typed(slot): the bokmål text in that slot's box, normalised, or null (the patient view beside
 * the boxes is the bokmål one). onShow(open): the pane was opened or closed. Returns { element,
 * toggle(text), show(slot), render(), typing(slot), forget() }.
 */
export function createTextsPreview(ctx, { typed, onShow }) {
  const toggles = new Map(); // slot → its "Vis hvor …" button
  let shownSlot = null;

  const body = h("div", { class: "preview-body" });
  const element = h(
    "aside",
    { id: "texts-preview", class: "preview-pane", "aria-labelledby": "texts-preview-heading", hidden: true },
    h(
      "div",
      { class: "preview-head" },
      h("h2", { id: "texts-preview-heading" }, "Slik ser det ut for pasientene dine"),
      h("button", { type: "button", class: "link-button", onclick: () => show(null) }, "Lukk forhåndsvisningen"),
    ),
    h("p", { class: "hint" }, "Med teksten du har skrevet, også før du lagrer. Fravær og skjema gjelder i dag for dine pasienter."),
    body,
  );

  /** The button under a box that opens (or closes) the pane on that box. */
  function toggle(text) {
    const button = h(
      "button",
      {
        type: "button",
        class: "link-button",
        "aria-controls": "texts-preview",
        "aria-expanded": "false",
        onclick: () => show(shownSlot === text.slot ? null : text.slot),
      },
      "Vis hvor teksten plasseres på Helsenorge",
      srOnly(` (${text.title})`),
    );
    toggles.set(text.slot, button);
    return button;
  }

  function show(slot) {
    shownSlot = slot;
    element.hidden = slot === null;
    onShow(slot !== null);
    for (const [key, button] of toggles) button.setAttribute("aria-expanded", String(key === slot));
    if (slot) render();
  }

  /** The GP typed in a box: the pane follows when it shows that box. */
  function typing(slot) {
    if (slot === shownSlot) render();
  }

  async function render() {
    const slot = shownSlot;
    if (!slot) return;
    let panel;
    try {
      panel = await ctx.patientPanel();
    } catch (error) {
      replace(body, h("p", { class: "field-error" }, error.message));
      return;
    }
    if (slot !== shownSlot) return;
    const draft = typed(slot);
    const options = { level: 3, placeholder: PLACEHOLDER };
    // The API's *Until is the last day of a scheduled text in force today, null for the
    // addition: only without one does the typing take the addition's place.
    if (slot === PANEL_SLOT) {
      const until = panel.panelTextUntil;
      const shown = until ? panel : { ...panel, panelText: draft, panelTextLanguage: DEFAULT_LANGUAGE, panelTextUntil: null };
      replace(body, scheduledNote(until), h("div", { class: "hn-screen" }, renderPanel(shown, { ...options, link: () => null })));
      return;
    }
    const service = panel.services.find((s) => s.service === slot);
    const until = service.practiceTextUntil;
    const shown = until
      ? service
      : { ...service, practiceText: draft, practiceTextLanguage: DEFAULT_LANGUAGE, practiceTextUntil: null };
    replace(body, scheduledNote(until), h("div", { class: "hn-screen" }, renderServicePage(shown, options)));
  }

  /** Why the typing is not in the view while a scheduled text is in force. */
  function scheduledNote(until) {
    if (!until) return null;
    return h(
      "p",
      { class: "hint" },
      `I dag ser pasientene en planlagt tekst, som gjelder til og med ${shortDate(until)}. ` +
        `Tilleggsinformasjonen i tekstboksen vises når ingen planlagt tekst gjelder, tidligst etter ${shortDate(until)}.`,
    );
  }

  /** The boxes are built anew (another practice, or the same read again). */
  function forget() {
    toggles.clear();
    show(null);
  }

  return { element, toggle, show, render, typing, forget };
}
