/* A button that asks first in the browser's dialog (hx-confirm on it or its form: Cancel subscription, Delete,
 * Revoke, Remove, …) asks once for one press.
 * - The second click of a double click reached the page once the dialog of the first was answered, and was a
 *   press of its own: dismissed, the dialog asked again at once; accepted, htmx kept the second press until the
 *   first's answer and asked again then. It is no press: dropped before htmx sees it.
 * - A press while the accepted one is on its way (a slower second click) is not asked either: dropped, as htmx
 *   would drop it once the answer replaced its button, or ask again and send it a second time. On its way until
 *   answered, or, when the answer leads to another page (HX-Redirect), until that page opens. */
(function () {
  "use strict";
  var onItsWay = new WeakSet();

  function asks(element) {
    return !!(element && element.closest && element.closest("[hx-confirm], [data-hx-confirm]"));
  }

  document.addEventListener("click", function (event) {
    if (event.detail < 2 || !(event.target instanceof Element)) return;
    var control = event.target.closest("button, input[type=submit], input[type=image]");
    if (control && (asks(control) || asks(control.form))) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  document.addEventListener("htmx:confirm", function (event) {
    if (event.detail.question && onItsWay.has(event.detail.elt)) event.preventDefault();
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (asks(event.detail.elt)) onItsWay.add(event.detail.elt);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var element = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (element && !event.detail.keepIndicators) onItsWay.delete(element);
  });
})();
