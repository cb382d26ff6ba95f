// Helsenorge's languages as the API names them (Language), with the BCP 47 tag a page marks
// text with (`lang`) so that screen readers pronounce it right.

import { h } from "./dom.js";

/** In the contract's order: bokmål first, the default everywhere. */
export const LANGUAGES = [
  { code: "NB", lang: "nb", name: "Bokmål", inNorwegian: "bokmål" },
  { code: "NN", lang: "nn", name: "Nynorsk", inNorwegian: "nynorsk" },
  // Few GPs read Sami: where the page names it in its own words, the Norwegian name goes beside.
  { code: "SE", lang: "se", name: "Davvisámegiella", inNorwegian: "nordsamisk", glossed: true },
  { code: "EN", lang: "en", name: "English", inNorwegian: "engelsk" },
];

export const DEFAULT_LANGUAGE = "NB";

const BY_CODE = new Map(LANGUAGES.map((language) => [language.code, language]));
const BY_LANG = new Map(LANGUAGES.map((language) => [language.lang, language]));

/** NB → "nb"; null (the API's "no text", or "bokmål" for an input) counts as bokmål. */
export function langTag(code) {
  return (BY_CODE.get(code ?? DEFAULT_LANGUAGE) ?? BY_CODE.get(DEFAULT_LANGUAGE)).lang;
}

/** The language named by code ("EN"), or null. */
export function languageOf(code) {
  return BY_CODE.get(code) ?? null;
}

/** "en" (as in ?sprak=en) → "EN"; anything else → null. */
export function codeOfTag(tag) {
  return BY_LANG.get((tag ?? "").trim().toLowerCase())?.code ?? null;
}

/** A language as the admin page's buttons name it: in its own words, marked with its `lang`,
 * and for a language few GPs read, the Norwegian name beside it ("Davvisámegiella
 * (nordsamisk)"), the name of the box it opens ("Tilleggsinformasjon på nordsamisk"). */
export function languageLabel(language) {
  const own = h("span", { lang: language.lang }, language.name);
  return language.glossed ? [own, ` (${language.inNorwegian})`] : own;
}
