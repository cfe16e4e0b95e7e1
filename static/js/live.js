/* A live fragment listens one way: pushed by its page's event stream, or polling when the page has
 * none (the server sends the polling markup then). A pushed fragment carries its poll URL with the
 * trigger `poll-instead`; this script fires it when the stream cannot open in this browser: no
 * EventSource at all, or the server refused the stream (the EventSource closed, not reconnecting).
 * The poll's answer is the fragment that polls, until it answers 286. */
(function () {
  "use strict";

  function pollInstead(root) {
    var fragments = Array.prototype.slice.call(root.querySelectorAll("[hx-trigger='poll-instead']"));
    if (root.matches && root.matches("[hx-trigger='poll-instead']")) fragments.push(root);
    fragments.forEach(function (fragment) { htmx.trigger(fragment, "poll-instead"); });
  }

  document.addEventListener("htmx:load", function (event) {
    if (!window.EventSource) pollInstead(event.detail.elt);
  });
  document.addEventListener("htmx:sseError", function (event) {
    var source = event.detail && event.detail.source;
    if (source && source.readyState === EventSource.CLOSED) pollInstead(event.target);
  });
})();
