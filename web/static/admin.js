// The admin page ("Helsetilbud"): sign-in, "Velg virksomhet" and the four tabs. Everything
// goes through the GraphQL API with the GP's bearer token.

import { graphql } from "./api.js";
import { createAbsencesTab } from "./absences-tab.js";
import { h, replace } from "./dom.js";
import { createHistoryTab } from "./history-tab.js";
import { ME, PATIENT_PANEL, PRACTICE } from "./queries.js";
import { signIn, signOut } from "./session.js";
import { createTabs } from "./tabs.js";
import { createTextsTab } from "./texts-tab.js";
import { createToolsTab } from "./tools-tab.js";

const app = document.getElementById("app");
const user = document.getElementById("user");

function problem(title, ...lines) {
  replace(
    app,
    h("div", { class: "alert", role: "alert" }, h("h2", {}, title), lines.map((line) => h("p", {}, line))),
  );
}

function showPicker(practitioners) {
  replace(
    app,
    h(
      "section",
      { class: "card", "aria-labelledby": "picker-heading" },
      h("h2", { id: "picker-heading" }, "Logg inn for utvikling"),
      h("p", {}, "I produksjon logger du inn med HelseID. Her kan du velge en behandler fra registeret:"),
      h(
        "ul",
        { class: "picker" },
        practitioners.map((person) =>
          h(
            "li",
            {},
            h("a", { href: `/?dev-hpr=${person.hprNumber}` }, `${person.name} (HPR ${person.hprNumber})`),
            h("span", { class: "hint" }, person.practices.map((p) => p.name).join(", ") || "Ingen legekontor"),
          ),
        ),
      ),
    ),
  );
}

function showSignedOut(reason = null) {
  replace(
    app,
    h(
      "section",
      { class: "card", "aria-labelledby": "signed-out-heading" },
      h("h2", { id: "signed-out-heading" }, "Du er ikke logget inn"),
      reason ? h("p", {}, reason) : null,
      h("p", {}, "Logg inn via Tjenesteportalen for helseaktører (HelseID) for å bruke Tilpass Helsenorge."),
    ),
  );
}

function showUser(me, session) {
  replace(
    user,
    h("span", {}, `${me.name} (HPR ${me.hprNumber})`),
    session.development
      ? h("a", { href: "/" }, "Bytt bruker")
      : h(
          "button",
          {
            type: "button",
            class: "link-button",
            onclick: () => {
              signOut();
              location.assign("/");
            },
          },
          "Logg ut",
        ),
  );
}

function practiceLabel(practice) {
  return `${practice.name}, HER-id ${practice.herId}`;
}

function mountAdmin(me, token) {
  const ctx = {
    me,
    herId: me.practices[0].herId,
    // The version every view on the page was read at: saveTexts sends it as expectedVersion.
    version: 0,
    api: (query, variables) => graphql(query, variables, token),
    preview: null,
    /** The patient side as the GP's own patients see it today (cached until a change). */
    patientPanel() {
      ctx.preview ??= ctx.api(PATIENT_PANEL, { herId: ctx.herId, hpr: me.hprNumber, on: null }).then(
        (data) => data.patientPanel,
      );
      return ctx.preview;
    },
    /** After this page changed the practice. A jump of more than one means a colleague changed
     * something too; the old version is then kept so that the next save reports it. */
    ownChange(practice) {
      if (practice.version === ctx.version + 1) ctx.version = practice.version;
      ctx.preview = null;
      for (const tab of [texts, tools, absences]) tab.refresh(practice);
    },
    reload: () => load(ctx.herId),
    /** An undo in "Historikk" reloads the boxes too, so it warns first when they hold typing. */
    unsavedTexts: () => texts.isDirty(),
  };
  const texts = createTextsTab(ctx);
  const tools = createToolsTab(ctx);
  const absences = createAbsencesTab(ctx);
  const historyTab = createHistoryTab(ctx);

  const select = h(
    "select",
    { id: "virksomhet", name: "virksomhet" },
    me.practices.map((practice) => h("option", { value: practice.herId }, practiceLabel(practice))),
  );
  select.addEventListener("change", () => {
    if (texts.isDirty() && !confirm("Du har endringer som ikke er lagret. Vil du bytte virksomhet og forkaste dem?")) {
      select.value = String(ctx.herId);
      return;
    }
    load(Number(select.value));
  });
  const loading = h("p", { class: "status", role: "status" });
  const tabs = createTabs("Innstillinger for legekontoret", [
    { id: "info", title: "Info til pasient", panel: texts.element },
    { id: "verktoy", title: "Integrerte verktøy", panel: tools.element },
    { id: "fravaer", title: "Fravær", panel: absences.element },
    { id: "historikk", title: "Historikk", panel: historyTab.element, onSelect: historyTab.show },
  ]);
  replace(
    app,
    h("div", { class: "field practice-picker" }, h("label", { for: "virksomhet" }, "Velg virksomhet"), select),
    loading,
    tabs.element,
  );

  // A GP who switches practice while one is loading must see the practice last chosen, not
  // whichever answer arrives last.
  let latestLoad = 0;
  async function load(herId) {
    const thisLoad = ++latestLoad;
    loading.textContent = "Laster …";
    let practice;
    try {
      practice = (await ctx.api(PRACTICE, { herId })).practice;
    } catch (error) {
      if (thisLoad !== latestLoad) return;
      loading.textContent = "";
      problem("Kunne ikke hente legekontoret", error.message);
      return;
    }
    if (thisLoad !== latestLoad) return;
    loading.textContent = "";
    Object.assign(ctx, { herId, version: practice.version, preview: null });
    for (const tab of [texts, tools, absences, historyTab]) tab.load(practice);
  }

  window.addEventListener("beforeunload", (event) => {
    if (texts.isDirty()) event.preventDefault();
  });
  return load(ctx.herId);
}

async function start() {
  let session;
  try {
    session = await signIn();
  } catch (error) {
    problem("Kunne ikke logge inn", error.message);
    return;
  }
  if (!session.token) {
    if (session.practitioners) showPicker(session.practitioners);
    else showSignedOut();
    return;
  }
  let me;
  try {
    me = (await graphql(ME, {}, session.token)).me;
  } catch (error) {
    if (error.code === "UNAUTHENTICATED") {
      signOut();
      showSignedOut(error.message);
    } else {
      problem("Noe gikk galt", error.message);
    }
    return;
  }
  if (!me) {
    problem("Ingen tilgang", "Du er ikke registrert som lege i Helsepersonellregisteret (HPR).");
    return;
  }
  showUser(me, session);
  if (!me.practices.length) {
    problem(
      "Ingen legekontor",
      "Du er ikke knyttet til noe fastlegekontor i Adresseregisteret. Rettighetene følger tilknytningen.",
    );
    return;
  }
  await mountAdmin(me, session.token);
}

start();
