/* The board: drag and drop with SortableJS, posted through htmx; live refresh. Dialogs the
 * server sends are opened and closed by deal.js, which every board page loads too.
 *
 * The server decides everything. A drag posts the target stage, the neighbouring cards and
 * the version the card showed; the answer updates the card and both column headers out of
 * band, or the card snaps back and a dialog/message explains why.
 */
(function () {
  "use strict";

  var state = { inFlight: false, dragging: false, sortables: [] };

  function board() {
    return document.querySelector("[data-board]");
  }

  function setDisabled(disabled) {
    state.sortables.forEach(function (sortable) {
      if (sortable.el.isConnected) sortable.option("disabled", disabled);
    });
    state.sortables = state.sortables.filter(function (s) { return s.el.isConnected; });
  }

  function cardSibling(card, direction) {
    var node = direction === "next" ? card.nextElementSibling : card.previousElementSibling;
    while (node && !node.classList.contains("card")) {
      node = direction === "next" ? node.nextElementSibling : node.previousElementSibling;
    }
    return node;
  }

  function snapBack(evt) {
    var item = evt.item;
    if (!item.isConnected && !item.parentNode) return;
    item.remove();
    var from = evt.from;
    from.insertBefore(item, from.children[evt.oldIndex] || null);
  }

  /* Post an action for a dragged card; snap back unless the server accepted it. */
  function post(card, url, values, evt) {
    state.inFlight = true;
    setDisabled(true);
    card.classList.add("is-saving");
    var accepted = false;
    function onBeforeSwap(e) {
      if (e.detail.requestConfig && e.detail.requestConfig.elt === card) {
        accepted = e.detail.xhr.status === 200;
        if (!accepted) snapBack(evt);
      }
    }
    document.body.addEventListener("htmx:beforeSwap", onBeforeSwap);
    return htmx
      .ajax("POST", url, { source: card, values: values, swap: "none" })
      .catch(function () { /* network errors are reported below */ })
      .finally(function () {
        document.body.removeEventListener("htmx:beforeSwap", onBeforeSwap);
        if (!accepted && evt.item.parentNode !== evt.from) snapBack(evt);
        card.classList.remove("is-saving");
        state.inFlight = false;
        setDisabled(false);
        document.body.dispatchEvent(new CustomEvent("board-move-settled"));
      });
  }

  function onDragEnd(evt) {
    var card = evt.item;
    stopEdgeScroll();
    document.body.classList.remove("is-dragging");
    state.dragging = false;
    if (evt.to.hasAttribute("data-drop")) return; // handled by the drop zone
    if (evt.from === evt.to && evt.oldIndex === evt.newIndex) return;
    var before = cardSibling(card, "next");
    var after = cardSibling(card, "previous");
    var values = {
      stage: evt.to.dataset.stageId,
      version: card.dataset.version,
      source: "drag"
    };
    if (before) values.before = before.dataset.dealId;
    else if (after) values.after = after.dataset.dealId;
    post(card, card.dataset.moveUrl, values, evt);
  }

  function onDropZoneAdd(evt) {
    var card = evt.item;
    var zone = evt.to;
    if (zone.dataset.drop === "won") {
      post(card, card.dataset.wonUrl, { version: card.dataset.version, source: "drag" }, evt);
    } else {
      // Lost asks for a reason first: the card goes back while the dialog is open.
      snapBack(evt);
      htmx.ajax("GET", card.dataset.lostUrl, { source: card, target: "#dialog-slot" });
    }
  }

  /* A card held near the board's left or right side brings the previous or next column
   * into view, one whole column at a time, and one more every EDGE_STEP_MS while it stays
   * there. The pointer must first have been away from both sides since the drag began, so
   * a card picked up near a side does not scroll at once. */
  var EDGE_PX = 40;
  var EDGE_STEP_MS = 1200;
  var edge = { x: null, armed: false, steppedAt: 0, timer: null };

  function trackPointer(event) {
    var point = event.touches ? event.touches[0] : event;
    if (point) edge.x = point.clientX;
  }

  function stepAtEdge() {
    var target = board();
    if (!target || edge.x === null) return;
    var rect = target.getBoundingClientRect();
    var direction = edge.x >= rect.right - EDGE_PX ? 1 : (edge.x <= rect.left + EDGE_PX ? -1 : 0);
    if (!direction) {
      edge.armed = true;
      edge.steppedAt = 0;
      return;
    }
    var now = Date.now();
    if (!edge.armed || now - edge.steppedAt < EDGE_STEP_MS) return;
    var columns = target.querySelectorAll(".column");
    if (columns.length < 2) return;
    var step = columns[1].offsetLeft - columns[0].offsetLeft;
    var index = Math.round(target.scrollLeft / step) + direction;
    var left = Math.max(0, Math.min(index * step, target.scrollWidth - target.clientWidth));
    if (Math.abs(left - target.scrollLeft) < 1) return;
    edge.steppedAt = now;
    target.scrollTo({ left: left, behavior: "smooth" });
  }

  function startEdgeScroll() {
    stopEdgeScroll();
    edge.x = null;
    edge.armed = false;
    edge.steppedAt = 0;
    document.addEventListener("pointermove", trackPointer, true);
    document.addEventListener("touchmove", trackPointer, { capture: true, passive: true });
    document.addEventListener("mousemove", trackPointer, true);
    edge.timer = setInterval(stepAtEdge, 50);
  }

  function stopEdgeScroll() {
    document.removeEventListener("pointermove", trackPointer, true);
    document.removeEventListener("touchmove", trackPointer, { capture: true, passive: true });
    document.removeEventListener("mousemove", trackPointer, true);
    clearInterval(edge.timer);
    edge.timer = null;
  }

  function initSortables(root) {
    var lists = root.querySelectorAll ? root.querySelectorAll("[data-cards]") : [];
    lists.forEach(function (list) {
      if (list.dataset.sortable) return;
      list.dataset.sortable = "1";
      state.sortables.push(Sortable.create(list, {
        group: { name: "board", pull: true, put: true },
        draggable: ".card[data-editable='true']",
        filter: "button, a, input, select, textarea",
        preventOnFilter: false,
        forceFallback: true,
        fallbackTolerance: 4,
        // Touch (docs/domain/phone.md): a long press picks the card up; a finger that moves
        // before then swipes the board or scrolls the column instead. While a card is held,
        // SortableJS scrolls a column's list (and the page) up and down at their edges; the
        // board itself is held still for it (app.css) and moves by whole columns at its
        // sides (stepAtEdge above).
        delay: 300,
        delayOnTouchOnly: true,
        touchStartThreshold: 8,
        scroll: true,
        scrollSensitivity: 48,
        scrollSpeed: 14,
        bubbleScroll: true,
        animation: 120,
        ghostClass: "card-ghost",
        chosenClass: "card-chosen",
        disabled: state.inFlight,
        // From the press on, not only once the drag starts: live refresh must not replace
        // the card under the pointer.
        onChoose: function () { state.dragging = true; },
        onUnchoose: function () {
          if (!document.body.classList.contains("is-dragging")) state.dragging = false;
        },
        onStart: function () {
          state.dragging = true;
          document.body.classList.add("is-dragging");
          startEdgeScroll();
        },
        onEnd: onDragEnd
      }));
    });
    var zones = root.querySelectorAll ? root.querySelectorAll("[data-drop]") : [];
    zones.forEach(function (zone) {
      if (zone.dataset.sortable) return;
      zone.dataset.sortable = "1";
      state.sortables.push(Sortable.create(zone, {
        group: { name: "board", pull: false, put: true },
        draggable: ".card",
        forceFallback: true,
        onAdd: onDropZoneAdd
      }));
    });
  }

  function closeDialogs() {
    document.querySelectorAll("dialog[open]").forEach(function (dialog) { dialog.close(); });
  }

  /* Live refresh: the poll answers "board-changed" when another user changed something.
   * Never refresh under a user's hands: wait while a drag, a request or a dialog is open. */
  var refreshPending = false;
  function refreshBoard() {
    if (state.dragging || state.inFlight || document.querySelector("dialog[open]")) {
      refreshPending = true;
      return;
    }
    refreshPending = false;
    var target = board();
    if (!target) return;
    htmx.ajax("GET", window.location.href, { target: "#board-columns", swap: "innerHTML" });
  }

  /* A refresh requested before a drag started may answer during it: replacing the columns
   * then would pull the card from under the pointer. Drop that answer and refresh after. */
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var config = event.detail.requestConfig;
    var isRefresh = config && config.elt === document.body;
    if (!isRefresh || !target || target.id !== "board-columns") return;
    if (state.dragging || state.inFlight) {
      event.detail.shouldSwap = false;
      refreshPending = true;
    }
  });

  document.body.addEventListener("board-changed", refreshBoard);
  document.body.addEventListener("board-move-settled", function () {
    if (refreshPending) refreshBoard();
  });
  document.body.addEventListener("close-dialog", closeDialogs);
  document.addEventListener("close", function () {
    if (refreshPending) setTimeout(refreshBoard, 0);
  }, true);
  document.body.addEventListener("htmx:responseError", function (event) {
    var toast = document.getElementById("toast");
    if (toast && event.detail.xhr.status >= 500) {
      toast.textContent = gettext("Something went wrong on our side; nothing was changed. Try again.");
    }
  });
  document.body.addEventListener("htmx:sendError", function () {
    var toast = document.getElementById("toast");
    if (toast) toast.textContent = gettext("Could not reach the server; nothing was changed.");
  });

  /* The "Filters" button that folds the filters on a phone counts the filters in use; it
   * follows the form as the user changes it (docs/domain/phone.md). */
  function countFilters(form) {
    var count = 0;
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.type === "submit") return;
      if (field.type === "checkbox") {
        if (field.checked) count += 1;
      } else if (field.value.trim()) {
        count += 1;
      }
    });
    return count;
  }
  function showFilterCount(event) {
    var form = event.target.form;
    if (!form || !form.hasAttribute("data-board-filters")) return;
    var fold = form.closest("[data-filters-fold]");
    var label = fold && fold.querySelector("[data-filters-count]");
    if (!label) return;
    var count = countFilters(form);
    label.textContent = count ? " (" + count + ")" : "";
  }
  document.addEventListener("input", showFilterCount);
  document.addEventListener("change", showFilterCount);

  htmx.onLoad(function (root) {
    if (typeof Sortable !== "undefined") initSortables(root);
  });
})();
