'use strict'
// graphql-yoga on node:http with its defaults (parse and validation cache on, no response
// cache), one process.
const { createServer } = require('node:http')
const { createSchema, createYoga } = require('graphql-yoga')
const { typeDefs, resolvers, port } = require('./schema')

const yoga = createYoga({
  schema: createSchema({ typeDefs, resolvers: resolvers() }),
  graphiql: false,
  landingPage: false,
  logging: false
})
createServer(yoga).listen(port(), '127.0.0.1')
