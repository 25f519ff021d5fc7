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

  /* The activity form's quick actions (docs/domain/deals.md, "Activities on the phone"):
   * "Log call" / "Log note" pick the kind and put the cursor in the subject; "Schedule next"
   * makes Schedule the main button and proposes tomorrow; a quick due date fills the due
   * field. An empty subject is saved as the kind's name, shown as the placeholder. */
  function setMode(form, mode) {
    form.dataset.mode = mode;
    form.querySelectorAll("[data-submit-mode]").forEach(function (button) {
      button.classList.toggle("button-primary", button.dataset.submitMode === mode);
    });
  }

  function followKind(form) {
    var kind = form.querySelector("select[name=kind]");
    var subject = form.querySelector("input[name=subject]");
    if (kind && subject && kind.selectedOptions[0]) {
      subject.placeholder = kind.selectedOptions[0].textContent.trim();
    }
  }

  function fillDue(form, value) {
    var due = form.querySelector("input[name=due_at]");
    if (!due) return;
    due.value = value;
    form.querySelectorAll("[data-fill-due]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.fillDue === value));
    });
  }

  function onQuick(event) {
    var quick = event.target.closest("[data-quick-mode], [data-fill-due]");
    var form = quick && quick.closest("[data-activity-form]");
    if (!form) return false;
    if (quick.dataset.fillDue) {
      fillDue(form, quick.dataset.fillDue);
      setMode(form, "schedule");
      return true;
    }
    var kind = form.querySelector("select[name=kind]");
    if (quick.dataset.quickKind && kind) kind.value = quick.dataset.quickKind;
    followKind(form);
    setMode(form, quick.dataset.quickMode);
    if (quick.dataset.quickMode === "schedule") {
      var due = form.querySelector("input[name=due_at]");
      var first = form.querySelector("[data-fill-due]");
      if (due && !due.value && first) fillDue(form, first.dataset.fillDue);
    }
    var subject = form.querySelector("input[name=subject]");
    if (subject) subject.focus();
    return true;
  }

  document.addEventListener("change", function (event) {
    var form = event.target.closest("[data-activity-form]");
    if (form && event.target.name === "kind") followKind(form);
    if (form && event.target.name === "due_at") fillDue(form, event.target.value);
  });

  document.addEventListener("click", function (event) {
    if (onQuick(event)) return;
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
