// "Planlagt tekst" under one box of "Info til pasient": the scheduled texts of that slot, each
// with "SLETT", and "LEGG TIL PLANLAGT TEKST". A scheduled text stands in for the box's addition
// on the dates it covers and then goes by itself, so a holiday notice need not be removed by hand.
// These changes are saved at once, on their own: typing in the boxes above stays unsaved.

import { confirmAction } from "./dialog.js";
import { updateCounter } from "./counter.js";
import { h, replace, srOnly } from "./dom.js";
import { normalisedText, quote, shortDate, todayInOslo } from "./format.js";
import { DEFAULT_LANGUAGE, LANGUAGES, langTag, languageOf } from "./languages.js";
import { ADD_SCHEDULED_TEXT, DELETE_SCHEDULED_TEXT } from "./queries.js";

const OSLO_DAY = new Intl.DateTimeFormat("nb-NO", {
  timeZone: "Europe/Oslo",
  day: "2-digit",
  month: "2-digit",
  year: "numeric",
});

function period(item) {
  return `${shortDate(item.from)}–${shortDate(item.to)}`;
}

/** text: the slot as practice.texts has it ({ slot, title, maxLength }). */
export function createScheduledTexts(ctx, text) {
  const id = `slot-${text.slot}-sched`;
  const ids = {
    form: `${id}-form`,
    open: `${id}-open`,
    heading: `${id}-heading`,
    text: `${id}-text`,
    count: `${id}-count`,
    from: `${id}-from`,
    to: `${id}-to`,
    language: `${id}-language`,
  };
  let busy = false;

  const list = h("ul", { class: "scheduled-list", "aria-label": `Planlagte tekster for ${text.title}` });
  const listAlert = h("div", { class: "alert", role: "alert", hidden: true });
  const status = h("p", { class: "status", role: "status" });
  const textarea = h("textarea", {
    id: ids.text,
    rows: 3,
    "aria-describedby": `${ids.count} ${ids.text}-error`,
    oninput: () => updateCounter(counter, textarea.value, text.maxLength),
  });
  const counter = h("p", { id: ids.count, class: "counter" });
  // Bokmål unless chosen; two texts of the same box overlap only in the same language.
  const language = h(
    "select",
    {
      id: ids.language,
      onchange: () => textarea.setAttribute("lang", langTag(language.value)),
    },
    LANGUAGES.map((each) =>
      h("option", { value: each.code, lang: each.code === DEFAULT_LANGUAGE ? null : each.lang }, each.name),
    ),
  );
  const from = h("input", { id: ids.from, type: "date", "aria-describedby": `${ids.from}-error` });
  const to = h("input", { id: ids.to, type: "date", "aria-describedby": `${ids.to}-error` });
  const controls = { text: textarea, from, to };
  const errors = Object.fromEntries(
    Object.keys(controls).map((name) => [name, h("p", { id: `${ids[name]}-error`, class: "field-error" })]),
  );
  const formAlert = h("div", { class: "alert", role: "alert", hidden: true });
  const openButton = h(
    "button",
    {
      id: ids.open,
      type: "button",
      class: "button secondary",
      "aria-expanded": "false",
      "aria-controls": ids.form,
      onclick: () => toggleForm(true),
    },
    "Legg til planlagt tekst",
    srOnly(` for ${text.title}`),
  );
  const form = h(
    "form",
    { id: ids.form, class: "scheduled-form", "aria-labelledby": ids.heading, novalidate: true, hidden: true, onsubmit: add },
    h("h4", { id: ids.heading }, "Ny planlagt tekst", srOnly(` for ${text.title}`)),
    h(
      "p",
      { class: "hint" },
      "Vises for pasientene i stedet for tilleggsinformasjonen fra og med første til og med siste dag, og forsvinner av seg selv etterpå.",
    ),
    h("div", { class: "field" }, h("label", { for: ids.language }, "Språk"), language),
    h("label", { for: ids.text }, "Tekst som skal vises i perioden"),
    textarea,
    h("div", { class: "below-box" }, errors.text, counter),
    h(
      "div",
      { class: "date-fields" },
      field(ids.from, "Fra og med", from, errors.from),
      field(ids.to, "Til og med", to, errors.to),
    ),
    formAlert,
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "submit", class: "button" }, "Lagre planlagt tekst"),
      h("button", { type: "button", class: "button secondary", onclick: () => toggleForm(false) }, "Avbryt"),
    ),
  );
  const element = h("div", { class: "scheduled" }, list, listAlert, status, openButton, form);
  updateCounter(counter, "", text.maxLength);

  function field(controlId, label, control, error) {
    return h("div", { class: "field" }, h("label", { for: controlId }, label), control, error);
  }

  function item(scheduled, names) {
    const other = scheduled.language === DEFAULT_LANGUAGE ? null : languageOf(scheduled.language);
    const today = todayInOslo();
    const now = scheduled.from <= today && today <= scheduled.to;
    const who = names.get(scheduled.createdByHpr) ?? `HPR ${scheduled.createdByHpr}`;
    const when = OSLO_DAY.format(new Date(scheduled.createdAt.replace(/(\.\d{3})\d+/, "$1")));
    return h(
      "li",
      { class: "scheduled-item" },
      h("p", { class: "scheduled-head" }, h("span", { class: "scheduled-label" }, "Planlagt tekst"), " ", period(scheduled), other ? ` (${other.inNorwegian})` : ""),
      h("p", { class: "scheduled-text", lang: other?.lang }, scheduled.text),
      h(
        "p",
        { class: "hint" },
        now ? "Vises for pasientene nå. " : "",
        `Lagt inn ${when} av ${who}.`,
      ),
      h(
        "button",
        { type: "button", class: "button danger small", onclick: () => remove(scheduled) },
        "Slett",
        srOnly(` planlagt tekst ${period(scheduled)} for ${text.title}`),
      ),
    );
  }

  /** The slot's scheduled texts as the practice now stands; the form keeps what is typed. */
  function render(practice) {
    const names = new Map(practice.practitioners.map((p) => [p.hprNumber, p.name]));
    const mine = practice.scheduledTexts.filter((s) => s.slot === text.slot);
    replace(list, mine.map((s) => item(s, names)));
    list.hidden = mine.length === 0;
  }

  function clearErrors() {
    formAlert.hidden = true;
    formAlert.replaceChildren();
    for (const [name, error] of Object.entries(errors)) {
      error.textContent = "";
      controls[name].removeAttribute("aria-invalid");
    }
  }

  function toggleForm(open) {
    form.hidden = !open;
    openButton.setAttribute("aria-expanded", String(open));
    clearErrors();
    if (open) {
      status.textContent = "";
      from.value ||= todayInOslo();
      textarea.focus();
    } else if (form.contains(document.activeElement)) {
      openButton.focus();
    }
  }

  function showError(name, message) {
    errors[name].textContent = message;
    controls[name].setAttribute("aria-invalid", "true");
  }

  function showAlert(box, content) {
    replace(box, content);
    box.hidden = false;
  }

  /** A colleague changed the practice since the page read it: explained, with a reload. The
   * API's own message (STALE_VERSION) speaks of version numbers, so it is not shown. */
  function stale(what) {
    return [
      h(
        "p",
        {},
        `En kollega har endret innstillingene for legekontoret etter at du åpnet siden, så ingenting ble ${what}. ` +
          "Last inn på nytt for å se det som gjelder nå. Det du har skrevet uten å lagre, blir da erstattet: kopier det først om du vil ta vare på det.",
      ),
      h("button", { type: "button", class: "button", onclick: reload }, "Last inn på nytt"),
    ];
  }

  async function reload() {
    await ctx.reload();
    // The boxes are built anew: focus goes to the same place in the new ones.
    document.getElementById(ids.open)?.focus();
  }

  async function add(event) {
    event.preventDefault();
    if (busy) return;
    clearErrors();
    if (!normalisedText(textarea.value)) showError("text", "Skriv teksten som skal vises i perioden.");
    if (!from.value) showError("from", "Skriv inn første dag teksten skal vises.");
    if (!to.value) showError("to", "Skriv inn siste dag teksten skal vises.");
    const missing = ["text", "from", "to"].find((name) => controls[name].hasAttribute("aria-invalid"));
    if (missing) {
      controls[missing].focus();
      return;
    }
    const input = {
      herId: ctx.herId,
      slot: text.slot,
      language: language.value,
      text: textarea.value,
      from: from.value,
      to: to.value,
      expectedVersion: ctx.version,
    };
    busy = true;
    let payload;
    try {
      payload = (await ctx.api(ADD_SCHEDULED_TEXT, { input })).addScheduledText;
    } catch (error) {
      showAlert(formAlert, h("p", {}, error.message));
      return;
    } finally {
      busy = false;
    }
    if (payload.userErrors.length) {
      refused(payload.userErrors);
      return;
    }
    const shown = `${shortDate(input.from)} til og med ${shortDate(input.to)}`;
    ctx.ownChange(payload.practice);
    textarea.value = "";
    from.value = "";
    to.value = "";
    language.value = DEFAULT_LANGUAGE;
    textarea.setAttribute("lang", langTag(DEFAULT_LANGUAGE));
    updateCounter(counter, "", text.maxLength);
    toggleForm(false);
    openButton.focus();
    status.textContent = `Den planlagte teksten er lagt til. Pasientene ser den fra og med ${shown}.`;
  }

  function refused(userErrors) {
    const general = [];
    let first = null;
    for (const error of userErrors) {
      const name = error.field[0];
      if (error.code === "STALE_VERSION") general.push(stale("lagt til"));
      else if (name in controls) {
        showError(name, error.message);
        first ??= controls[name];
      } else general.push(h("p", {}, error.message));
    }
    if (general.length) showAlert(formAlert, general);
    first?.focus();
  }

  async function remove(scheduled) {
    if (busy) return;
    const sure = await confirmAction({
      title: "Slette den planlagte teksten?",
      message:
        `${text.title}, ${period(scheduled)}: ${quote(scheduled.text)}. ` +
        "Pasientene ser da tilleggsinformasjonen (om det er skrevet noen) i stedet.",
      confirmLabel: "Slett den planlagte teksten",
    });
    if (!sure) return;
    busy = true;
    listAlert.hidden = true;
    status.textContent = "";
    let payload;
    try {
      const input = { herId: ctx.herId, id: scheduled.id, expectedVersion: ctx.version };
      payload = (await ctx.api(DELETE_SCHEDULED_TEXT, { input })).deleteScheduledText;
    } catch (error) {
      showAlert(listAlert, h("p", {}, error.message));
      return;
    } finally {
      busy = false;
    }
    if (payload.userErrors.length) {
      showAlert(
        listAlert,
        payload.userErrors.map((error) =>
          error.code === "STALE_VERSION" ? stale("slettet") : h("p", {}, error.message),
        ),
      );
      return;
    }
    ctx.ownChange(payload.practice);
    // The button pressed is gone with its item.
    openButton.focus();
    status.textContent = `Den planlagte teksten ${period(scheduled)} er slettet.`;
  }

  return { element, render };
}
