// How the admin page knows who is signed in.
//
// HelseID: the service signs the GP in itself (/auth/login) and keeps the session on the
// server; the browser holds only an HttpOnly cookie that this script never sees, so no token
// lives in the page, its storage or its address. Development: /?dev-hpr=N gets a token from
// the server for practitioner N (kept in memory only); without it the page offers the
// practitioners in the registry, beside "Logg inn med HelseID" when HelseID is configured.

const DRAFTS_KEY = "tilpass.drafts";

export async function signIn() {
  const devHpr = new URLSearchParams(location.search).get("dev-hpr");
  if (devHpr !== null) return { token: await developmentToken(devHpr), development: true };
  const [helseid, practitioners] = await Promise.all([helseidConfigured(), developmentPractitioners()]);
  return { token: null, helseid, practitioners };
}

/** Where "Logg inn med HelseID" goes: the login, coming back to this page. */
export function loginUrl() {
  const next = location.pathname + location.search;
  return `/auth/login?next=${encodeURIComponent(next)}`;
}

/** What the GP typed, kept in this tab while they sign in again (texts only, never tokens). */
export function keepDrafts(drafts) {
  sessionStorage.setItem(DRAFTS_KEY, JSON.stringify(drafts));
}

/** The drafts kept before signing in again, once; null when there are none. */
export function takeDrafts() {
  const kept = sessionStorage.getItem(DRAFTS_KEY);
  sessionStorage.removeItem(DRAFTS_KEY);
  if (!kept) return null;
  try {
    return JSON.parse(kept);
  } catch {
    return null;
  }
}

async function helseidConfigured() {
  try {
    const response = await fetch("/auth/session", { headers: { Accept: "application/json" } });
    return response.ok && (await response.json()).helseid === true;
  } catch {
    return false;
  }
}

async function developmentToken(hprText) {
  const hpr = /^\d{1,9}$/.test(hprText) ? Number(hprText) : 0;
  if (!hpr) throw new Error(`«${hprText}» er ikke et HPR-nummer.`);
  const response = await fetch("/dev/token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ hpr }),
  });
  if (response.status === 404) {
    throw new Error("Innlogging med dev-hpr finnes bare i utvikling. Logg inn med HelseID.");
  }
  if (!response.ok) throw new Error("Fikk ikke logget inn for utvikling.");
  return (await response.json()).token;
}

/** The registry's practitioners in development; null in production, where the route is gone. */
async function developmentPractitioners() {
  const response = await fetch("/dev/practitioners");
  if (!response.ok) return null;
  return (await response.json()).practitioners;
}
