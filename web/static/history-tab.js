// "Historikk": the practice's changes, newest first, 20 at a time ("Vis flere"), with when, who
// and what (history-entries.js: for a text, the text before and after). "ANGRE" undoes one as a
// new change, which is listed first and can itself be undone (a redo, "Gjorde om: …"). The
// server says which entries can be undone now (`revertible`); only those get the button, so a
// GP is never offered an undo that would be refused.

import { confirmAction } from "./dialog.js";
import { h, replace, srOnly } from "./dom.js";
import { describe, entryDetails, undoDetails } from "./history-entries.js";
import { HISTORY, REVERT_CHANGE } from "./history-queries.js";
import { withServiceNames } from "./service-names.js";

const PAGE_SIZE = 20;

const OSLO_TIME = new Intl.DateTimeFormat("nb-NO", {
  timeZone: "Europe/Oslo",
  day: "2-digit",
  month: "2-digit",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

/** 2026-11-28T13:05:00+00:00 → "28.11.2026 kl. 14:05": the time in Norway, wherever the
 * browser is, written as Norwegian GPs write it. */
export function osloDateTime(iso) {
  // The server sends microseconds; Date is only promised to parse milliseconds.
  const moment = new Date(iso.replace(/(\.\d{3})\d+/, "$1"));
  const part = Object.fromEntries(OSLO_TIME.formatToParts(moment).map((p) => [p.type, p.value]));
  return `${part.day}.${part.month}.${part.year} kl. ${part.hour}:${part.minute}`;
}

export function createHistoryTab(ctx) {
  let herId = null; // the practice the list shows
  let endCursor = null;
  let request = 0; // an answer to an older request than the latest is dropped
  let appending = false; // one "Vis flere" at a time, or the same page would come twice
  let reverting = false;

  const status = h("p", { class: "status", role: "status" });
  const alert = h("div", { class: "alert", role: "alert", hidden: true });
  // Focus goes here when the control that had it is gone (after an undo the list is new).
  const heading = h("h3", { id: "history-heading", tabindex: "-1" }, "Endringer, nyeste først");
  const rows = h("tbody");
  const more = h(
    "button",
    { type: "button", class: "button secondary", onclick: () => fetchPage(true) },
    "Vis flere",
    srOnly(" endringer"),
  );
  // The button is taken out rather than hidden: `.button` sets display, which beats [hidden].
  const moreSlot = h("div", { class: "buttons" });
  const element = h(
    "div",
    { class: "history" },
    h("h2", {}, "Historikk"),
    h(
      "p",
      {},
      "Her ser du hva som er endret i innstillingene for legekontoret, når og av hvem. Med «Angre» setter du " +
        "en endring tilbake. Angringen blir selv en ny endring i listen, og kan også angres: da gjøres " +
        "endringen om igjen («Gjorde om»).",
    ),
    h(
      "p",
      { class: "hint" },
      "Endringer som ikke lenger kan angres, for eksempel fordi teksten er endret igjen etterpå, har ingen angreknapp.",
    ),
    status,
    alert,
    heading,
    h(
      "table",
      { class: "table history-table", "aria-labelledby": "history-heading" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Tidspunkt", "Endret av", "Endring"].map((title) => h("th", { scope: "col" }, title)),
          h("th", { scope: "col" }, srOnly("Angre")),
        ),
      ),
      rows,
    ),
    moreSlot,
  );

  function message(text) {
    return h("tr", {}, h("td", { colspan: "4" }, text));
  }

  function row(entry, names, titles) {
    const who = names.get(entry.actorHpr) ?? `HPR ${entry.actorHpr}`;
    const when = osloDateTime(entry.at);
    const change = describe(entry, titles);
    const button = entry.revertible
      ? h(
          "button",
          { type: "button", class: "button secondary small", onclick: () => revert(entry, change, who, when) },
          "Angre",
          // Lines repeat ("Endret tilleggsinformasjon for …"): the time tells them apart.
          srOnly(` endringen ${when}: ${change.line}`),
        )
      : null;
    return h(
      "tr",
      {},
      h("th", { scope: "row", class: "when" }, h("time", { datetime: entry.at }, when)),
      h("td", { class: "who" }, who),
      h("td", { class: "change" }, h("p", { class: "change-line" }, change.line), entryDetails(change)),
      h("td", { class: "actions" }, button),
    );
  }

  function showAlert(content) {
    replace(alert, content);
    alert.hidden = false;
  }

  function clearAlert() {
    alert.hidden = true;
    alert.replaceChildren();
  }

  function isShown() {
    return !element.closest("[hidden]");
  }

  /** Reads the first page (a new list) or the next one (appended). */
  async function fetchPage(append) {
    if (append && appending) return;
    const mine = ++request;
    appending = append;
    if (!append) {
      endCursor = null;
      moreSlot.replaceChildren();
      replace(rows, message("Laster historikken …"));
    }
    let practice;
    try {
      const variables = { herId: ctx.herId, first: PAGE_SIZE, after: append ? endCursor : null };
      practice = (await ctx.api(HISTORY, variables)).practice;
    } catch (error) {
      if (mine !== request) return;
      appending = false;
      if (!append) replace(rows, message("Historikken kunne ikke hentes."));
      showAlert(h("p", {}, error.message));
      return;
    }
    if (mine !== request) return;
    appending = false;
    const names = new Map(practice.practitioners.map((p) => [p.hprNumber, p.name]));
    const titles = new Map(practice.texts.map((t) => [t.slot, t.title]));
    const { edges, pageInfo } = practice.auditLog;
    const added = edges.map((edge) => row({ ...edge.node, summary: withServiceNames(edge.node.summary) }, names, titles));
    if (append) rows.append(...added);
    else replace(rows, added.length ? added : message("Ingen endringer er registrert ennå."));
    endCursor = pageInfo.endCursor;
    replace(moreSlot, pageInfo.hasNextPage ? more : null);
    if (append && added.length) {
      // Keyboard and screen reader users go on from the first entry they have not seen.
      const first = added[0].querySelector("th");
      first.tabIndex = -1;
      first.focus();
    }
  }

  async function revert(entry, change, who, when) {
    if (reverting) return;
    // Undoing an undo puts the change back (a redo); undoing a redo takes it away again.
    const undoingAnUndo = entry.action === "revertChange" && !change.redo;
    const sure = await confirmAction({
      title: "Angre endringen?",
      message: [
        // The line quotes names in «»: quoting it again would nest the quotes.
        `${when}, ${who}: ${change.line}`,
        undoingAnUndo
          ? "Det som ble angret, gjelder da igjen."
          : "Innstillingene går da tilbake til slik de var før denne endringen.",
        "Pasientene ser det med en gang.",
        // The undo reads the whole practice again, and the boxes with it.
        ctx.unsavedTexts() ? "Det du har skrevet i «Info til pasient» uten å lagre, blir forkastet." : "",
      ]
        .join(" ")
        .trim(),
      details: undoDetails(change),
      confirmLabel: "Angre endringen",
    });
    if (!sure) return; // dialog.js has given focus back to the button
    reverting = true;
    clearAlert();
    status.textContent = "Angrer …";
    try {
      const input = { herId: ctx.herId, auditEntryId: entry.id, expectedVersion: ctx.version };
      const payload = (await ctx.api(REVERT_CHANGE, { input })).revertChange;
      if (payload.userErrors.length) {
        status.textContent = "";
        await refused(payload.userErrors);
        return;
      }
      // The undo may touch any tab (texts, forms, absences): every tab reads the practice
      // again, this list included (from the top, where the new "Angret: …" entry is).
      await ctx.reload();
      status.textContent = undoingAnUndo
        ? "Endringen er gjort om og gjelder igjen. Pasientene ser det nå."
        : "Endringen er angret. Pasientene ser det nå.";
    } catch (error) {
      status.textContent = "";
      showAlert(h("p", {}, error.message));
    } finally {
      reverting = false;
    }
    heading.focus();
  }

  /** The server's own words (Norwegian, naming what changed since); a stale page is offered a
   * reload as the other tabs do. */
  async function refused(errors) {
    const stale = errors.some((error) => error.code === "STALE_VERSION");
    showAlert([
      // STALE_VERSION's own message speaks of version numbers: the sentence below says it for a GP.
      errors.filter((error) => error.code !== "STALE_VERSION").map((error) => h("p", {}, error.message)),
      stale
        ? [
            h(
              "p",
              {},
              "En kollega har endret innstillingene for legekontoret etter at du åpnet siden, så ingenting ble angret. " +
                "Last inn på nytt for å se det som gjelder nå, og angre derfra om det fortsatt trengs.",
            ),
            h("button", { type: "button", class: "button", onclick: reloadAll }, "Last inn på nytt"),
          ]
        : h("p", {}, "Ingenting ble angret."),
    ]);
    // Without a stale page the flags were stale: the list is read again, and the button on
    // that entry goes if it no longer belongs there.
    if (!stale) await fetchPage(false);
  }

  async function reloadAll() {
    await ctx.reload();
    heading.focus();
  }

  /** The practice was (re)loaded: a new practice starts with a clean slate; the list is read
   * now if it shows, else when the tab is opened. */
  function load() {
    if (herId !== ctx.herId) status.textContent = "";
    clearAlert();
    herId = ctx.herId;
    request += 1; // whatever was on its way belongs to the old state
    appending = false;
    if (isShown()) fetchPage(false);
    else {
      moreSlot.replaceChildren();
      rows.replaceChildren();
    }
  }

  /** The tab was opened: other tabs save without telling the history, so it is read afresh. */
  function show() {
    if (!reverting) fetchPage(false);
  }

  return { element, load, show };
}
