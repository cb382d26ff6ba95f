// One name per service for GPs, wherever the admin page names one: the catalogue's admin title,
// which is also the title of the service's box on "Info til pasient" ("Reseptfornyelse"). The
// names patients see ("Fornye resept") belong in the patient view only.

import { PAGE_CONFIG } from "./page-config.js";

// In the order of the boxes on "Info til pasient", so that lists of services read alike.
const SERVICES = PAGE_CONFIG.services ?? [];
const BY_CODE = new Map(SERVICES.map((service) => [service.code, service]));
// Either name → the service: history entries written before the server named services by their
// admin titles name them as patients do.
const BY_NAME = new Map(SERVICES.flatMap((service) => [[service.title, service], [service.patientTitle, service]]));

/** The services an absence can switch off, as [{ code, title }], in box order. */
export function absenceServices() {
  return SERVICES.filter((service) => service.absence);
}

/** RESEPTFORNYELSE → "Reseptfornyelse" (the code itself for a service the page does not know). */
export function serviceName(code) {
  return BY_CODE.get(code)?.title ?? code;
}

/** Codes → "Reseptfornyelse, E-konsultasjon", in box order whatever order they came in. */
export function serviceNames(codes) {
  const known = SERVICES.filter((service) => codes.includes(service.code)).map((service) => service.title);
  const unknown = codes.filter((code) => !BY_CODE.has(code));
  return [...known, ...unknown].join(", ");
}

// "La til fravær for Astrid Info 12.06.2024–08.07.2024 (Bestille time, Fornye resept).", also
// behind "Angret: " and before " (angringen er opphevet)": the only summaries that name services.
const ABSENCE_SUMMARY = /^((?:Angret: )*La til fravær for .*?)\(([^()]+)\)\./;

/** A history entry's summary with its services named as everywhere else on the page ("…
 * (Reseptfornyelse, Timebestilling)."); any other summary, or a list with a name this page does
 * not know, is returned as it is. */
export function withServiceNames(summary) {
  const found = ABSENCE_SUMMARY.exec(summary);
  if (!found) return summary;
  const services = found[2].split(", ").map((name) => BY_NAME.get(name));
  if (services.some((service) => !service)) return summary;
  const names = serviceNames(services.map((service) => service.code));
  return `${found[1]}(${names}).${summary.slice(found[0].length)}`;
}
