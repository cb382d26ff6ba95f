// Runs the graphql-http server audits against the URL given as the only argument and prints
// every result as one JSON array: [{id, name, status, reason}], status "ok", "notice", "warn"
// or "error" (MAY audits that fail are notices).
import { auditServer } from "graphql-http";

const url = process.argv[2];
const results = await auditServer({ url });
const out = results.map((r) => ({
  id: r.id,
  name: r.name,
  status: r.status,
  reason: r.reason ?? null,
}));
process.stdout.write(JSON.stringify(out));
