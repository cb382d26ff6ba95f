// The patient page's own words around what the API gives (headings, the emergency line, and
// what the preview says about forms), in the languages Helsenorge shows. The API's texts follow
// `PatientService.language`; these follow it too, and a language without them here falls back
// to bokmål, marked as such. `{date}` and `{form}` are filled in by `fill`.

import { langTag } from "./languages.js";

const WORDS = {
  NB: {
    panelHeading: "Fastlegetjenester",
    panelLabel: "Fastlegepanelet",
    panelInfo: "Informasjon fra legekontor",
    needs: "Hva trenger du?",
    emergency: "For akutt helsehjelp, ring 113. Hvis det haster, ring legekontoret eller legevakt på 116 117.",
    serviceInfo: "Informasjon fra fastlegekontoret",
    until: "Gjelder til og med {date}",
    notOffered: "Legekontoret tilbyr ikke denne tjenesten på Helsenorge.",
    choices: "Valg for pasienten",
    withForm: "skjema «{form}»",
    withoutForm: "uten skjema",
    straight: "Uten skjema: pasienten kommer rett til tjenesten.",
    formLead: "Med skjema svarer pasienten først på noen spørsmål. Svarene tas med videre til legekontoret.",
    formLoading: "Laster skjemaet …",
    notSent: "Forhåndsvisning: svarene sendes ikke.",
  },
  NN: {
    panelHeading: "Fastlegetenester",
    panelLabel: "Fastlegepanelet",
    panelInfo: "Informasjon frå legekontor",
    needs: "Kva treng du?",
    emergency: "For akutt helsehjelp, ring 113. Om det hastar, ring legekontoret eller legevakta på 116 117.",
    serviceInfo: "Informasjon frå fastlegekontoret",
    until: "Gjeld til og med {date}",
    notOffered: "Legekontoret tilbyr ikkje denne tenesta på Helsenorge.",
    choices: "Val for pasienten",
    withForm: "skjema «{form}»",
    withoutForm: "utan skjema",
    straight: "Utan skjema: pasienten kjem rett til tenesta.",
    formLead: "Med skjema svarar pasienten først på nokre spørsmål. Svara går vidare til legekontoret.",
    formLoading: "Lastar skjemaet …",
    notSent: "Førehandsvising: svara blir ikkje sende.",
  },
  EN: {
    panelHeading: "GP services",
    panelLabel: "GP panel",
    panelInfo: "Information from the surgery",
    needs: "What do you need?",
    emergency:
      "For emergency medical help, call 113. If it is urgent, call the surgery or the out-of-hours service (legevakt) on 116 117.",
    serviceInfo: "Information from your GP surgery",
    until: "Applies up to and including {date}",
    notOffered: "The surgery does not offer this service on Helsenorge.",
    choices: "Options for the patient",
    withForm: "form “{form}”",
    withoutForm: "no form",
    straight: "No form: the patient goes straight to the service.",
    formLead: "With a form, the patient first answers a few questions. The answers are passed on to the surgery.",
    formLoading: "Loading the form…",
    notSent: "Preview: the answers are not sent.",
  },
};

/** The words for a page in `language` (a Language code), with `lang`: the tag of the
 * language they are really in. */
export function patientWords(language) {
  const code = language in WORDS ? language : "NB";
  return { ...WORDS[code], lang: langTag(code) };
}

/** The parts of `template` with each `{name}` replaced by `values[name]` (text or a node), for
 * h() to append: a form's title keeps its own `lang` inside a sentence in another language. */
export function fill(template, values) {
  return template.split(/\{(\w+)\}/).map((part, i) => (i % 2 ? values[part] : part));
}
