"""What stands between HTTP and the schema: GraphQL over HTTP, limits, the patient response
cache, security headers and CORS, logs, metrics and readiness; one module per concern."""
