/* Tables on narrow screens (docs/domain/phone.md): the stylesheet stacks each row of a data
 * table into a small card, one line per cell; the column's name goes in front of each value.
 * This script writes that name into the cell's data-label, taken from the table's header
 * row, so the templates need not repeat it. Rows htmx swaps in later are labelled too.
 */
(function () {
  "use strict";

  function headerNames(table) {
    var row = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!row) return null;
    var names = [];
    Array.prototype.forEach.call(row.cells, function (cell) {
      var name = cell.textContent.replace(/[▲▼]/g, "").replace(/\s+/g, " ").trim();
      for (var i = 0; i < (cell.colSpan || 1); i++) names.push(name);
    });
    return names;
  }

  function label(table) {
    var names = headerNames(table);
    if (!names) return;
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (!cell.hasAttribute("data-label") && cell.colSpan === 1 && names[column]) {
            cell.setAttribute("data-label", names[column]);
          }
          column += cell.colSpan || 1;
        });
      });
    });
  }

  function labelAll(root) {
    var node = root && root.nodeType === 1 ? root : document;
    var tables = node.matches && node.matches("table.data") ? [node] : [];
    var table = node.closest ? node.closest("table.data") : null;
    if (table) tables.push(table);
    Array.prototype.push.apply(tables, node.querySelectorAll("table.data"));
    tables.forEach(label);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { labelAll(document); });
  } else {
    labelAll(document);
  }
  document.addEventListener("htmx:load", function (event) { labelAll(event.target); });
})();
