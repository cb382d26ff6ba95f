// "Integrerte verktøy": per entry point the active form; "ENDRE" offers the forms the
// catalogue allows there and "Ingen", and a choice reaches patients at once.

import { openModal } from "./dialog.js";
import { h, replace, srOnly } from "./dom.js";
import { CHOOSE_FORM } from "./queries.js";

const NONE = "Ingen";

export function createToolsTab(ctx) {
  const rows = h("tbody");
  const status = h("p", { class: "status", role: "status" });
  const element = h(
    "div",
    {},
    h("h2", {}, "Integrerte verktøy"),
    h(
      "p",
      {},
      "Nedenfor kan du tilpasse dialogen for pasienter som tar kontakt via Helsenorge. Du kan inkludere verktøy " +
        "som innhenter relevante opplysninger og gir hjelp til å velge egnet kontaktform. Endringer gjelder for " +
        "pasientene med en gang.",
    ),
    status,
    h(
      "table",
      { class: "table" },
      h("caption", { class: "sr-only" }, "Aktive verktøy og skjema for hver tjeneste"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "Tjeneste"),
          h("th", { scope: "col" }, "Aktive verktøy/skjema"),
          h("th", { scope: "col" }, srOnly("Endre")),
        ),
      ),
      rows,
    ),
  );

  function row(tool) {
    return h(
      "tr",
      {},
      h("th", { scope: "row" }, tool.title),
      h("td", {}, tool.activeForm?.displayName ?? NONE),
      h(
        "td",
        { class: "actions" },
        h(
          "button",
          {
            type: "button",
            class: "button secondary small",
            "data-entry-point": tool.entryPoint,
            onclick: () => choose(tool),
          },
          "Endre",
          srOnly(` skjema for ${tool.title}`),
        ),
      ),
    );
  }

  function load(practice) {
    replace(rows, practice.tools.map(row));
    status.textContent = "";
  }

  function refresh(practice) {
    replace(rows, practice.tools.map(row));
  }

  function choose(tool) {
    const name = `form-${tool.entryPoint}`;
    const current = tool.activeForm?.id ?? "";
    const choices = [...tool.availableForms.map((form) => [form.id, form.displayName]), ["", NONE]];
    const error = h("p", { class: "field-error", role: "alert" });
    const radios = choices.map(([value, label], index) => {
      const id = `${name}-${index}`;
      return h(
        "div",
        { class: "choice" },
        h("input", { type: "radio", id, name, value, checked: value === current, autofocus: value === current }),
        h("label", { for: id }, label),
      );
    });
    const form = h(
      "form",
      { novalidate: true },
      h("fieldset", {}, h("legend", {}, `Skjema for ${tool.title}`), radios),
      error,
      h(
        "div",
        { class: "buttons" },
        h("button", { type: "submit", class: "button" }, "Lagre"),
        h("button", { type: "button", class: "button secondary", onclick: () => modal.close() }, "Avbryt"),
      ),
    );
    const modal = openModal({ title: "Endre skjema", content: form });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const formId = form.querySelector("input:checked")?.value ?? "";
      let payload;
      try {
        payload = (await ctx.api(CHOOSE_FORM, { input: { herId: ctx.herId, entryPoint: tool.entryPoint, formId: formId || null } }))
          .chooseForm;
      } catch (failure) {
        error.textContent = failure.message;
        return;
      }
      if (payload.userErrors.length) {
        error.textContent = payload.userErrors.map((e) => e.message).join(" ");
        return;
      }
      modal.close();
      ctx.ownChange(payload.practice);
      const chosen = payload.practice.tools.find((t) => t.entryPoint === tool.entryPoint);
      status.textContent = `${tool.title}: ${chosen.activeForm?.displayName ?? NONE}. Endringen gjelder for pasientene nå.`;
      rows.querySelector(`[data-entry-point="${tool.entryPoint}"]`)?.focus();
    });
  }

  return { element, load, refresh };
}
