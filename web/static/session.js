// Where the admin page's bearer token comes from.
//
// Production: whatever signs the GP in with HelseID sends the browser to
// /#access_token=<token>; the page keeps it for this tab (sessionStorage) and sends it as
// "Authorization: Bearer". Development: /?dev-hpr=N gets a token from the server for
// practitioner N; without it the page offers the practitioners in the registry.

const STORAGE_KEY = "tilpass.token";

export async function signIn() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const handedOver = fragment.get("access_token");
  if (handedOver) {
    sessionStorage.setItem(STORAGE_KEY, handedOver);
    // Out of the address bar, so that it is neither bookmarked nor shared by accident.
    history.replaceState(null, "", location.pathname + location.search);
    return { token: handedOver, development: false };
  }
  const devHpr = new URLSearchParams(location.search).get("dev-hpr");
  if (devHpr !== null) return { token: await developmentToken(devHpr), development: true };
  const kept = sessionStorage.getItem(STORAGE_KEY);
  if (kept) return { token: kept, development: false };
  return { token: null, practitioners: await developmentPractitioners() };
}

export function signOut() {
  sessionStorage.removeItem(STORAGE_KEY);
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
