/* Admin pages: the stage designer's drag reorder, keyboard focus after a redraw, the
 * checklist item forms showing only the choice that applies, and Escape closing an item's
 * inline form (docs/domain/admin-pages.md).
 *
 * The server decides everything. A drag posts every stage id in the new order; the answer
 * is the redrawn list (the saved order, or the current one with a message if refused).
 */
(function () {
  "use strict";

  function initSortable(list) {
    if (list.dataset.sortable || typeof Sortable === "undefined") return;
    list.dataset.sortable = "1";
    var sortable = Sortable.create(list, {
      handle: ".drag-handle",
      draggable: ".stage-row",
      forceFallback: true,
      fallbackTolerance: 4,
      animation: 120,
      ghostClass: "stage-ghost",
      chosenClass: "stage-chosen",
      onEnd: function (evt) {
        if (evt.oldIndex === evt.newIndex) return;
        var order = Array.prototype.map.call(
          list.querySelectorAll(":scope > .stage-row"),
          function (row) { return row.dataset.stageId; }
        );
        sortable.option("disabled", true);
        htmx.ajax("POST", list.dataset.reorderUrl, {
          source: list,
          values: { order: order.join(",") },
          target: "#stage-list",
          swap: "outerHTML"
        });
      }
    });
  }

  /* Show the deal-field choice only for "field" items and the activity choice only for
   * "activity" items. Without JavaScript both stay visible and the server ignores the one
   * that does not apply. */
  function syncRule(form) {
    var select = form.querySelector("[data-satisfied-by]");
    if (!select) return;
    form.querySelectorAll("[data-rule]").forEach(function (box) {
      box.hidden = box.dataset.rule !== select.value;
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-satisfied-by]")) syncRule(event.target.form);
  });

  /* Keep keyboard focus where the admin works: a redraw replaces what was focused. A
   * control or its form may name where focus goes after its request (data-focus-after:
   * "Edit" → the item's text field, "Save" → the row's "Edit"); otherwise it stays on the
   * control that was used. If that control is now disabled (a stage moved to the top),
   * focus its opposite; if it is gone and a form came back with errors, its first invalid
   * field. */
  var focusAfter = new WeakMap(); // request (its xhr) → the id to focus once it settled
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var active = document.activeElement;
    var source = event.detail.elt;
    if (!source || !source.closest || !source.closest(".admin-main")) return; // not the bell
    if (!active || active === document.body || !event.detail.xhr) return;
    var form = active.form || active.closest("form");
    var id = active.dataset.focusAfter || (form && form.dataset.focusAfter) || active.id;
    if (id) focusAfter.set(event.detail.xhr, id);
  });
  document.body.addEventListener("htmx:afterSettle", function (event) {
    var focusId = event.detail.xhr && focusAfter.get(event.detail.xhr);
    if (!focusId) return;
    focusAfter.delete(event.detail.xhr);
    var element = document.getElementById(focusId) || document.querySelector("[aria-invalid='true']");
    if (element && element.disabled) {
      var opposite = focusId.replace(/-(up|down)-/, function (_, way) {
        return way === "up" ? "-down-" : "-up-";
      });
      element = document.getElementById(opposite);
    }
    if (element) element.focus();
  });

  /* Escape in an item's inline form is its Cancel. */
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var form = event.target.closest && event.target.closest("[data-item-form]");
    var cancel = form && form.querySelector("[data-cancel]");
    if (cancel) {
      event.preventDefault();
      cancel.focus();
      cancel.click();
    }
  });

  htmx.onLoad(function (root) {
    var scope = root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches("[data-stage-sortable]")) initSortable(scope);
    scope.querySelectorAll("[data-stage-sortable]").forEach(initSortable);
    if (scope.matches && scope.matches("form")) syncRule(scope);
    scope.querySelectorAll("form").forEach(syncRule);
  });
})();
