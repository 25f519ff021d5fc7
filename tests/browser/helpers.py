"""Helpers for browser tests that act like a user with a mouse.

Dragging a card: the board runs SortableJS with ``forceFallback``, which follows plain
mouse events and re-checks the element under the pointer every 50 ms. ``drag`` therefore
moves the mouse in steps, waits until SortableJS has placed the card at the target (a DOM
condition, not a timer) and only then releases the button.

Wait for the server's answer with ``page.expect_response`` around the drag, never with a
sleep::

    card = page.get_by_role("article", name="Acme renewal")
    column = page.get_by_role("list", name="Proposal")
    with page.expect_response(
        lambda r: "/move/" in r.url and r.request.method == "POST"
    ) as move:
        drag(page, card, column)
    assert move.value.ok
    expect(column).to_contain_text("Acme renewal")

For a refused move, assert on the response status (409) and then on what the user sees
(the card back in its column, the dialog) with ``expect``, which retries until its timeout.
"""

from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

# True once the dragged card sits somewhere new *and* at the target: inside it (a column)
# or right next to it (a card). SortableJS's hidden clone and its floating ghost
# (`.sortable-fallback`) are not real neighbours and are skipped.
_PLACED_AT_TARGET = """
([card, target, before]) => {
  const real = (node, step) => {
    while (node && (node.style.display === "none"
                    || node.classList.contains("sortable-fallback"))) {
      node = node[step];
    }
    return node;
  };
  const prev = real(card.previousElementSibling, "previousElementSibling");
  const next = real(card.nextElementSibling, "nextElementSibling");
  const moved = card.parentNode !== before[0] || prev !== before[1] || next !== before[2];
  return moved && (target.contains(card) || prev === target || next === target);
}
"""
_PLACE_NOW = "card => [card.parentNode, card.previousElementSibling, card.nextElementSibling]"


def drag(
    page: Page, source: Locator, target: Locator, *, steps: int = 12, grip: Locator | None = None
) -> None:
    """Drag ``source`` (a card) onto ``target`` (a column's list or another card).

    Both must be inside the viewport; give board tests a viewport wide enough for the
    columns involved. ``grip``: where to press when only a handle inside ``source`` starts
    a drag (the stage designer's rows).
    """
    source.scroll_into_view_if_needed()
    card = source.element_handle()
    destination = target.element_handle()
    before = card.evaluate_handle(_PLACE_NOW)
    start_x, start_y = _center(grip or source)

    page.mouse.move(start_x, start_y)
    page.mouse.down()
    # A first small move starts the drag, as a hand would, before heading for the target.
    page.mouse.move(start_x + 4, start_y + 4, steps=2)
    # Only now: the Won and Lost drop zones appear once a drag has started.
    target.wait_for(state="visible")
    end_x, end_y = _center(target)
    page.mouse.move(end_x, end_y, steps=steps)
    try:
        page.wait_for_function(_PLACED_AT_TARGET, arg=[card, destination, before])
    except PlaywrightTimeoutError:
        raise AssertionError(f"SortableJS never placed {source} at {target}") from None
    page.mouse.up()


def _center(locator: Locator) -> tuple[float, float]:
    box = locator.bounding_box()
    if box is None:
        raise AssertionError(f"{locator} is not visible, so it cannot be dragged or dropped on")
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
