// itosm's GraphiQL, served from the daemon itself (no CDN): queries and
// mutations go to POST /graphql. Log in with the `login` mutation, then put
// {"Authorization": "Bearer <token>"} in the Headers tab.
(function () {
  "use strict";
  var url = new URL("/graphql", window.location.origin).toString();
  // Logged in to the portal in this browser, its session cookie counts
  // here too; cookie-authenticated requests must carry this header (see
  // docs/SECURITY.md), which only a page of this origin can add.
  var fetcher = GraphiQL.createFetcher({ url: url, headers: { "X-Itosm-Csrf": "1" } });
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      defaultQuery:
        "# Log in, then send the token as a header:\n" +
        '#   {"Authorization": "Bearer <token>"}\n' +
        'mutation { login(username: "john.doe", employeeId: "EMP123") { token } }\n',
    })
  );
})();
