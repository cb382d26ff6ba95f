// "Info til pasient": per text slot the standard text, the practice's addition with a live
// counter, and beside it (on request) the patient's view with the unsaved text. "LAGRE" saves
// every box in one saveTexts, all or nothing; "AVBRYT" puts back what is saved. Under each box
// its scheduled texts (scheduled-texts.js), which are saved on their own. Each box holds the
// bokmål addition and, one click away, the same in the other languages (translations.js).

import { updateCounter } from "./counter.js";
import { h, replace, richText, srOnly } from "./dom.js";
import { normalisedText } from "./format.js";
import { DEFAULT_LANGUAGE } from "./languages.js";
import { renderPanel, renderServicePage } from "./patient-view.js";
import { SAVE_TEXTS } from "./queries.js";
import { createScheduledTexts } from "./scheduled-texts.js";
import { createTranslations } from "./translations.js";

const PANEL_SLOT = "FASTLEGEPANEL";
const PLACEHOLDER = "Her vises tilleggsinformasjonen fra legekontoret når du skriver den.";

export function createTextsTab(ctx) {
  // slot → { text, fields, toggle, scheduled }; fields: language code → { textarea, counter,
  // error, show }, bokmål first.
  const boxes = new Map();
  let saved = new Map(); // "SLOT/NB" → the saved addition ("" for none)
  let previewSlot = null;
  let saving = false;

  const slotsContainer = h("div", { class: "slots" });
  const alert = h("div", { class: "alert", role: "alert", hidden: true });
  const status = h("p", { class: "status", role: "status" });
  const saveButton = h("button", { type: "submit", class: "button" }, "Lagre");
  const cancelButton = h("button", { type: "button", class: "button secondary", onclick: cancel }, "Avbryt");
  // Only the buttons are a form: each box's "Ny planlagt tekst" is a form of its own, and
  // forms cannot nest.
  const editor = h(
    "div",
    { class: "texts-form" },
    h("h2", {}, "Tilpass informasjon til pasienter på Helsenorge"),
    slotsContainer,
    h(
      "form",
      { novalidate: true, onsubmit: save },
      alert,
      h("div", { class: "buttons" }, saveButton, cancelButton),
      status,
    ),
  );
  const previewBody = h("div", { class: "preview-body" });
  const previewPane = h(
    "aside",
    { id: "texts-preview", class: "preview-pane", "aria-labelledby": "texts-preview-heading", hidden: true },
    h(
      "div",
      { class: "preview-head" },
      h("h2", { id: "texts-preview-heading" }, "Slik ser det ut for pasientene dine"),
      h("button", { type: "button", class: "link-button", onclick: () => showPreview(null) }, "Lukk forhåndsvisningen"),
    ),
    h("p", { class: "hint" }, "Med teksten du har skrevet, også før du lagrer. Fravær og skjema gjelder i dag for dine pasienter."),
    previewBody,
  );
  const element = h("div", { class: "texts-layout" }, editor, previewPane);

  function slotSection(text) {
    const id = `slot-${text.slot}`;
    const counter = h("p", { id: `${id}-count`, class: "counter" });
    const error = h("p", { id: `${id}-error`, class: "field-error" });
    const textarea = h("textarea", {
      id: `${id}-text`,
      name: text.slot,
      rows: text.slot === PANEL_SLOT ? 3 : 4,
      "aria-describedby": `${id}-count ${id}-error`,
    });
    textarea.value = text.text ?? "";
    textarea.addEventListener("input", () => {
      update(text.slot);
      if (previewSlot === text.slot) renderPreview();
    });
    const translations = createTranslations(text);
    const toggle = h(
      "button",
      {
        type: "button",
        class: "link-button",
        "aria-controls": "texts-preview",
        "aria-expanded": "false",
        onclick: () => showPreview(previewSlot === text.slot ? null : text.slot),
      },
      "Vis hvor teksten plasseres på Helsenorge",
      srOnly(` (${text.title})`),
    );
    const scheduled = createScheduledTexts(ctx, text);
    const fields = new Map([[DEFAULT_LANGUAGE, { code: DEFAULT_LANGUAGE, textarea, counter, error, show() {} }]]);
    for (const [code, field] of translations.fields) fields.set(code, field);
    boxes.set(text.slot, { text, fields, toggle, scheduled });
    const offered =
      text.slot === PANEL_SLOT
        ? null
        : text.offered
          ? h("p", { class: "offered" }, h("span", { "aria-hidden": "true" }, "✓ "), "Du tilbyr tjenesten")
          : h("p", { class: "not-offered" }, "Legekontoret tilbyr ikke denne tjenesten på Helsenorge ennå.");
    return h(
      "section",
      { class: "slot card", "aria-labelledby": `${id}-heading` },
      h("h3", { id: `${id}-heading` }, text.title),
      offered,
      h("p", { class: "label" }, "Standardtekst som vises på Helsenorge (ikke redigerbar)"),
      text.standardText ? richText(text.standardText, "standard-text") : h("div", { class: "standard-text" }, "Ingen"),
      h("label", { for: `${id}-text` }, "Tilleggsinformasjon fra legekontor", h("span", { class: "label-note" }, " (bokmål)")),
      textarea,
      h("div", { class: "below-box" }, error, counter),
      translations.element,
      toggle,
      scheduled.element,
    );
  }

  function update(slot) {
    const { text, fields } = boxes.get(slot);
    for (const { textarea, counter } of fields.values()) updateCounter(counter, textarea.value, text.maxLength);
  }

  /** Every text box of every slot, as { slot, code, field }. */
  function allFields() {
    return [...boxes].flatMap(([slot, box]) => [...box.fields].map(([code, field]) => ({ slot, code, field })));
  }

  /** The saved additions by "SLOT/LANGUAGE", bokmål from `text`, the others from `translations`. */
  function savedTexts(practice) {
    return new Map(
      practice.texts.flatMap((t) => [
        [`${t.slot}/${DEFAULT_LANGUAGE}`, t.text ?? ""],
        ...t.translations.map((other) => [`${t.slot}/${other.language}`, other.text ?? ""]),
      ]),
    );
  }

  /** The bokmål drafts: the patient view beside the boxes is the bokmål one. */
  function drafts() {
    return new Map(
      [...boxes].map(([slot, box]) => [slot, normalisedText(box.fields.get(DEFAULT_LANGUAGE).textarea.value) || null]),
    );
  }

  /** What the GP typed that is not saved, by "SLOT/LANGUAGE". */
  function typed() {
    const changed = {};
    for (const { slot, code, field } of allFields()) {
      const key = `${slot}/${code}`;
      if (field.textarea.value !== (saved.get(key) ?? "")) changed[key] = field.textarea.value;
    }
    return changed;
  }

  /** Puts typing back into the boxes (kept while the GP signed in again); not saved yet. */
  function keepTyping(values) {
    for (const { slot, code, field } of allFields()) {
      const value = values[`${slot}/${code}`];
      if (typeof value !== "string") continue;
      field.textarea.value = value;
      field.show(true);
    }
    for (const slot of boxes.keys()) update(slot);
    status.textContent = "Det du skrev før du logget inn på nytt, står i tekstboksene. Trykk Lagre for å lagre det.";
  }

  function isDirty() {
    return allFields().some(({ slot, code, field }) => field.textarea.value !== (saved.get(`${slot}/${code}`) ?? ""));
  }

  function clearErrors() {
    alert.hidden = true;
    alert.replaceChildren();
    for (const { field } of allFields()) {
      field.error.textContent = "";
      field.textarea.removeAttribute("aria-invalid");
    }
  }

  function load(practice) {
    saved = savedTexts(practice);
    boxes.clear();
    replace(slotsContainer, practice.texts.map(slotSection));
    showPreview(null);
    restore();
    showScheduled(practice);
    clearErrors();
    status.textContent = "";
  }

  function refresh(practice) {
    // The practice changed (a scheduled text here, or another tab): the boxes keep what the GP
    // typed; the scheduled texts and the patient view may look different now.
    showScheduled(practice);
    if (previewSlot) renderPreview();
  }

  function showScheduled(practice) {
    for (const box of boxes.values()) box.scheduled.render(practice);
  }

  /** Back to what is saved; a language that holds text is shown open. */
  function restore() {
    for (const { slot, code, field } of allFields()) {
      field.textarea.value = saved.get(`${slot}/${code}`) ?? "";
      if (field.textarea.value) field.show(true);
    }
    for (const slot of boxes.keys()) update(slot);
    if (previewSlot) renderPreview();
  }

  function cancel() {
    clearErrors();
    const changed = isDirty();
    restore();
    status.textContent = changed ? "Endringene er forkastet. Tekstene er som sist lagret." : "Ingen endringer å forkaste.";
  }

  async function save(event) {
    event.preventDefault();
    if (saving) return;
    saving = true;
    clearErrors();
    status.textContent = "Lagrer …";
    // Every box in every language: the server keeps what has not changed as it is, and an
    // emptied one is no addition. Errors name an input by its index in this list.
    const entries = allFields();
    const input = {
      herId: ctx.herId,
      expectedVersion: ctx.version,
      texts: entries.map(({ slot, code, field }) =>
        code === DEFAULT_LANGUAGE ? { slot, text: field.textarea.value } : { slot, language: code, text: field.textarea.value },
      ),
    };
    try {
      const payload = (await ctx.api(SAVE_TEXTS, { input })).saveTexts;
      if (payload.userErrors.length) {
        status.textContent = "";
        showErrors(payload.userErrors, entries);
        return;
      }
      ctx.version = payload.practice.version;
      ctx.preview = null;
      saved = savedTexts(payload.practice);
      restore();
      status.textContent = "Endringene er lagret og vises for pasientene.";
    } catch (error) {
      status.textContent = "";
      showAlert([h("p", {}, error.message)]);
    } finally {
      saving = false;
    }
  }

  function showAlert(content) {
    replace(alert, content);
    alert.hidden = false;
  }

  function showErrors(errors, entries) {
    const general = [];
    let first = null;
    for (const error of errors) {
      const [name, index] = error.field ?? [];
      const box = name === "texts" ? entries[Number(index)]?.field : null;
      if (error.code === "STALE_VERSION") {
        general.push(
          h("p", {}, error.message),
          h(
            "p",
            {},
            "En kollega har endret innstillingene for legekontoret etter at du åpnet siden, så ingenting ble lagret. " +
              "Last inn på nytt for å se det som gjelder nå. Det du har skrevet, blir da erstattet: kopier det først om du vil ta vare på det.",
          ),
          h("button", { type: "button", class: "button", onclick: () => ctx.reload() }, "Last inn på nytt"),
        );
      } else if (box) {
        box.show(true);
        box.error.textContent = error.message;
        box.textarea.setAttribute("aria-invalid", "true");
        first ??= box.textarea;
      } else {
        general.push(h("p", {}, error.message));
      }
    }
    if (first) general.unshift(h("p", {}, "Ingenting ble lagret. Rett feilen ved tekstboksen og lagre på nytt."));
    showAlert(general);
    first?.focus();
  }

  function showPreview(slot) {
    previewSlot = slot;
    previewPane.hidden = slot === null;
    element.classList.toggle("with-preview", slot !== null);
    for (const [key, box] of boxes) box.toggle.setAttribute("aria-expanded", String(key === slot));
    if (slot) renderPreview();
  }

  async function renderPreview() {
    const slot = previewSlot;
    let panel;
    try {
      panel = await ctx.patientPanel();
    } catch (error) {
      replace(previewBody, h("p", { class: "field-error" }, error.message));
      return;
    }
    if (slot !== previewSlot) return;
    const typed = drafts();
    const options = { level: 3, placeholder: PLACEHOLDER };
    if (slot === PANEL_SLOT) {
      const shown = { ...panel, panelText: typed.get(slot), panelTextLanguage: DEFAULT_LANGUAGE, panelTextUntil: null };
      replace(previewBody, h("div", { class: "hn-screen" }, renderPanel(shown, { ...options, link: () => null })));
      return;
    }
    const service = panel.services.find((s) => s.service === slot);
    const shown = { ...service, practiceText: typed.get(slot), practiceTextLanguage: DEFAULT_LANGUAGE, practiceTextUntil: null };
    replace(previewBody, h("div", { class: "hn-screen" }, renderServicePage(shown, options)));
  }

  return { element, load, refresh, isDirty, typed, keepTyping };
}
