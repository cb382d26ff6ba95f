// Dates and text lengths as the server sees them, and texts quoted as the pages quote them.

import { h } from "./dom.js";

/** 2024-06-12 → 12.06.2024, as the admin table shows dates. */
export function shortDate(iso) {
  const [year, month, day] = iso.split("-");
  return `${day}.${month}.${year}`;
}

/** Today in Europe/Oslo as yyyy-mm-dd: the server's "today", wherever the browser is. */
export function todayInOslo() {
  // en-CA writes dates as yyyy-mm-dd.
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: "Europe/Oslo",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(new Date());
}

/** The text as the server stores it: \n line breaks, NFC, trimmed. */
export function normalisedText(value) {
  return value.replace(/\r\n?/g, "\n").normalize("NFC").trim();
}

/** Length as the server counts it (code points after normalising), so æ, ø, å count one. */
export function textLength(value) {
  return [...normalisedText(value)].length;
}

/** A practice text, a box's title or a form's name as every part of the pages quotes it. */
export function quote(text) {
  return `«${text}»`;
}

/** A practice text quoted, its line breaks kept and its language marked (lang: a BCP 47 tag,
 * left off for bokmål, the page's own); "ingen tekst" when there is none. */
export function quotedText(text, lang = null) {
  return text ? h("span", { class: "hn-pre", lang: lang === "nb" ? null : lang }, quote(text)) : "ingen tekst";
}
