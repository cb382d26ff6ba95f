// FHIR R4 Questionnaires (/fhir/Questionnaire/{id}) drawn as the patient meets them.

import { h, uniqueId } from "./dom.js";

const loaded = new Map();

/** The questionnaire a form's questionnaireRef names, fetched once per page. */
export function loadQuestionnaire(reference) {
  if (!loaded.has(reference)) {
    const request = fetch(`/fhir/${reference}`, { headers: { Accept: "application/fhir+json" } }).then(
      (response) => {
        if (!response.ok) throw new Error(`Fant ikke skjemaet ${reference}.`);
        return response.json();
      },
    );
    loaded.set(reference, request);
  }
  return loaded.get(reference);
}

/** The questionnaire's items as form controls. The answers go nowhere: this is a preview. */
export function renderQuestionnaire(questionnaire) {
  const prefix = uniqueId(`q-${questionnaire.id}`);
  return h(
    "div",
    { class: "hn-questionnaire" },
    (questionnaire.item ?? []).map((item) => renderItem(item, prefix)),
  );
}

function questionText(item) {
  return [item.text, item.required ? h("span", { class: "hn-required" }, " (må fylles ut)") : null];
}

function renderItem(item, prefix) {
  const id = `${prefix}-${item.linkId}`;
  switch (item.type) {
    case "display":
      return h("p", { class: "hn-q-display" }, item.text);
    case "group":
      return h(
        "fieldset",
        { class: "hn-q-item" },
        h("legend", {}, item.text),
        (item.item ?? []).map((child) => renderItem(child, prefix)),
      );
    case "choice":
      return options(
        item,
        id,
        item.repeats ? "checkbox" : "radio",
        (item.answerOption ?? []).map((option) => option.valueCoding?.display ?? option.valueString),
      );
    case "boolean":
      return options(item, id, "radio", ["Ja", "Nei"]);
    default:
      return field(item, id);
  }
}

function options(item, id, type, labels) {
  return h(
    "fieldset",
    { class: "hn-q-item" },
    h("legend", {}, questionText(item)),
    item.repeats ? h("p", { class: "hn-hint" }, "Velg en eller flere") : null,
    labels.map((label, index) =>
      h(
        "div",
        { class: "choice" },
        h("input", { type, id: `${id}-${index}`, name: id, value: String(index) }),
        h("label", { for: `${id}-${index}` }, label),
      ),
    ),
  );
}

const INPUT_TYPES = { date: "date", integer: "number", decimal: "number", url: "url" };

function field(item, id) {
  const control =
    item.type === "text"
      ? h("textarea", { id, name: id, rows: 3, maxlength: item.maxLength })
      : h("input", { id, name: id, type: INPUT_TYPES[item.type] ?? "text", maxlength: item.maxLength });
  return h("div", { class: "hn-q-item" }, h("label", { for: id }, questionText(item)), control);
}
