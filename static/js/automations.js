/* The automation designer (docs/domain/webhooks.md, "Designer").
 *
 * Shows only the fields of the chosen action: each [data-automation-action] fieldset is
 * hidden unless its action is the one selected. Without JavaScript every fieldset shows,
 * each under its action's name, and the server keeps only the chosen action's fields.
 */
(function () {
  "use strict";

  function sync(form) {
    var select = form.querySelector('select[name="action"]');
    if (!select) return;
    form.querySelectorAll("[data-automation-action]").forEach(function (fieldset) {
      var shown = fieldset.getAttribute("data-automation-action") === select.value;
      fieldset.hidden = !shown;
      fieldset.disabled = !shown;
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.name !== "action") return;
    var form = event.target.closest("[data-automation-form]");
    if (form) sync(form);
  });

  function init() {
    document.querySelectorAll("[data-automation-form]").forEach(sync);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
