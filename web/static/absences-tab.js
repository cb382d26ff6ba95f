// "Fravær": register an absence ("LEGG TIL FRAVÆR") that switches services off for the
// practitioner's patients, list them ("Oversikt over fravær") and delete ("SLETT").

import { confirmAction } from "./dialog.js";
import { h, replace, srOnly } from "./dom.js";
import { shortDate, todayInOslo } from "./format.js";
import { ADD_ABSENCE, DELETE_ABSENCE } from "./queries.js";

const PANEL_SLOT = "FASTLEGEPANEL";

export function createAbsencesTab(ctx) {
  // Service names as the admin page writes them, in the order of the "Info til pasient" boxes;
  // every text slot but the GP panel is a service.
  let services = [];
  const status = h("p", { class: "status", role: "status" });
  const rows = h("tbody");
  const practitioner = h("select", { id: "absence-practitioner", "aria-describedby": "absence-practitioner-error" });
  const from = h("input", { id: "absence-from", type: "date", "aria-describedby": "absence-from-error" });
  const to = h("input", { id: "absence-to", type: "date", "aria-describedby": "absence-to-error" });
  const serviceBoxes = h("div", { class: "checkboxes" });
  const errors = {
    practitionerHpr: h("p", { id: "absence-practitioner-error", class: "field-error" }),
    from: h("p", { id: "absence-from-error", class: "field-error" }),
    to: h("p", { id: "absence-to-error", class: "field-error" }),
    services: h("p", { id: "absence-services-error", class: "field-error" }),
  };
  const controls = { practitionerHpr: practitioner, from, to, services: serviceBoxes };
  const formAlert = h("div", { class: "alert", role: "alert", hidden: true });
  const openButton = h(
    "button",
    { type: "button", class: "button", "aria-expanded": "false", "aria-controls": "absence-form", onclick: () => toggleForm(true) },
    "Legg til fravær",
  );
  const form = h(
    "form",
    { id: "absence-form", class: "card absence-form", novalidate: true, hidden: true, onsubmit: add },
    h("h3", {}, "Nytt fravær"),
    field("absence-practitioner", "Behandler", practitioner, errors.practitionerHpr),
    h(
      "div",
      { class: "date-fields" },
      field("absence-from", "Fra og med", from, errors.from),
      field("absence-to", "Til og med", to, errors.to),
    ),
    h(
      "fieldset",
      { "aria-describedby": "absence-services-error" },
      h("legend", {}, "Tjenester som skal skrus av"),
      serviceBoxes,
      errors.services,
    ),
    formAlert,
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "submit", class: "button" }, "Lagre fravær"),
      h("button", { type: "button", class: "button secondary", onclick: () => toggleForm(false) }, "Avbryt"),
    ),
  );
  const element = h(
    "div",
    {},
    h("h2", {}, "Fravær"),
    h(
      "p",
      {},
      "Registrer fravær når tjenester skal være midlertidig utilgjengelige for pasientene til en behandler, " +
        "for eksempel ved ferie uten vikar. Pasientene ser når tjenesten åpner igjen.",
    ),
    openButton,
    form,
    status,
    h("h3", { id: "absences-heading" }, "Oversikt over fravær"),
    h(
      "table",
      { class: "table", "aria-labelledby": "absences-heading" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Behandler", "Fra og med", "Til og med", "Tjenester"].map((title) => h("th", { scope: "col" }, title)),
          h("th", { scope: "col" }, srOnly("Slett")),
        ),
      ),
      rows,
    ),
  );

  function field(id, label, control, error) {
    return h("div", { class: "field" }, h("label", { for: id }, label), control, error);
  }

  function serviceNames(codes) {
    return services.filter((s) => codes.includes(s.slot)).map((s) => s.title).join(", ");
  }

  function row(absence) {
    const who = absence.practitioner.name;
    const period = `${shortDate(absence.from)}–${shortDate(absence.to)}`;
    return h(
      "tr",
      {},
      h("td", {}, who),
      h("td", {}, shortDate(absence.from)),
      h("td", {}, shortDate(absence.to)),
      h("td", {}, serviceNames(absence.services)),
      h(
        "td",
        { class: "actions" },
        h(
          "button",
          { type: "button", class: "button danger small", onclick: () => remove(absence, who, period) },
          "Slett",
          srOnly(` fraværet til ${who} ${period}`),
        ),
      ),
    );
  }

  function render(practice) {
    services = practice.texts.filter((t) => t.slot !== PANEL_SLOT);
    const empty = h("tr", {}, h("td", { colspan: "5" }, "Ingen registrert fravær."));
    replace(rows, practice.absences.length ? practice.absences.map(row) : empty);
  }

  function load(practice) {
    render(practice);
    const chosen = practitioner.value || String(ctx.me.hprNumber);
    replace(
      practitioner,
      practice.practitioners.map((p) => h("option", { value: p.hprNumber }, p.name)),
    );
    if (practice.practitioners.some((p) => String(p.hprNumber) === chosen)) practitioner.value = chosen;
    replace(
      serviceBoxes,
      services.map((s) =>
        h(
          "div",
          { class: "choice" },
          h("input", { type: "checkbox", id: `absence-service-${s.slot}`, name: "services", value: s.slot }),
          h("label", { for: `absence-service-${s.slot}` }, s.title),
        ),
      ),
    );
    toggleForm(false);
    status.textContent = "";
  }

  function clearErrors() {
    formAlert.hidden = true;
    for (const [name, error] of Object.entries(errors)) {
      error.textContent = "";
      if (name !== "services") controls[name].removeAttribute("aria-invalid");
    }
  }

  function toggleForm(open) {
    form.hidden = !open;
    openButton.setAttribute("aria-expanded", String(open));
    clearErrors();
    if (open) {
      from.value ||= todayInOslo();
      practitioner.focus();
    } else if (form.contains(document.activeElement)) {
      openButton.focus();
    }
  }

  function showError(name, message) {
    errors[name].textContent = message;
    if (name !== "services") controls[name].setAttribute("aria-invalid", "true");
  }

  async function add(event) {
    event.preventDefault();
    clearErrors();
    const chosen = [...serviceBoxes.querySelectorAll("input:checked")].map((box) => box.value);
    if (!from.value) showError("from", "Skriv inn første dag av fraværet.");
    if (!to.value) showError("to", "Skriv inn siste dag av fraværet.");
    if (!from.value || !to.value) {
      (from.value ? to : from).focus();
      return;
    }
    const input = {
      herId: ctx.herId,
      practitionerHpr: Number(practitioner.value),
      from: from.value,
      to: to.value,
      services: chosen,
    };
    let payload;
    try {
      payload = (await ctx.api(ADD_ABSENCE, { input })).addAbsence;
    } catch (error) {
      replace(formAlert, h("p", {}, error.message));
      formAlert.hidden = false;
      return;
    }
    if (payload.userErrors.length) {
      for (const error of payload.userErrors) {
        const name = error.field[0];
        if (name in errors) showError(name, error.message);
        else {
          formAlert.append(h("p", {}, error.message));
          formAlert.hidden = false;
        }
      }
      const first = payload.userErrors[0].field[0];
      (first === "services" ? serviceBoxes.querySelector("input") : controls[first] ?? formAlert)?.focus?.();
      return;
    }
    const who = practitioner.selectedOptions[0]?.textContent ?? "";
    ctx.ownChange(payload.practice);
    from.value = "";
    to.value = "";
    for (const box of serviceBoxes.querySelectorAll("input")) box.checked = false;
    toggleForm(false);
    openButton.focus();
    status.textContent = `Fraværet er lagt til. Tjenestene er skrudd av for pasientene til ${who} i perioden.`;
  }

  async function remove(absence, who, period) {
    const sure = await confirmAction({
      title: "Slette fraværet?",
      message: `${who}, ${period}: ${serviceNames(absence.services)}. Tjenestene blir tilgjengelige igjen for pasientene.`,
      confirmLabel: "Slett fraværet",
    });
    if (!sure) return;
    let payload;
    try {
      payload = (await ctx.api(DELETE_ABSENCE, { input: { herId: ctx.herId, id: absence.id } })).deleteAbsence;
    } catch (error) {
      status.textContent = error.message;
      return;
    }
    if (payload.userErrors.length) {
      status.textContent = payload.userErrors.map((e) => e.message).join(" ");
      if (payload.practice) render(payload.practice);
      return;
    }
    ctx.ownChange(payload.practice);
    status.textContent = `Fraværet til ${who} ${period} er slettet.`;
    openButton.focus();
  }

  return { element, load, refresh: render };
}
