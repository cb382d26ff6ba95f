// When "LAGRE" on "Info til pasient" meets a colleague's change (the API's STALE_VERSION): the
// page reads the practice again and sorts every box three ways, by what it held when the GP
// loaded it (base), what the GP has in it now (mine) and what the practice holds now (theirs).
// A colleague's change elsewhere must not cost the GP their typing, and a save must not undo
// the colleague's change either; only the same box edited by both needs the GP to choose.

import { h, srOnly, uniqueId } from "./dom.js";
import { normalisedText, quotedText } from "./format.js";

/**
 * What to do with one box: "keep" (nothing to take in), "theirs" (the GP did not edit it, a
 * colleague did: show and keep the colleague's text) or "conflict" (both edited it, to
 * different texts). base and theirs are stored texts ("" for none); mine is as typed. Compared
 * as the server stores them, so white space the GP added at an end is no edit.
 */
export function sortBox(base, mine, theirs) {
  if (theirs === base) return "keep";
  const typed = normalisedText(mine);
  if (typed === base) return "theirs";
  return typed === theirs ? "keep" : "conflict";
}

/**
 * One plain message per box both changed, with both texts and a button for each. conflicts:
 * [{ name (e.g. "«Reseptfornyelse»"), lang (the text's BCP 47 tag), mine, theirs }].
 * choose(conflict, keepMine) is called on a button; the message is then taken away and focus
 * goes to the next one.
 */
export function conflictMessages(conflicts, choose) {
  const groups = conflicts.map((conflict) => {
    const textId = uniqueId("conflict");
    const pick = (keepMine) => {
      const next = groups[groups.indexOf(group) + 1] ?? groups[groups.indexOf(group) - 1];
      group.remove();
      groups.splice(groups.indexOf(group), 1);
      // Focus stays in the messages while any are left; the save that follows says the rest.
      if (next?.isConnected) next.querySelector("button").focus();
      choose(conflict, keepMine);
    };
    const group = h(
      "div",
      { class: "card conflict", role: "group", "aria-labelledby": textId },
      h(
        "p",
        { id: textId },
        `En kollega har endret teksten i ${conflict.name} etter at du åpnet siden. ` +
          "Velg hvilken tekst som skal gjelde, så lagres endringene dine.",
      ),
      h("p", { class: "label" }, "Kollegaens tekst"),
      h("p", {}, quotedText(conflict.theirs, conflict.lang)),
      h("p", { class: "label" }, "Din tekst"),
      h("p", {}, quotedText(normalisedText(conflict.mine), conflict.lang)),
      h(
        "div",
        { class: "buttons" },
        h(
          "button",
          { type: "button", class: "button secondary", onclick: () => pick(false) },
          "Behold kollegaens tekst",
          srOnly(` i ${conflict.name}`),
        ),
        h(
          "button",
          { type: "button", class: "button secondary", onclick: () => pick(true) },
          "Behold din tekst",
          srOnly(` i ${conflict.name}`),
        ),
      ),
    );
    return group;
  });
  return groups;
}
