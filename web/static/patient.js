// The patient preview at /pasient/{herId}?hpr=N&dato=YYYY-MM-DD&sprak=en: the GP panel and
// every service page as the patient page on Helsenorge gets them from patientPanel, in the
// patient's language (nb, nn, se or en; bokmål without). No token.

import { graphql } from "./api.js";
import { h, replace } from "./dom.js";
import { shortDate, todayInOslo } from "./format.js";
import { DEFAULT_LANGUAGE, codeOfTag, langTag, languageOf } from "./languages.js";
import { renderPanel, renderServicePage } from "./patient-view.js";
import { PATIENT_PANEL } from "./queries.js";

const preview = document.getElementById("preview");
const summary = document.getElementById("summary");

function readRequest() {
  const herId = Number(location.pathname.match(/\/pasient\/(\d+)/)?.[1]);
  const query = new URLSearchParams(location.search);
  const hprText = (query.get("hpr") ?? "").trim();
  const dateText = (query.get("dato") ?? "").trim();
  const languageText = (query.get("sprak") ?? "").trim();
  const problems = [];
  if (hprText && !/^\d{1,9}$/.test(hprText)) problems.push(`«${hprText}» er ikke et HPR-nummer.`);
  if (dateText && !/^\d{4}-\d{2}-\d{2}$/.test(dateText)) problems.push(`«${dateText}» er ikke en dato (ÅÅÅÅ-MM-DD).`);
  if (languageText && !codeOfTag(languageText)) {
    problems.push(`«${languageText}» er ikke et av språkene på Helsenorge (nb, nn, se eller en).`);
  }
  return {
    herId,
    hpr: /^\d{1,9}$/.test(hprText) ? Number(hprText) : null,
    on: /^\d{4}-\d{2}-\d{2}$/.test(dateText) ? dateText : null,
    language: codeOfTag(languageText) ?? DEFAULT_LANGUAGE,
    hprText,
    dateText,
    problems,
  };
}

function describe(panel, request) {
  const who = request.hpr ? `en pasient med fastlege HPR ${request.hpr}` : "en pasient (uten valgt fastlege)";
  const when = request.on ? shortDate(request.on) : `i dag, ${shortDate(todayInOslo())}`;
  const asked = languageOf(request.language);
  const language = request.language === DEFAULT_LANGUAGE ? "" : ` på ${asked.inNorwegian}`;
  // The catalogue falls back to bokmål as a whole where a language is not translated yet.
  const fallback = panel.services.some((service) => service.language !== request.language)
    ? ` Standardtekstene finnes ikke på ${asked.inNorwegian} ennå og vises på bokmål.`
    : "";
  return `${panel.practice.name} (HER-id ${panel.practice.herId}) slik ${who} ser det ${when}${language}.${fallback}`;
}

async function show() {
  const request = readRequest();
  document.getElementById("hpr").value = request.hprText;
  document.getElementById("dato").value = request.on ?? "";
  document.getElementById("sprak").value = langTag(request.language);
  if (request.problems.length) {
    replace(preview, h("div", { class: "alert", role: "alert" }, request.problems.map((p) => h("p", {}, p))));
    return;
  }
  let panel;
  try {
    const variables = { herId: request.herId, hpr: request.hpr, on: request.on, language: request.language };
    const data = await graphql(PATIENT_PANEL, variables);
    panel = data.patientPanel;
  } catch (error) {
    replace(preview, h("div", { class: "alert", role: "alert" }, h("p", {}, error.message)));
    return;
  }
  if (!panel) {
    replace(
      preview,
      h(
        "div",
        { class: "alert", role: "alert" },
        h("p", {}, `Fant ikke legekontoret med HER-id ${request.herId}, eller fastlegen er ikke knyttet til det.`),
      ),
    );
    return;
  }
  document.title = `Forhåndsvisning: ${panel.practice.name} – Helsenorge`;
  summary.textContent = describe(panel, request);
  replace(
    preview,
    h("div", { class: "hn-screen" }, renderPanel(panel, { level: 2 })),
    panel.services.map((service) => h("div", { class: "hn-screen" }, renderServicePage(service, { level: 2 }))),
  );
}

show();
