/* The cart's Next sends the quantities the fields show (each field belongs to its line's own form):
 * the checkout checks them again and, while one is refused, shows the cart with the message beside
 * its field instead of going on with the saved number. Without JavaScript the Next form carries the
 * quantities typed and refused (typed-<line>); here every field goes, as quantity-<line>, which wins. */
(function () {
  "use strict";
  if (window.cartNextSendsFields) return; // the cart page loaded again by htmx
  window.cartNextSendsFields = true;

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches("form.cart-next")) return;
    form.querySelectorAll("input[data-field-copy]").forEach(function (copy) { copy.remove(); });
    document.querySelectorAll("#cart .quantity-input").forEach(function (field) {
      var copy = document.createElement("input");
      copy.type = "hidden";
      copy.name = field.name;
      copy.value = field.value;
      copy.setAttribute("data-field-copy", "");
      form.appendChild(copy);
    });
  });
})();
