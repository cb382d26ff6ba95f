// What a patient sees on Helsenorge, drawn from patientPanel: the GP panel ("Hva trenger
// du?") and each service's page. The preview at /pasient/{herId} and the admin page's
// "Vis hvor teksten plasseres på Helsenorge" both use it, so they cannot disagree.
//
// Every part is marked with the language it is really in (`lang`), so that screen readers
// read it right: a section in the language the API answered in (PatientService.language),
// the page's own words and the preview's notes about forms in that language too (bokmål where
// patient-words.js has none), the practice's text in its own (practiceTextLanguage, which may
// be bokmål by fallback), and forms in bokmål, which is all they are written in.

import { h, richText } from "./dom.js";
import { DEFAULT_LANGUAGE, langTag } from "./languages.js";
import { fill, patientWords } from "./patient-words.js";
import { loadQuestionnaire, renderQuestionnaire } from "./questionnaire.js";

const BOKMAL = langTag(DEFAULT_LANGUAGE);

/** The words of a section in `language`, and how to mark a part written in `lang` inside it
 * (null when it is the section's own language). */
function sectionLanguage(language) {
  const lang = langTag(language);
  const words = patientWords(language ?? DEFAULT_LANGUAGE);
  const mark = (other) => (other === lang ? null : other);
  return { lang, words, wordsLang: mark(words.lang), bokmal: mark(BOKMAL) };
}

export function serviceAnchor(service) {
  return `tjeneste-${service.service.toLowerCase().replaceAll("_", "-")}`;
}

function heading(level, attributes, ...children) {
  return h(`h${Math.min(level, 6)}`, attributes, ...children);
}

/** The practice's own words in their language, or (in the admin preview) where they would go.
 * `until` is the last day of a scheduled text, so patients know the notice is temporary;
 * `untilInWords` is that day as the section's language writes it, from the API (Babel). */
function practiceInfo(section, title, { text, language, until, untilInWords }, level, placeholder) {
  if (!text && !placeholder) return null;
  return h(
    "div",
    { class: `hn-info${text ? "" : " hn-info-empty"}` },
    heading(level, { lang: section.wordsLang }, title),
    text
      ? h("p", { class: "hn-pre hn-practice-text", lang: langTag(language) }, text)
      : h("p", { lang: section.bokmal }, placeholder),
    text && until
      ? h("p", { class: "hn-until", lang: section.wordsLang }, fill(section.words.until, { date: untilInWords }))
      : null,
  );
}

/**
 * The GP panel. Options: level (of its heading), link(service) (where a service leads, or
 * null), placeholder (shown where the practice has no text yet).
 */
export function renderPanel(panel, { level = 2, link = (s) => `#${serviceAnchor(s)}`, placeholder = null } = {}) {
  // The panel's catalogue strings are the services'; they share one language.
  const section = sectionLanguage(panel.services[0]?.language);
  const { words, wordsLang } = section;
  const text = {
    text: panel.panelText,
    language: panel.panelTextLanguage,
    until: panel.panelTextUntil,
    untilInWords: panel.panelTextUntilInWords,
  };
  return h(
    "section",
    { class: "hn-panel", lang: section.lang, "aria-label": words.panelLabel },
    heading(level, { lang: wordsLang }, words.panelHeading),
    h("p", { class: "hn-practice" }, panel.practice.name),
    practiceInfo(section, words.panelInfo, text, level + 1, placeholder),
    heading(level + 1, { lang: wordsLang }, words.needs),
    h("p", { lang: wordsLang }, words.emergency),
    h(
      "ul",
      { class: "hn-services" },
      panel.services.map((service) => h("li", {}, serviceEntry(section, service, link(service)))),
    ),
  );
}

function serviceEntry(section, service, href) {
  const text = [h("span", { class: "hn-service-title" }, service.title), h("span", { class: "hn-lead" }, service.lead)];
  if (service.available) {
    return href ? h("a", { class: "hn-service", href }, text) : h("div", { class: "hn-service" }, text);
  }
  return h(
    "div",
    { class: "hn-service hn-unavailable" },
    text,
    absenceNotice(section, service, "span", "hn-absence"),
  );
}

/** Why the service is off: the API's sentence in the section's language, or ours. */
function absenceNotice(section, service, tag, className) {
  if (service.absence?.message) return h(tag, { class: className }, service.absence.message);
  return h(tag, { class: className, lang: section.wordsLang }, section.words.notOffered);
}

/**
 * One service's page: standard text, "Informasjon fra fastlegekontoret", and the form the
 * patient goes through first. Options: level, placeholder (as for renderPanel).
 */
export function renderServicePage(service, { level = 2, placeholder = null } = {}) {
  const headingId = `${serviceAnchor(service)}-heading`;
  const section = sectionLanguage(service.language);
  const text = {
    text: service.practiceText,
    language: service.practiceTextLanguage,
    until: service.practiceTextUntil,
    untilInWords: service.practiceTextUntilInWords,
  };
  return h(
    "section",
    { class: "hn-page", lang: section.lang, id: serviceAnchor(service), "aria-labelledby": headingId },
    heading(level, { id: headingId }, service.title),
    service.available ? null : absenceNotice(section, service, "p", "hn-notice"),
    service.standardText ? richText(service.standardText, "hn-standard") : null,
    practiceInfo(section, section.words.serviceInfo, text, level + 1, placeholder),
    service.offered ? firstStep(section, service, level + 1) : null,
  );
}

// The entry points' titles and what the preview says about forms are in the section's
// language; the forms themselves (titles and questions) in bokmål, marked so.
function firstStep(section, service, level) {
  const { words, wordsLang, bokmal } = section;
  const choices =
    service.entryPoints.length > 1
      ? h(
          "div",
          { class: "hn-entry-points" },
          heading(level, { lang: wordsLang }, words.choices),
          h(
            "ul",
            {},
            service.entryPoints.map((entry) =>
              h(
                "li",
                {},
                h("span", {}, entry.title),
                ": ",
                h(
                  "span",
                  { lang: wordsLang },
                  entry.form
                    ? fill(words.withForm, { form: h("span", { lang: bokmal }, entry.form.title) })
                    : words.withoutForm,
                ),
              ),
            ),
          ),
        )
      : null;
  if (!service.form) {
    return [h("p", { class: "hn-straight", lang: wordsLang }, words.straight), choices];
  }
  // The form's box is bokmål; the preview's words inside it are marked with their own language.
  const ours = words.lang === BOKMAL ? null : words.lang;
  const items = h("div", { class: "hn-form-items" }, h("p", { lang: ours }, words.formLoading));
  loadQuestionnaire(service.form.questionnaireRef).then(
    (questionnaire) => items.replaceChildren(renderQuestionnaire(questionnaire)),
    (error) => items.replaceChildren(h("p", { class: "field-error" }, error.message)),
  );
  return [
    h(
      "div",
      { class: "hn-form", lang: bokmal },
      heading(level, {}, service.form.title),
      h("p", { class: "hn-lead", lang: ours }, words.formLead),
      items,
      h("p", { class: "hn-hint", lang: ours }, words.notSent),
    ),
    choices,
  ];
}
