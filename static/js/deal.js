/* The deal page, full page or dialog over the board: dialogs, and keeping the panel fresh.
 *
 * Every action of the panel answers with the panel re-rendered, so nothing happens here for
 * them. Two things need a hand: opening the dialogs the server sends (`dialog[data-open]`:
 * the deal dialog on the board, the checklist dialog over the deal), and refreshing the
 * panel after the checklist dialog completed a move on the board's own endpoints, whose
 * answer announces "close-dialog" (on the board that would close the deal dialog too).
 */
(function () {
  "use strict";

  function openDialogs(root) {
    var dialogs = root.matches && root.matches("dialog[data-open]")
      ? [root]
      : (root.querySelectorAll ? Array.from(root.querySelectorAll("dialog[data-open]")) : []);
    dialogs.forEach(function (dialog) {
      if (dialog.open || dialog.dataset.opened) return;
      dialog.dataset.opened = "1";
      dialog.addEventListener("close", function () { dialog.remove(); });
      dialog.showModal();
    });
  }

  /* The checklist dialog over a panel finished its move: close it (not the deal dialog
   * around the panel), show the deal as it is now, and let the board behind refresh. */
  function onPanelDialogDone(event) {
    var panel = event.currentTarget;
    event.stopPropagation();
    panel.querySelectorAll("dialog[open]").forEach(function (dialog) { dialog.close(); });
    htmx.ajax("GET", panel.dataset.refreshUrl, { target: panel, swap: "outerHTML" });
    document.body.dispatchEvent(new CustomEvent("board-changed"));
  }

  function watchPanels(root) {
    var panels = root.matches && root.matches("[data-deal-panel]")
      ? [root]
      : (root.querySelectorAll ? Array.from(root.querySelectorAll("[data-deal-panel]")) : []);
    panels.forEach(function (panel) {
      if (panel.dataset.watched) return;
      panel.dataset.watched = "1";
      panel.addEventListener("close-dialog", onPanelDialogDone);
    });
  }

  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-close-dialog]");
    if (!closer) return;
    var dialog = closer.closest("dialog");
    if (dialog && dialog.open) dialog.close();
  });

  /* Without the board's script (the full page), "close-dialog" from elsewhere closes all. */
  document.body.addEventListener("close-dialog", function () {
    if (document.querySelector("[data-board]")) return;
    document.querySelectorAll("dialog[open]").forEach(function (dialog) { dialog.close(); });
  });

  htmx.onLoad(function (root) {
    openDialogs(root);
    watchPanels(root);
  });
})();
