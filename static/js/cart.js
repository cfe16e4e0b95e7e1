/* The cart with JavaScript (templates/catalog/_cart.html, _cart_line.html). */
(function () {
  "use strict";
  if (window.cartScriptRan) return; // the cart page loaded again by htmx
  window.cartScriptRan = true;

  /* Enter in a quantity field presses the cart form's first button, which saves every field and loads the cart
   * again, as a buyer without JavaScript needs. With JavaScript the field's change event, which Enter fires
   * first, has already sent that line's update through htmx and only that line is swapped: the page does not
   * load again. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.matches("form.cart-form") &&
        event.submitter && event.submitter.matches(".cart-update-all")) {
      event.preventDefault();
      var field = document.activeElement;
      if (field && field.matches && field.matches("form.cart-form .quantity-input")) sendIfUnsent(field);
    }
  });

  /* A quantity typed while its line's earlier change (+, −, Update, a quantity typed before) is on its way is
   * the person's last word on that line. The answer to the earlier change swaps the line (_cart_line.html), but
   * never its quantity field while something typed there is not sent yet: the field itself stays, with what was
   * typed (its other attributes, the number it was drawn with, limits and message, as the answer says), and so
   * does the change htmx keeps waiting on it (hx-sync queue on the cart's form: a change whose field is no
   * longer in the page is dropped). Presses made before the typing, still waiting their turn, step the line's
   * number as the answer before them left it, not the number being typed; what was typed goes last.
   *
   * typed: fields typed in since their line last sent them; changed: those whose change event came since. */
  var typed = new WeakSet();
  var changed = new WeakSet();

  function isQuantity(element) {
    return element instanceof HTMLInputElement && element.matches("form.cart-form .quantity-input");
  }

  document.addEventListener("input", function (event) {
    if (!isQuantity(event.target)) return;
    typed.add(event.target);
    changed.delete(event.target);
  });

  document.addEventListener("change", function (event) {
    if (isQuantity(event.target)) changed.add(event.target);
  });

  /* The browser fires change when a field is left with another number than it had when it was entered. A field
   * kept through an answer may have been entered before the answer's number: typing back the number it showed
   * then fires nothing, although the line now has another. It is sent as a change all the same. */
  function sendIfUnsent(field) {
    if (!typed.has(field) || changed.has(field)) return;
    if (field.value !== field.defaultValue) {
      field.dispatchEvent(new Event("change", {bubbles: true}));
    } else {
      typed.delete(field); // what was typed is the line's number: nothing to send
    }
  }

  document.addEventListener("focusout", function (event) {
    if (isQuantity(event.target)) sendIfUnsent(event.target);
  });

  document.addEventListener("htmx:configRequest", function (event) {
    var element = event.detail.elt;
    var line = element && element.closest && element.closest("form.cart-form tr.cart-line");
    var field = line && line.querySelector(".quantity-input");
    if (!field || !typed.has(field)) return;
    if (element === field) {
      typed.delete(field); // what was typed goes now
      changed.delete(field);
    } else {
      // A press made before the typing (one after it comes after the field's change): the line's number.
      event.detail.parameters[field.name] = field.defaultValue;
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!event.detail.shouldSwap || typeof event.detail.serverResponse !== "string" || !target) return;
    var kept = Array.prototype.filter.call(target.querySelectorAll("form.cart-form .quantity-input"),
                                           function (field) { return typed.has(field); });
    if (!kept.length) return;
    var answer = document.createElement("template");
    answer.innerHTML = event.detail.serverResponse;
    var keeping = false;
    kept.forEach(function (field) {
      var replacement = answer.content.getElementById(field.id);
      // A line gone, or whose quantity can no longer be changed (its message says why), is as the answer says.
      if (!replacement || replacement.disabled) return;
      Array.prototype.slice.call(field.attributes).forEach(function (attribute) {
        if (!replacement.hasAttribute(attribute.name)) field.removeAttribute(attribute.name);
      });
      Array.prototype.slice.call(replacement.attributes).forEach(function (attribute) {
        if (field.getAttribute(attribute.name) !== attribute.value) field.setAttribute(attribute.name, attribute.value);
      });
      // (value, the attribute, is the number drawn; what the field shows, typed, stays.)
      replacement.setAttribute("hx-preserve", "");
      keeping = true;
    });
    if (keeping) event.detail.serverResponse = answer.innerHTML;
  });
})();
