// The one way the pages talk to the service: GraphQL over POST /graphql.

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

export async function graphql(query, variables = {}, token = null) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError("Fikk ikke kontakt med tjenesten. Sjekk nettforbindelsen og prøv igjen.", "NETWORK");
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`Tjenesten svarte ikke som ventet (HTTP ${response.status}). Prøv igjen.`, "HTTP");
  }
  if (body.errors?.length) {
    const code = body.errors[0].extensions?.code ?? "ERROR";
    // A change cut off while it was saved keeps the service's words: the GP must look first.
    const known = body.errors[0].extensions?.commitUnknown ? null : MESSAGES[code];
    throw new ApiError(known ?? body.errors[0].message, code);
  }
  return body.data;
}
