/* Admin pages: the stage designer's drag reorder, keyboard focus after a redraw, and the
 * checklist item form showing only the choice that applies.
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

  /* Keep keyboard focus on the control that was used: a redraw replaces the list. If that
   * control is now disabled (a stage moved to the top), focus its opposite. */
  var focusId = null;
  document.body.addEventListener("htmx:beforeRequest", function () {
    var active = document.activeElement;
    focusId = active && active.id ? active.id : null;
  });
  document.body.addEventListener("htmx:afterSettle", function () {
    if (!focusId) return;
    var element = document.getElementById(focusId);
    if (element && element.disabled) {
      var opposite = focusId.replace(/-(up|down)-/, function (_, way) {
        return way === "up" ? "-down-" : "-up-";
      });
      element = document.getElementById(opposite);
    }
    if (element) element.focus();
    focusId = null;
  });

  htmx.onLoad(function (root) {
    var scope = root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches("[data-stage-sortable]")) initSortable(scope);
    scope.querySelectorAll("[data-stage-sortable]").forEach(initSortable);
    if (scope.matches && scope.matches("form")) syncRule(scope);
    scope.querySelectorAll("form").forEach(syncRule);
  });
})();
