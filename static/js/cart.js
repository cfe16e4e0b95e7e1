/* The cart is one form (templates/catalog/_cart.html): Enter in a quantity field presses its first
 * button, which saves every field and loads the cart again, as a buyer without JavaScript needs.
 * With JavaScript the field's change event, which Enter fires first, has already sent that line's
 * update through htmx and only that line is swapped: the page does not load again. */
(function () {
  "use strict";
  if (window.cartEnterStaysOnThePage) return; // the cart page loaded again by htmx
  window.cartEnterStaysOnThePage = true;

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.matches("form.cart-form") &&
        event.submitter && event.submitter.matches(".cart-update-all")) {
      event.preventDefault();
    }
  });
})();
