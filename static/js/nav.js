/* The main navigation's groups as disclosure menus (the WAI-ARIA disclosure navigation pattern).
 * Without JavaScript a group's heading is a link to its section page; here it becomes a button
 * that shows and hides the group's menu. Escape closes the menu and puts focus back on its button;
 * moving focus or clicking outside the group closes it. */
(function () {
  "use strict";

  /* The group button a pointer is pressing, if any. Pressing one moves focus to it before its click; were
   * the open menu closed then (focusout), the buttons would move under the pointer on a phone, where an
   * open menu sits in the page's flow, and the click would land elsewhere. Its click closes the others. */
  var pressed = null;
  document.addEventListener("pointerdown", function (event) {
    pressed = event.target.closest ? event.target.closest(".nav-group > button") : null;
  }, true);
  document.addEventListener("keydown", function () { pressed = null; }, true);

  function setOpen(button, open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    document.getElementById(button.getAttribute("aria-controls")).hidden = !open;
  }

  function closeOthers(keep) {
    document.querySelectorAll(".nav-group > button[aria-expanded='true']").forEach(function (button) {
      if (button !== keep) setOpen(button, false);
    });
  }

  function enhance(link) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = link.className;
    button.textContent = link.textContent;
    button.setAttribute("aria-controls", link.getAttribute("data-menu"));
    button.setAttribute("aria-expanded", "false");
    link.replaceWith(button);
    var group = button.parentElement;

    button.addEventListener("click", function () {
      pressed = null;
      var open = button.getAttribute("aria-expanded") !== "true";
      closeOthers(button);
      setOpen(button, open);
    });
    group.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        setOpen(button, false);
        button.focus();
      }
    });
    group.addEventListener("focusout", function (event) {
      if (event.relatedTarget && !group.contains(event.relatedTarget) && event.relatedTarget !== pressed) {
        setOpen(button, false);
      }
    });
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest(".nav-group")) closeOthers(null);
  });
  document.querySelectorAll(".nav-group > a[data-menu]").forEach(enhance);
})();
