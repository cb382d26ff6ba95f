// What a patient sees on Helsenorge, drawn from patientPanel: the GP panel ("Hva trenger
// du?") and each service's page. The preview at /pasient/{herId} and the admin page's
// "Vis hvor teksten plasseres på Helsenorge" both use it, so they cannot disagree.

import { h, richText } from "./dom.js";
import { shortDate } from "./format.js";
import { loadQuestionnaire, renderQuestionnaire } from "./questionnaire.js";

const NOT_OFFERED = "Legekontoret tilbyr ikke denne tjenesten på Helsenorge.";

export function serviceAnchor(service) {
  return `tjeneste-${service.service.toLowerCase().replaceAll("_", "-")}`;
}

function heading(level, attributes, ...children) {
  return h(`h${Math.min(level, 6)}`, attributes, ...children);
}

/** The practice's own words, or (in the admin preview) where they would go. `until` is the
 * last day of a scheduled text, so patients know the notice is temporary. */
function practiceInfo(title, text, level, placeholder, until = null) {
  if (!text && !placeholder) return null;
  return h(
    "div",
    { class: `hn-info${text ? "" : " hn-info-empty"}` },
    heading(level, {}, title),
    text ? h("p", { class: "hn-pre" }, text) : h("p", {}, placeholder),
    text && until ? h("p", { class: "hn-until" }, `Gjelder til og med ${shortDate(until)}`) : null,
  );
}

/**
 * The GP panel. Options: level (of its heading), link(service) (where a service leads, or
 * null), placeholder (shown where the practice has no text yet).
 */
export function renderPanel(panel, { level = 2, link = (s) => `#${serviceAnchor(s)}`, placeholder = null } = {}) {
  return h(
    "section",
    { class: "hn-panel", "aria-label": "Fastlegepanelet" },
    heading(level, {}, "Fastlegetjenester"),
    h("p", { class: "hn-practice" }, panel.practice.name),
    practiceInfo("Informasjon fra legekontor", panel.panelText, level + 1, placeholder, panel.panelTextUntil),
    heading(level + 1, {}, "Hva trenger du?"),
    h(
      "p",
      {},
      "For akutt helsehjelp, ring 113. Hvis det haster, ring legekontoret eller legevakt på 116 117.",
    ),
    h(
      "ul",
      { class: "hn-services" },
      panel.services.map((service) => h("li", {}, serviceEntry(service, link(service)))),
    ),
  );
}

function serviceEntry(service, href) {
  const text = [h("span", { class: "hn-service-title" }, service.title), h("span", { class: "hn-lead" }, service.lead)];
  if (service.available) {
    return href ? h("a", { class: "hn-service", href }, text) : h("div", { class: "hn-service" }, text);
  }
  return h(
    "div",
    { class: "hn-service hn-unavailable" },
    text,
    h("span", { class: "hn-absence" }, service.absence?.message ?? NOT_OFFERED),
  );
}

/**
 * One service's page: standard text, "Informasjon fra fastlegekontoret", and the form the
 * patient goes through first. Options: level, placeholder (as for renderPanel).
 */
export function renderServicePage(service, { level = 2, placeholder = null } = {}) {
  const headingId = `${serviceAnchor(service)}-heading`;
  return h(
    "section",
    { class: "hn-page", id: serviceAnchor(service), "aria-labelledby": headingId },
    heading(level, { id: headingId }, service.title),
    service.available ? null : h("p", { class: "hn-notice" }, service.absence?.message ?? NOT_OFFERED),
    service.standardText ? richText(service.standardText, "hn-standard") : null,
    practiceInfo("Informasjon fra fastlegekontoret", service.practiceText, level + 1, placeholder, service.practiceTextUntil),
    service.offered ? firstStep(service, level + 1) : null,
  );
}

function firstStep(service, level) {
  const choices =
    service.entryPoints.length > 1
      ? h(
          "div",
          { class: "hn-entry-points" },
          heading(level, {}, "Valg for pasienten"),
          h(
            "ul",
            {},
            service.entryPoints.map((entry) =>
              h("li", {}, `${entry.title}: `, entry.form ? `skjema «${entry.form.title}»` : "uten skjema"),
            ),
          ),
        )
      : null;
  if (!service.form) {
    return [h("p", { class: "hn-straight" }, "Uten skjema: pasienten kommer rett til tjenesten."), choices];
  }
  const items = h("div", { class: "hn-form-items" }, h("p", {}, "Laster skjemaet …"));
  loadQuestionnaire(service.form.questionnaireRef).then(
    (questionnaire) => items.replaceChildren(renderQuestionnaire(questionnaire)),
    (error) => items.replaceChildren(h("p", { class: "field-error" }, error.message)),
  );
  return [
    h(
      "div",
      { class: "hn-form" },
      heading(level, {}, service.form.title),
      h(
        "p",
        { class: "hn-lead" },
        "Med skjema svarer pasienten først på noen spørsmål. Svarene tas med videre til legekontoret.",
      ),
      items,
      h("p", { class: "hn-hint" }, "Forhåndsvisning: svarene sendes ikke."),
    ),
    choices,
  ];
}
