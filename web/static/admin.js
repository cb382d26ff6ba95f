// The admin page ("Helsetilbud"): sign-in, "Velg virksomhet" and the four tabs. Everything
// goes through the GraphQL API: with the session cookie after "Logg inn med HelseID", or with
// a development token.

import { graphql } from "./api.js";
import { createAbsencesTab } from "./absences-tab.js";
import { h, replace } from "./dom.js";
import { createHistoryTab } from "./history-tab.js";
import { PAGE_CONFIG, guideLink } from "./page-config.js";
import { ME, PATIENT_PANEL, PRACTICE } from "./queries.js";
import { keepDrafts, loginUrl, signIn, takeDrafts } from "./session.js";
import { loadStandardTexts } from "./standard-texts.js";
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

/** The guide's question under the heading, signed in or not: where a GP gets started with
 * digital dialog («Helsenorge for fastleger», at the address in the settings). */
function showHelp() {
  const holder = document.getElementById("guide-help");
  if (!holder || !PAGE_CONFIG.helpUrl) return;
  replace(
    holder,
    "Trenger du hjelp til å ta i bruk digital dialog med dine pasienter? ",
    guideLink(PAGE_CONFIG.helpUrl, "Gå til «Helsenorge for fastleger»"),
  );
  holder.hidden = false;
}

function helseidButton(text = "Logg inn med HelseID") {
  return h("a", { class: "button", href: loginUrl() }, text);
}

function showSignIn(session, reason = null) {
  const sections = [];
  if (session.helseid || !session.practitioners) {
    sections.push(
      h(
        "section",
        { class: "card", "aria-labelledby": "signed-out-heading" },
        h("h2", { id: "signed-out-heading" }, "Du er ikke logget inn"),
        reason ? h("p", {}, reason) : null,
        session.helseid
          ? [h("p", {}, "Logg inn med HelseID for å bruke Tilpass Helsenorge."), h("p", {}, helseidButton())]
          : h("p", {}, "Innlogging med HelseID er ikke satt opp for denne tjenesten."),
      ),
    );
  }
  if (session.practitioners) sections.push(pickerSection(session.practitioners));
  replace(app, sections);
}

function pickerSection(practitioners) {
  return h(
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
  );
}

function showUser(me, session) {
  replace(
    user,
    h("span", { class: "user-name" }, `${me.name} (HPR ${me.hprNumber})`),
    session.development
      ? h("a", { href: "/" }, "Bytt bruker")
      : // A form, not a script: the logout ends the session on the server and goes on to
        // HelseID's own logout.
        h(
          "form",
          { method: "post", action: "/auth/logout", class: "logout" },
          h("button", { type: "submit", class: "link-button" }, "Logg ut"),
        ),
  );
}

/** The session ended while the GP worked: one banner over the page offers to sign in again,
 * keeping what they typed in the text boxes for when they come back. */
function sessionEnded(keep) {
  if (document.getElementById("session-ended")) return;
  const banner = h(
    "div",
    { id: "session-ended", class: "alert", role: "alert" },
    h("h2", {}, "Du er logget ut"),
    h("p", {}, "Økten din er utløpt. Det du har skrevet, blir tatt vare på mens du logger inn på nytt."),
    h(
      "p",
      {},
      h(
        "a",
        {
          class: "button",
          href: loginUrl(),
          onclick: () => keep(),
        },
        "Logg inn på nytt",
      ),
    ),
  );
  app.prepend(banner);
  banner.querySelector("a").focus();
}

function practiceLabel(practice) {
  return `${practice.name}, HER-id ${practice.herId}`;
}

function mountAdmin(me, session) {
  const drafts = takeDrafts();
  const start = me.practices.some((p) => p.herId === drafts?.herId) ? drafts.herId : me.practices[0].herId;
  const ctx = {
    me,
    herId: start,
    // The version every view on the page was read at: saveTexts sends it as expectedVersion.
    version: 0,
    async api(query, variables) {
      try {
        return await graphql(query, variables, session.token);
      } catch (error) {
        if (error.code === "UNAUTHENTICATED" && !session.token) {
          sessionEnded(() => keepDrafts({ herId: ctx.herId, texts: texts.typed() }));
        }
        throw error;
      }
    },
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
  // The boxes in other languages show their standard text once it has been read.
  loadStandardTexts(ctx);
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
    // Going to sign in again keeps the typing (sessionEnded), so it needs no warning.
    if (texts.isDirty() && !document.getElementById("session-ended")) event.preventDefault();
  });
  select.value = String(ctx.herId);
  return load(ctx.herId).then(() => {
    if (drafts?.texts && Object.keys(drafts.texts).length && drafts.herId === ctx.herId) {
      texts.keepTyping(drafts.texts);
    }
  });
}

async function start() {
  showHelp();
  let session;
  try {
    session = await signIn();
  } catch (error) {
    problem("Kunne ikke logge inn", error.message);
    return;
  }
  let me;
  try {
    // Without a development token the session cookie (if any) speaks for the GP.
    me = (await graphql(ME, {}, session.token)).me;
  } catch (error) {
    if (error.code === "UNAUTHENTICATED") {
      showSignIn(session, "Økten din er utløpt eller avsluttet. Logg inn på nytt.");
    } else {
      problem("Noe gikk galt", error.message);
    }
    return;
  }
  if (!me && !session.token) {
    showSignIn(session);
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
  await mountAdmin(me, session);
}

start();
