// The standard text in the other languages, above a box's addition in that language on "Info til
// pasient": a GP writing the nynorsk or English addition sees the text patients read it under.
// The API has the texts where patients get them (patientPanel in a language); they are the
// catalogue's, the same for every practice, so the page reads them once.

import { h, replace, richText } from "./dom.js";
import { DEFAULT_LANGUAGE, LANGUAGES, langTag } from "./languages.js";
import { PATIENT_PANEL } from "./queries.js";

let settle;
// Resolves to: language code → Map(slot → { text, language }); a language whose texts could not
// be read is missing.
const ready = new Promise((resolve) => {
  settle = resolve;
});
let started = false;

/** Reads the standard texts of every language but bokmål, once per page; ctx as admin.js has it. */
export function loadStandardTexts(ctx) {
  if (started) return ready;
  started = true;
  const others = LANGUAGES.map((language) => language.code).filter((code) => code !== DEFAULT_LANGUAGE);
  Promise.all(
    others.map((language) =>
      ctx
        .api(PATIENT_PANEL, { herId: ctx.herId, hpr: null, on: null, language })
        .then((data) => data.patientPanel?.services ?? [])
        .catch(() => null),
    ),
  ).then((answers) => {
    const texts = new Map();
    answers.forEach((services, index) => {
      if (services === null) return;
      const bySlot = services.map((s) => [s.service, { text: s.standardText, language: s.language }]);
      texts.set(others[index], new Map(bySlot));
    });
    settle(texts);
  });
  return ready;
}

/** What stands above the box in `language`, once the texts have been read. */
function content(found, language) {
  const name = language.inNorwegian;
  if (!found?.text) return h("p", { class: "hint" }, `Standardteksten på ${name} kunne ikke hentes.`);
  if (found.language === DEFAULT_LANGUAGE) {
    // Not translated yet: patients reading this language get the bokmål text shown above.
    return h("p", { class: "hint" }, `Standardteksten finnes ikke på ${name} ennå. Pasienter som leser ${name}, ser den på bokmål.`);
  }
  const shown = richText(found.text, "standard-text");
  shown.setAttribute("lang", langTag(found.language));
  return [h("p", { class: "label" }, `Standardtekst på ${name} som vises på Helsenorge (ikke redigerbar)`), shown];
}

/**
 * text: the slot as practice.texts has it ({ slot, standardText }); language: an entry of
 * LANGUAGES. The standard text in that language, filled in when it has been read; nothing for
 * a box without a standard text (bokmål's "Ingen" says so already).
 */
export function standardTextIn(text, language) {
  if (!text.standardText) return null;
  const holder = h("div", { class: "translation-standard" });
  ready.then((texts) => replace(holder, content(texts.get(language.code)?.get(text.slot), language)));
  return holder;
}
