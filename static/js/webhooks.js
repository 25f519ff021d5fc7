/* The webhook admin pages (docs/domain/webhooks.md, "Admin page and API").
 *
 * - An "All of …" box of the event form ticks or clears its group's boxes, and shows
 *   itself ticked when every box of the group is. Without JavaScript the box still works:
 *   the form adds the whole group when it is ticked.
 * - A [data-copy] button copies the text of the element it names (the secret) to the
 *   clipboard; it stays hidden where the clipboard is not available.
 */
(function () {
  "use strict";

  function groupBoxes(group) {
    return Array.prototype.slice.call(
      group.querySelectorAll('input[type="checkbox"]:not([data-event-all])')
    );
  }

  function syncAll(group) {
    var all = group.querySelector("[data-event-all]");
    if (!all) return;
    var boxes = groupBoxes(group);
    all.checked = boxes.length > 0 && boxes.every(function (box) { return box.checked; });
  }

  document.addEventListener("change", function (event) {
    var group = event.target.closest("[data-event-group]");
    if (!group) return;
    if (event.target.hasAttribute("data-event-all")) {
      groupBoxes(group).forEach(function (box) { box.checked = event.target.checked; });
    } else {
      syncAll(group);
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      button.textContent = button.getAttribute("data-copied");
    });
  });

  function init() {
    document.querySelectorAll("[data-event-group]").forEach(syncAll);
    if (navigator.clipboard && window.isSecureContext) {
      document.querySelectorAll("[data-copy]").forEach(function (button) {
        button.hidden = false;
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
