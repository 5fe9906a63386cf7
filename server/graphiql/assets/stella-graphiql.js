// Boots GraphiQL from the JSON config in the page. It is a file, not an inline
// script, so that the Content-Security-Policy can stay at script-src 'self'.
(function () {
  'use strict';
  var cfg = JSON.parse(document.getElementById('graphiql-config').textContent);
  // react-remove-scroll (GraphiQL's dialogs) injects a <style> element and tags
  // it with this global, so the per-response CSP nonce admits it.
  window.__webpack_nonce__ = cfg.styleNonce;
  var props = {
    fetcher: GraphiQL.createFetcher({ url: cfg.endpoint }),
    isHeadersEditorEnabled: cfg.headerEditor,
    // Tokens pasted into the header editor must not outlive the tab.
    shouldPersistHeaders: false
  };
  if (cfg.defaultHeaders) {
    props.defaultHeaders = cfg.defaultHeaders;
    props.defaultEditorToolsVisibility = 'headers';
  }
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, props));
})();
