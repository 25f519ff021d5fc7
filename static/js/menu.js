/* The top bar's menu on narrow screens (docs/domain/phone.md): the button folds the
 * navigation and the user links in and out.
 *
 * The button says whether the menu is open (aria-expanded); Escape closes it and gives the
 * focus back to the button, and so does a tap or a click outside the bar. On wide screens
 * the button is hidden and the links are always shown (CSS), so nothing here matters there.
 */
(function () {
  "use strict";

  function setOpen(bar, open) {
    var toggle = bar.querySelector("[data-menu-toggle]");
    bar.classList.toggle("is-menu-open", open);
    if (toggle) toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }

  function openBar() {
    return document.querySelector("[data-menu].is-menu-open");
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-menu-toggle]");
    if (toggle) {
      var bar = toggle.closest("[data-menu]");
      setOpen(bar, !bar.classList.contains("is-menu-open"));
      return;
    }
    var open = openBar();
    if (open && !open.contains(event.target)) setOpen(open, false);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = openBar();
    if (!open) return;
    setOpen(open, false);
    var toggle = open.querySelector("[data-menu-toggle]");
    if (toggle && toggle.offsetParent !== null) toggle.focus();
  });
})();
