// What one entry of "Historikk" says: the change in words, and for a text the texts before and
// after it (AuditEntry.before/after), so that a GP can tell what "ANGRE" brings back. An undo
// of an undo is named as what it is for the GP, a redo ("Gjorde om: …"), whatever chain of
// "Angret: … (angringen er opphevet)" the summary holds. Box names, form names and texts are
// quoted alike («…») in every entry: the page builds a text change's words itself from the
// boxes it changed, since the summary names them bare.

import { h } from "./dom.js";
import { quote, quotedText } from "./format.js";
import { DEFAULT_LANGUAGE, langTag, languageOf } from "./languages.js";

const UNDO = "Angret: ";
const REDO = "Gjorde om: ";
const UNDONE_AGAIN = " (angringen er opphevet)";
const TEXT_KEY = /^([A-Z][A-Z_]*)(?:\/([A-Z]{2}))?$/;

function parse(json) {
  if (!json) return null;
  try {
    const value = JSON.parse(json);
    return value && typeof value === "object" && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/** A revertChange's summary → { redo, base }: base is the change at the bottom of the chain.
 * The service writes an undo of an undo as "Angret: X (angringen er opphevet)", and one more
 * undo adds one more "(angringen er opphevet)": an even count of undos is a redo. */
export function revertOf(summary) {
  if (summary.startsWith(REDO)) return { redo: true, base: summary.slice(REDO.length) };
  let base = summary.startsWith(UNDO) ? summary.slice(UNDO.length) : summary;
  let undos = 1;
  while (base.endsWith(UNDONE_AGAIN)) {
    base = base.slice(0, -UNDONE_AGAIN.length);
    undos += 1;
  }
  return { redo: undos % 2 === 0, base };
}

/**
 * The boxes a change of texts touched, as [{ name, lang, before, after }] ("" for no text), or
 * null when before/after are not texts by box. titles: slot → the box's title.
 */
function textChanges(before, after, titles) {
  if (!before || !after) return null;
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const changes = [];
  for (const key of keys) {
    const match = TEXT_KEY.exec(key);
    const values = [before[key] ?? null, after[key] ?? null];
    if (!match || !titles.has(match[1]) || values.some((v) => v !== null && typeof v !== "string")) return null;
    const code = match[2] ?? DEFAULT_LANGUAGE;
    const language = languageOf(code);
    if (!language) return null;
    const name = `${quote(titles.get(match[1]))}${code === DEFAULT_LANGUAGE ? "" : ` (${language.inNorwegian})`}`;
    changes.push({ name, lang: langTag(code), before: values[0] ?? "", after: values[1] ?? "" });
  }
  return changes.length ? changes : null;
}

/** A scheduled text's { slot, language, text, from, to }, as its entries hold it. */
function scheduledOf(before, after) {
  const item = after ?? before;
  return item && typeof item.text === "string" && typeof item.slot === "string" && "from" in item ? item : null;
}

/**
 * entry: an AuditEntry node; titles: Map slot → box title. Returns { line, redo, texts,
 * scheduled }: line the change in words; texts the boxes it changed (or null); scheduled the
 * scheduled text it added or deleted (or null).
 */
export function describe(entry, titles) {
  const revert = entry.action === "revertChange" ? revertOf(entry.summary) : null;
  const before = parse(entry.before);
  const after = parse(entry.after);
  const texts = textChanges(before, after, titles);
  const scheduled = texts ? null : scheduledOf(before, after);
  const what = texts ? `Endret tilleggsinformasjon for ${texts.map((t) => t.name).join(", ")}.` : (revert?.base ?? entry.summary);
  const line = revert ? `${revert.redo ? REDO : UNDO}${what}` : what;
  return { line, redo: revert?.redo ?? false, texts, scheduled };
}

/** One line per text, "Label: «…»". */
function textLine(label, text, lang) {
  return h("p", { class: "change-text" }, `${label}: `, quotedText(text, lang));
}

/** Under an entry: the texts before and after the change. */
export function entryDetails({ texts, scheduled }) {
  if (texts) {
    return texts.map((t) => [
      texts.length > 1 ? h("p", { class: "change-text" }, t.name) : null,
      textLine("Før", t.before, t.lang),
      textLine("Etter", t.after, t.lang),
    ]);
  }
  if (scheduled) return textLine("Tekst", scheduled.text, langTag(scheduled.language));
  return null;
}

/** In the confirm dialog: the texts as they are now, and as "ANGRE" would leave them. */
export function undoDetails({ texts, scheduled }) {
  if (texts) {
    return texts.map((t) => [
      texts.length > 1 ? h("p", { class: "label" }, t.name) : null,
      textLine("Nå", t.after, t.lang),
      textLine("Etter angringen", t.before, t.lang),
    ]);
  }
  if (scheduled) return textLine("Planlagt tekst", scheduled.text, langTag(scheduled.language));
  return null;
}
