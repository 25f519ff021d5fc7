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

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

# True once the card being dragged (SortableJS's own ``Sortable.dragged``) sits somewhere
# new *and* at the target: inside it (a column) or right next to it (a card). SortableJS's
# hidden clone and its floating ghost (`.sortable-fallback`, a copy of the card with the
# same id) are not real neighbours and are skipped. Places are compared by element id, so
# a list that htmx re-rendered before the drag began still compares equal.
_PLACED_AT_TARGET = """
([target, before]) => {
  const card = Sortable.dragged;
  if (!card) return false;
  const real = (node, step) => {
    while (node && (node.style.display === "none"
                    || node.classList.contains("sortable-fallback"))) {
      node = node[step];
    }
    return node;
  };
  const prev = real(card.previousElementSibling, "previousElementSibling");
  const next = real(card.nextElementSibling, "nextElementSibling");
  const id = node => (node ? node.id : null);
  const moved = id(card.parentNode) !== before[0] || id(prev) !== before[1]
    || id(next) !== before[2];
  return moved && (target.contains(card) || prev === target || next === target);
}
"""
_PLACE_NOW = """card => [card.parentNode.id,
                  card.previousElementSibling && card.previousElementSibling.id,
                  card.nextElementSibling && card.nextElementSibling.id]"""
# SortableJS keeps its instance on the list element under a property named "Sortable…".
_LIST_READY = "card => Object.keys(card.parentNode).some(key => key.startsWith('Sortable'))"
# A drag has begun once SortableJS knows the card it drags.
_DRAG_STARTED = "() => Boolean(Sortable.dragged)"
# How long the pointer rests on the target before a small nudge, and the nudges.
_REST_MS = 1_000
_NUDGES = (2, -2, 3, -3, 4, -4, 5, -5)


def is_post_to(fragment: str):
    """For ``page.expect_response``: a POST whose URL contains ``fragment``."""
    return lambda response: fragment in response.url and response.request.method == "POST"


def drag(
    page: Page, source: Locator, target: Locator, *, steps: int = 12, grip: Locator | None = None
) -> None:
    """Drag ``source`` (a card) onto ``target`` (a column's list or another card).

    Both must be inside the viewport; give board tests a viewport wide enough for the
    columns involved. ``grip``: where to press when only a handle inside ``source`` starts
    a drag (the stage designer's rows).

    Every wait is on the page's own state, never on time:

    - the source list carries its SortableJS instance (htmx takes over swapped-in lists in
      the next tick);
    - elements are looked up only once the drag has begun: the board's live refresh may
      re-render the columns until then (and is held back from then on), so a handle taken
      earlier could point at a list that is no longer on the page;
    - the card is released only once SortableJS has placed it at the target. SortableJS
      ignores a pointer that comes to rest over a card that is still animating and does not
      look again until the pointer moves, so a pointer that rests without effect is nudged
      by a few pixels, as a hand would be.
    """
    before, (start_x, start_y) = _ready_to_press(page, source, grip or source)
    page.mouse.move(start_x, start_y)
    page.mouse.down()
    # A first small move starts the drag, as a hand would, before heading for the target.
    page.mouse.move(start_x + 4, start_y + 4, steps=2)
    page.wait_for_function(_DRAG_STARTED)
    # Only now: the Won and Lost drop zones appear once a drag has started.
    target.wait_for(state="visible")
    placed = [target.element_handle(), before]
    end_x, end_y = _center(target)
    page.mouse.move(end_x, end_y, steps=steps)
    for nudge in (0, *_NUDGES):
        if nudge:
            end_x, end_y = _center(target)
            page.mouse.move(end_x, end_y + nudge, steps=2)
        try:
            page.wait_for_function(_PLACED_AT_TARGET, arg=placed, timeout=_REST_MS)
            break
        except PlaywrightTimeoutError:
            continue
    else:
        raise AssertionError(f"SortableJS never placed {source} at {target}")
    page.mouse.up()


def _ready_to_press(page: Page, source: Locator, grip: Locator) -> tuple[list, tuple]:
    """Where the card is and where to press on it, once its list is ready for a drag.

    Until the press, the board's live refresh may re-render the columns; an element that
    went away meanwhile is simply looked up again, as a user would look again.
    """
    for _attempt in range(5):
        try:
            source.scroll_into_view_if_needed()
            page.wait_for_function(_LIST_READY, arg=source.element_handle())
            return source.evaluate(_PLACE_NOW), _center(grip)
        except PlaywrightError as error:
            if "not attached" not in error.message:
                raise
    raise AssertionError(f"{source} kept being replaced before it could be dragged")


def _center(locator: Locator) -> tuple[float, float]:
    box = locator.bounding_box()
    if box is None:
        raise AssertionError(f"{locator} is not visible, so it cannot be dragged or dropped on")
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def assert_pages_fit(page: Page, base_url: str, paths: dict[str, str], width: int) -> None:
    """Each page of ``paths`` (name → path) is at most ``width`` px wide: nothing makes
    the screen scroll sideways (docs/domain/phone.md)."""
    for name, path in paths.items():
        page.goto(f"{base_url}{path}")
        expect(page.locator("main")).to_be_visible()
        actual = page.evaluate("document.documentElement.scrollWidth")
        assert actual <= width + 1, f"the {name} is {actual} px wide"
