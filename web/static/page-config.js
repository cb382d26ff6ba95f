// What the server tells the admin page beyond the API (web/routes.py, page_config): the guide's
// links from the settings, and the services' names. It comes in the page as a JSON data block,
// not a script, since the Content-Security-Policy allows no inline script.

import { h, srOnly } from "./dom.js";

function read() {
  const text = document.getElementById("page-config")?.textContent;
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

/** { helpUrl, absenceGuideUrl, services: [{ code, title, patientTitle, absence }] }; a page
 * served without it (a copy opened from disk) gets {} and leaves the links out. */
export const PAGE_CONFIG = Object.freeze(read());

/** A link to one of the guide's pages for GPs. It opens in a new tab, said visibly (↗) and to
 * screen readers, so that reading the guide does not leave the page and what is typed in it. */
export function guideLink(url, text) {
  return h(
    "a",
    { href: url, target: "_blank", rel: "noopener noreferrer", class: "guide-link" },
    text,
    h("span", { "aria-hidden": "true" }, " ↗"),
    srOnly(" (åpnes i en ny fane)"),
  );
}
