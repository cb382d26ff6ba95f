// The patient page's own words around what the API gives (headings, the emergency line), in
// the languages Helsenorge shows. The API's texts follow `PatientService.language`; these
// follow it too, and a language without them here falls back to bokmål, marked as such.

import { langTag } from "./languages.js";

const WORDS = {
  NB: {
    panelHeading: "Fastlegetjenester",
    panelLabel: "Fastlegepanelet",
    panelInfo: "Informasjon fra legekontor",
    needs: "Hva trenger du?",
    emergency: "For akutt helsehjelp, ring 113. Hvis det haster, ring legekontoret eller legevakt på 116 117.",
    serviceInfo: "Informasjon fra fastlegekontoret",
    until: "Gjelder til og med",
    notOffered: "Legekontoret tilbyr ikke denne tjenesten på Helsenorge.",
  },
  NN: {
    panelHeading: "Fastlegetenester",
    panelLabel: "Fastlegepanelet",
    panelInfo: "Informasjon frå legekontor",
    needs: "Kva treng du?",
    emergency: "For akutt helsehjelp, ring 113. Om det hastar, ring legekontoret eller legevakta på 116 117.",
    serviceInfo: "Informasjon frå fastlegekontoret",
    until: "Gjeld til og med",
    notOffered: "Legekontoret tilbyr ikkje denne tenesta på Helsenorge.",
  },
  EN: {
    panelHeading: "GP services",
    panelLabel: "GP panel",
    panelInfo: "Information from the surgery",
    needs: "What do you need?",
    emergency:
      "For emergency medical help, call 113. If it is urgent, call the surgery or the out-of-hours service (legevakt) on 116 117.",
    serviceInfo: "Information from your GP surgery",
    until: "Valid until and including",
    notOffered: "The surgery does not offer this service on Helsenorge.",
  },
};

/** The words for a page in `language` (a Language code), with `lang`: the tag of the
 * language they are really in. */
export function patientWords(language) {
  const code = language in WORDS ? language : "NB";
  return { ...WORDS[code], lang: langTag(code) };
}
