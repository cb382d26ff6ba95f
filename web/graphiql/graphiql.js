// GraphiQL for /graphql in development (edge/graphiql.py). Strawberry's page, served from the
// service itself: the same fetcher, without subscriptions. Loaded after React and GraphiQL's
// UMD builds, which define the globals React, ReactDOM and GraphiQL.
(function () {
  "use strict";

  // Headers that go with every request GraphiQL sends (the page's JSON block): they mark the
  // requests as GraphiQL's, so that a developer may run any document (edge/graphql_over_http.py).
  const config = JSON.parse(document.getElementById("graphiql-config").textContent);

  const EXAMPLE_QUERY = `# GraphiQL for Tilpass Helsenorge (bare i utvikling)
#
# Kjør spørringen: Ctrl-Enter eller ▶.
# Forslag til felt: Ctrl-Space.
#
# Pasientsidens spørringer trenger ingen innlogging.
# Resten trenger et token under «Headers» nederst:
#   {"Authorization": "Bearer <token>"}
# \`make run\` skriver ut et utviklingstoken.

{
  patientService(herId: 8142519, service: TIMEBESTILLING) {
    title
  }
}
`;

  // The query and variables travel in the address, so that a query can be shared as a link.
  // Headers never do: they may hold a token.
  const parameters = new URLSearchParams(window.location.search);

  function updateURL(name, value) {
    if (value) {
      parameters.set(name, value);
    } else {
      parameters.delete(name);
    }
    const search = parameters.toString();
    history.replaceState(null, "", search ? "?" + search : window.location.pathname);
  }

  const fetcher = GraphiQL.createFetcher({
    url: window.location.origin + window.location.pathname,
    headers: config.headers,
  });

  function TilpassGraphiQL() {
    const [query, setQuery] = React.useState(parameters.get("q") || EXAMPLE_QUERY);
    const [variables, setVariables] = React.useState(parameters.get("variables") || undefined);

    function onEditQuery(newQuery) {
      setQuery(newQuery);
      updateURL("q", newQuery);
    }

    function onEditVariables(newVariables) {
      setVariables(newVariables);
      updateURL("variables", newVariables);
    }

    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      query: query,
      variables: variables,
      onEditQuery: onEditQuery,
      onEditVariables: onEditVariables,
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(TilpassGraphiQL),
  );
})();
