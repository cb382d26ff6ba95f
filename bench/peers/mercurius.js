'use strict'
// Fastify + Mercurius, every request executed through graphql-jit's compiled query (jit: 1:
// compiled on the first request, used from then on). Mercurius keeps its parse and
// validation cache (as the service keeps its own); there is no response cache.
const Fastify = require('fastify')
const mercurius = require('mercurius')
const { typeDefs, resolvers, port } = require('./schema')

const app = Fastify({ logger: false })
app.register(mercurius, { schema: typeDefs, resolvers: resolvers(), jit: 1, graphiql: false })
app.listen({ host: '127.0.0.1', port: port() }).catch((error) => {
  console.error(error)
  process.exit(1)
})
