// The one way the pages talk to the service: GraphQL over POST /graphql, by persisted document.
// Each document is sent as its id, `sha256:` and the hex SHA-256 of its text: the service knows
// the pages' documents (its manifest is built from these modules), so the document itself need
// not travel, and with TILPASS_TRUSTED_DOCUMENTS=required nothing else runs.

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

const MESSAGES = {
  UNAUTHENTICATED: "Du er ikke logget inn, eller innloggingen er utløpt. Logg inn på nytt.",
  FORBIDDEN: "Du har ikke tilgang til dette legekontoret.",
  // The database cannot be reached: what the GP typed stays in the form, to be sent again.
  SERVICE_UNAVAILABLE: "Tjenesten er midlertidig utilgjengelig – prøv igjen om litt.",
};

const ids = new Map();

async function documentId(query) {
  let id = ids.get(query);
  if (id === undefined) {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(query));
    const hex = [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
    id = `sha256:${hex}`;
    ids.set(query, id);
  }
  return id;
}

async function post(request, token) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify(request) });
  } catch {
    throw new ApiError("Fikk ikke kontakt med tjenesten. Sjekk nettforbindelsen og prøv igjen.", "NETWORK");
  }
  try {
    return await response.json();
  } catch {
    throw new ApiError(`Tjenesten svarte ikke som ventet (HTTP ${response.status}). Prøv igjen.`, "HTTP");
  }
}

const codeOf = (body) => body.errors?.[0]?.extensions?.code ?? "ERROR";

export async function graphql(query, variables = {}, token = null) {
  const id = await documentId(query);
  let body = await post({ documentId: id, variables }, token);
  if (body.errors?.length && codeOf(body) === "PERSISTED_QUERY_NOT_FOUND") {
    // A document the service does not have yet (a page newer than the service): sending it
    // along registers it, unless only the manifest's documents may run.
    body = await post({ documentId: id, query, variables }, token);
  }
  if (body.errors?.length) {
    const code = codeOf(body);
    // A change cut off while it was saved keeps the service's words: the GP must look first.
    const known = body.errors[0].extensions?.commitUnknown ? null : MESSAGES[code];
    throw new ApiError(known ?? body.errors[0].message, code);
  }
  return body.data;
}
