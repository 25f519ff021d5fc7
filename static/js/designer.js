/* Admin pages: the stage designer's drag reorder, keyboard focus after a redraw, the
 * checklist item forms showing only the choice that applies (and, for a custom-field item,
 * the conditions and the operand that fit the field), the options box of a new custom
 * field, and Escape closing an item's inline form (docs/domain/admin-pages.md).
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

  function showIf(form, selector, shown) {
    form.querySelectorAll(selector).forEach(function (box) { box.hidden = !shown; });
  }

  /* A custom-field item: offer only the conditions that fit the chosen field's type (its
   * option says which, data-conditions) and show the one operand input that applies: the
   * chosen field's options for "is one of", a number or a date for "at least/at most". */
  function syncCustomRule(form) {
    var fieldSelect = form.querySelector("[data-custom-field]");
    var conditionSelect = form.querySelector("[data-condition]");
    if (!fieldSelect || !conditionSelect) return;
    var chosen = fieldSelect.options[fieldSelect.selectedIndex];
    var fits = chosen && chosen.dataset.conditions ? chosen.dataset.conditions.split(" ") : [];
    var type = (chosen && chosen.dataset.type) || "";
    Array.prototype.forEach.call(conditionSelect.options, function (option) {
      if (!option.value) return;
      var fit = fits.indexOf(option.value) !== -1;
      option.hidden = !fit;
      option.disabled = !fit;
    });
    if (conditionSelect.value && fits.indexOf(conditionSelect.value) === -1) conditionSelect.value = "";
    var condition = conditionSelect.value;
    var ordered = condition === "at_least" || condition === "at_most";
    showIf(form, "[data-operand='options']", condition === "one_of");
    form.querySelectorAll("[data-operand-field]").forEach(function (group) {
      group.hidden = group.dataset.operandField !== fieldSelect.value;
    });
    showIf(form, "[data-operand='number']", ordered && (type === "number" || type === "money"));
    showIf(form, "[data-operand='date']", ordered && type === "date");
  }

  /* A new custom field: the options box only for the choice types. */
  function syncFieldType(form) {
    var select = form.querySelector("[data-field-type]");
    if (!select) return;
    var choice = select.value === "single_choice" || select.value === "multiple_choice";
    showIf(form, "[data-options-box]", choice);
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-satisfied-by]")) syncRule(event.target.form);
    if (event.target.matches("[data-custom-field], [data-condition]")) syncCustomRule(event.target.form);
    if (event.target.matches("[data-field-type]")) syncFieldType(event.target.form);
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
    var forms = Array.prototype.slice.call(scope.querySelectorAll("form"));
    if (scope.matches && scope.matches("form")) forms.push(scope);
    forms.forEach(function (form) {
      syncRule(form);
      syncCustomRule(form);
      syncFieldType(form);
    });
  });
})();
