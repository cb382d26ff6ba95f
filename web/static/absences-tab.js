// "Fravær": register an absence ("LEGG TIL FRAVÆR") that switches services off for the
// practitioner's patients, list them ("Oversikt over fravær") and delete ("SLETT"). Services are
// named as everywhere on the admin page (service-names.js).

import { confirmAction } from "./dialog.js";
import { h, replace, srOnly } from "./dom.js";
import { shortDate, todayInOslo } from "./format.js";
import { PAGE_CONFIG, guideLink } from "./page-config.js";
import { ADD_ABSENCE, DELETE_ABSENCE } from "./queries.js";
import { absenceServices, serviceNames } from "./service-names.js";

const COLUMNS = ["Behandler", "Fra og med", "Til og med", "Tjenester"];

export function createAbsencesTab(ctx) {
  // One change at a time: a second press of "Lagre fravær" while the first is on its way would
  // register the absence twice, or refuse it as overlapping itself.
  let busy = false;
  // The outcome of the last add or delete: a success in `status`, a refused delete in `outcomeAlert`.
  const status = h("p", { class: "status", role: "status" });
  const outcomeAlert = h("div", { class: "alert", role: "alert", hidden: true });
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
    outcomeAlert,
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
          COLUMNS.map((title) => h("th", { scope: "col" }, title)),
          h("th", { scope: "col" }, srOnly("Slett")),
        ),
      ),
      rows,
    ),
    guide(),
  );

  /** The guide's pointer to its own guide for absences, at the address in the settings. */
  function guide() {
    if (!PAGE_CONFIG.absenceGuideUrl) return null;
    return [
      h("h3", {}, "Hvordan registrere midlertidig fravær"),
      h(
        "p",
        {},
        "For veiledning til hvordan du registrerer fravær i Tilpass Helsenorge (tidligere Helsetilbud), " +
          "kan du følge denne veilederen: ",
        guideLink(PAGE_CONFIG.absenceGuideUrl, "Veileder for fraværsregistrering"),
      ),
    ];
  }

  function field(id, label, control, error) {
    return h("div", { class: "field" }, h("label", { for: id }, label), control, error);
  }

  function row(absence) {
    const who = absence.practitioner.name;
    const period = `${shortDate(absence.from)}–${shortDate(absence.to)}`;
    // data-label: on a phone the rows stand as cards, and the two dates need their names.
    const cells = [who, shortDate(absence.from), shortDate(absence.to), serviceNames(absence.services)];
    return h(
      "tr",
      {},
      cells.map((value, index) => h("td", { "data-label": COLUMNS[index] }, value)),
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
      absenceServices().map((s) =>
        h(
          "div",
          { class: "choice" },
          h("input", { type: "checkbox", id: `absence-service-${s.code}`, name: "services", value: s.code }),
          h("label", { for: `absence-service-${s.code}` }, s.title),
        ),
      ),
    );
    toggleForm(false);
    clearOutcome();
  }

  /** A new attempt (to add or delete) starts here: the last one's outcome is history now, and
   * an old "Fraværet er lagt til …" must not stand beside a new error. */
  function clearOutcome() {
    status.textContent = "";
    outcomeAlert.hidden = true;
    outcomeAlert.replaceChildren();
  }

  function clearErrors() {
    formAlert.hidden = true;
    formAlert.replaceChildren();
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
      clearOutcome();
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
    if (busy) return;
    clearErrors();
    clearOutcome();
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
    busy = true;
    try {
      payload = (await ctx.api(ADD_ABSENCE, { input })).addAbsence;
    } catch (error) {
      replace(formAlert, h("p", {}, error.message));
      formAlert.hidden = false;
      return;
    } finally {
      busy = false;
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
    const period = `${shortDate(input.from)}–${shortDate(input.to)}`;
    const names = serviceNames(chosen);
    ctx.ownChange(payload.practice);
    from.value = "";
    to.value = "";
    for (const box of serviceBoxes.querySelectorAll("input")) box.checked = false;
    toggleForm(false);
    openButton.focus();
    status.textContent = `Fraværet er lagt til. ${names} er skrudd av for pasientene til ${who} ${period}.`;
  }

  async function remove(absence, who, period) {
    const sure = await confirmAction({
      title: "Slette fraværet?",
      message: `${who}, ${period}: ${serviceNames(absence.services)}. Tjenestene blir tilgjengelige igjen for pasientene.`,
      confirmLabel: "Slett fraværet",
    });
    if (!sure || busy) return;
    clearOutcome();
    let payload;
    busy = true;
    try {
      payload = (await ctx.api(DELETE_ABSENCE, { input: { herId: ctx.herId, id: absence.id } })).deleteAbsence;
    } catch (error) {
      showAlert([h("p", {}, error.message)]);
      return;
    } finally {
      busy = false;
    }
    if (payload.userErrors.length) {
      // Refusals are errors, not news: in the alert, not in green in the status line.
      showAlert(payload.userErrors.map((e) => h("p", {}, e.message)));
      if (payload.practice) render(payload.practice);
      return;
    }
    ctx.ownChange(payload.practice);
    status.textContent = `Fraværet til ${who} ${period} er slettet.`;
    openButton.focus();
  }

  function showAlert(content) {
    replace(outcomeAlert, content);
    outcomeAlert.hidden = false;
  }

  return { element, load, refresh: render };
}
