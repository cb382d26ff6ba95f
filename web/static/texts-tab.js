// "Info til pasient": per text slot the standard text, the practice's addition with a live
// counter, and beside it (on request) the patient's view (texts-preview.js). "LAGRE" saves
// every box in one saveTexts, all or nothing; "AVBRYT" puts back what is saved. Under each box
// its scheduled texts (scheduled-texts.js), which are saved on their own. Each box holds the
// bokmål addition and, one click away, the same in the other languages (translations.js).
//
// A save carries the version the page read (expectedVersion), so that nobody's change is lost
// unseen. When a colleague changed the practice meanwhile, the page reads it again and saves
// what the GP typed on top, unless the colleague changed the same box: then the GP chooses
// (text-conflicts.js).

import { updateCounter } from "./counter.js";
import { h, replace, richText } from "./dom.js";
import { normalisedText, quote } from "./format.js";
import { DEFAULT_LANGUAGE, langTag, languageOf } from "./languages.js";
import { PRACTICE, SAVE_TEXTS } from "./queries.js";
import { createScheduledTexts } from "./scheduled-texts.js";
import { conflictMessages, sortBox } from "./text-conflicts.js";
import { createTextsPreview } from "./texts-preview.js";
import { createTranslations } from "./translations.js";

const PANEL_SLOT = "FASTLEGEPANEL";
// Colleagues saving again and again while the page catches up: after this many tries the GP is
// asked to try later rather than the page going on for ever.
const SAVE_TRIES = 3;

export function createTextsTab(ctx) {
  // slot → { text, fields, scheduled }; fields: language code → { textarea, counter,
  // error, show }, bokmål first.
  const boxes = new Map();
  // "SLOT/NB" → the saved addition ("" for none): what the boxes held when the GP loaded them,
  // or when the page last caught up with a colleague; what a box is edited against.
  let saved = new Map();
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
  const preview = createTextsPreview(ctx, {
    typed: (slot) => normalisedText(boxes.get(slot)?.fields.get(DEFAULT_LANGUAGE).textarea.value ?? "") || null,
    onShow: (open) => element.classList.toggle("with-preview", open),
  });
  const element = h("div", { class: "texts-layout" }, editor, preview.element);

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
      preview.typing(text.slot);
    });
    const translations = createTranslations(text);
    const scheduled = createScheduledTexts(ctx, text);
    const fields = new Map([[DEFAULT_LANGUAGE, { code: DEFAULT_LANGUAGE, textarea, counter, error, show() {} }]]);
    for (const [code, field] of translations.fields) fields.set(code, field);
    boxes.set(text.slot, { text, fields, scheduled });
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
      preview.toggle(text),
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
    preview.forget();
    replace(slotsContainer, practice.texts.map(slotSection));
    restore();
    showScheduled(practice);
    clearErrors();
    status.textContent = "";
  }

  function refresh(practice) {
    // The practice changed (a scheduled text here, or another tab): the boxes keep what the GP
    // typed; the scheduled texts and the patient view may look different now.
    showScheduled(practice);
    preview.render();
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
    preview.render();
  }

  function cancel() {
    clearErrors();
    const changed = isDirty();
    restore();
    status.textContent = changed ? "Endringene er forkastet. Tekstene er som sist lagret." : "Ingen endringer å forkaste.";
  }

  async function save(event) {
    event?.preventDefault();
    if (saving) return;
    saving = true;
    clearErrors();
    status.textContent = "Lagrer …";
    try {
      for (let tries = 1; ; tries += 1) {
        const entries = allFields();
        const payload = (await ctx.api(SAVE_TEXTS, { input: saveInput(entries) })).saveTexts;
        // STALE_VERSION speaks of version numbers; a GP is never shown it. Other errors (a text
        // too long) are shown once the page has caught up, by the save after it.
        if (!payload.userErrors.some((error) => error.code === "STALE_VERSION")) {
          afterSave(payload, entries);
          return;
        }
        if (tries === SAVE_TRIES) {
          status.textContent = "";
          showAlert(
            h(
              "p",
              {},
              "Kolleger endrer innstillingene for legekontoret akkurat nå, så ingenting ble lagret. " +
                "Det du har skrevet, står fortsatt i tekstboksene. Prøv å lagre igjen om litt.",
            ),
          );
          return;
        }
        const conflicts = await catchUp();
        if (conflicts === null) return; // another practice was chosen meanwhile
        if (conflicts.length) {
          status.textContent = "";
          showConflicts(conflicts);
          return;
        }
      }
    } catch (error) {
      status.textContent = "";
      showAlert([h("p", {}, error.message)]);
    } finally {
      saving = false;
    }
  }

  /** Every box in every language: the server keeps what has not changed as it is, and an
   * emptied one is no addition. Errors name an input by its index in this list. */
  function saveInput(entries) {
    return {
      herId: ctx.herId,
      expectedVersion: ctx.version,
      texts: entries.map(({ slot, code, field }) =>
        code === DEFAULT_LANGUAGE ? { slot, text: field.textarea.value } : { slot, language: code, text: field.textarea.value },
      ),
    };
  }

  function afterSave(payload, entries) {
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
  }

  /**
   * A colleague changed the practice since the page read it: read it again, show the
   * colleague's texts in the boxes the GP left alone, keep the GP's typing in the others, and
   * give every tab the practice as it now stands. Returns the boxes both changed (to choose
   * between), or null when the GP moved to another practice meanwhile.
   */
  async function catchUp() {
    const herId = ctx.herId;
    const practice = (await ctx.api(PRACTICE, { herId })).practice;
    if (herId !== ctx.herId) return null;
    const theirs = savedTexts(practice);
    const conflicts = [];
    for (const { slot, code, field } of allFields()) {
      const key = `${slot}/${code}`;
      const now = theirs.get(key) ?? "";
      const outcome = sortBox(saved.get(key) ?? "", field.textarea.value, now);
      if (outcome === "theirs") {
        field.textarea.value = now;
        if (now) field.show(true);
      } else if (outcome === "conflict") {
        field.show(true);
        conflicts.push({ name: boxName(slot, code), lang: langTag(code), field, mine: field.textarea.value, theirs: now });
      }
    }
    saved = theirs;
    for (const slot of boxes.keys()) update(slot);
    // The next save is against what the page now shows; the other tabs show it too, so their
    // own changes are not made on what the colleague has changed already.
    ctx.version = practice.version;
    ctx.ownChange(practice);
    return conflicts;
  }

  /** «Reseptfornyelse», or «Reseptfornyelse» (engelsk) for another language's box. */
  function boxName(slot, code) {
    const title = quote(boxes.get(slot).text.title);
    return code === DEFAULT_LANGUAGE ? title : `${title} (${languageOf(code).inNorwegian})`;
  }

  function showConflicts(conflicts) {
    let open = conflicts.length;
    const messages = conflictMessages(conflicts, (conflict, keepMine) => {
      if (!keepMine) conflict.field.textarea.value = conflict.theirs;
      for (const slot of boxes.keys()) update(slot);
      open -= 1;
      if (open > 0) return;
      // Every box is settled: save them all, against the version just read.
      saveButton.focus();
      save();
    });
    showAlert(messages);
    messages[0].querySelector("button").focus();
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
      // STALE_VERSION never comes here: save() catches up with the colleague first.
      if (box) {
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

  return { element, load, refresh, isDirty, typed, keepTyping };
}
