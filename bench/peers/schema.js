'use strict'
// What both peers serve: the subset of the service's schema (schema.graphql at the project's
// root) that the benchmark's SERVICE document selects, with the same types and nullability,
// and a resolver that returns the service's own answer to that document. The answer is
// recorded by bench/compare.py at the start of its run and named by BENCH_ANSWER_FILE, so
// the peers send the same bytes' worth of data while executing the whole selection.
const { readFileSync } = require('node:fs')

const typeDefs = /* GraphQL */ `
  scalar Date

  enum Service {
    TIMEBESTILLING
    E_KONSULTASJON
    RESEPTFORNYELSE
    KONTAKT_LEGEKONTORET
  }

  enum EntryPoint {
    TIMEBESTILLING_KONSULTASJON
    TIMEBESTILLING_KORONATEST
    TIMEBESTILLING_KORONAVAKSINE
    TIMEBESTILLING_INFLUENSAVAKSINE
    TIMEBESTILLING_LABTIME
    E_KONSULTASJON
    E_KONTAKT
    RESEPTFORNYELSE
    KONTAKT_FASTLEGEN
  }

  type Form {
    id: ID!
    title: String!
    displayName: String!
    questionnaireRef: String!
  }

  type PatientEntry {
    entryPoint: EntryPoint!
    title: String!
    form: Form
  }

  type AbsenceNotice {
    from: Date!
    to: Date!
    returnsOn: Date!
    message: String!
  }

  type PatientService {
    service: Service!
    title: String!
    offered: Boolean!
    available: Boolean!
    standardText: String
    practiceText: String
    form: Form
    entryPoints: [PatientEntry!]!
    absence: AbsenceNotice
  }

  type Query {
    patientService(herId: Int!, service: Service!, practitionerHpr: Int = null): PatientService
  }
`

function answer () {
  const path = process.env.BENCH_ANSWER_FILE
  if (!path) throw new Error('BENCH_ANSWER_FILE names no file')
  return JSON.parse(readFileSync(path, 'utf8')).data.patientService
}

function resolvers () {
  const patientService = answer()
  // A fresh top-level object per request, as a resolver reading a store would return; every
  // field below it is then resolved by the server's default resolvers.
  return { Query: { patientService: () => ({ ...patientService }) } }
}

function port () {
  const value = Number(process.argv[2] || process.env.PORT)
  if (!Number.isInteger(value) || value <= 0) throw new Error('usage: node SERVER.js PORT')
  return value
}

module.exports = { typeDefs, resolvers, port }
