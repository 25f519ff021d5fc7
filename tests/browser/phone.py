"""The phone (and tablet) profiles for browser tests: a 390 × 844 touch screen with a mobile
user agent; ``TABLET`` is 768 × 1024. With the helpers phone tests share: a finger
(``Finger``, real touch events through the DevTools protocol) and waits on the board's
snapping.

Use it as a marker on a module or a test::

    pytestmark = [pytest.mark.browser, pytest.mark.browser_context_args(**PHONE)]
"""

from playwright.sync_api import Page, expect

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "has_touch": True,
    "is_mobile": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
    ),
    "device_scale_factor": 3,
}

# A tablet held upright: 768 × 1024, touch, Chrome on an Android tablet (no "Mobile" in its
# user agent, as tablets send).
TABLET = {
    "viewport": {"width": 768, "height": 1024},
    "has_touch": True,
    "is_mobile": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
    ),
    "device_scale_factor": 2,
}


# SortableJS picks a card up after a press of 300 ms on a touch screen (static/js/board.js).
LONG_PRESS_MS = 600
# How far a column may sit from its snapped place (the board's 12 px padding) and still count
# as snapped: device pixels round.
SNAP_SLACK_PX = 2


class Finger:
    """One finger on the touch screen, through Chromium's input pipeline."""

    def __init__(self, page: Page):
        self.page = page
        self.cdp = page.context.new_cdp_session(page)
        self.x = self.y = 0.0

    def _send(self, kind: str, points: list) -> None:
        self.cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    def down(self, x: float, y: float) -> None:
        self.x, self.y = x, y
        self._send("touchStart", [{"x": x, "y": y}])

    def move(self, x: float, y: float, *, steps: int = 8) -> None:
        start_x, start_y = self.x, self.y
        for step in range(1, steps + 1):
            self.x = start_x + (x - start_x) * step / steps
            self.y = start_y + (y - start_y) * step / steps
            self._send("touchMove", [{"x": self.x, "y": self.y}])

    def up(self) -> None:
        self._send("touchEnd", [])

    def swipe(self, from_x: float, to_x: float, y: float) -> None:
        self.down(from_x, y)
        self.move(to_x, y, steps=10)
        self.up()


def column_left(page: Page, stage) -> float:
    return page.locator(f"#column-{stage.pk}").evaluate("el => el.getBoundingClientRect().left")


def wait_until_snapped(page: Page, stage) -> None:
    """Until ``stage``'s column has come to rest where the board snaps a column."""
    page.wait_for_function(
        """([id, slack]) => {
          const board = document.querySelector("[data-board]");
          const column = document.getElementById(id);
          const left = column.getBoundingClientRect().left - board.getBoundingClientRect().left;
          const padding = parseFloat(getComputedStyle(board).scrollPaddingLeft);
          const resting = board.dataset.lastLeft === String(board.scrollLeft);
          board.dataset.lastLeft = String(board.scrollLeft);
          return resting && Math.abs(left - padding) <= slack;
        }""",
        arg=[f"column-{stage.pk}", SNAP_SLACK_PX],
        polling=100,
    )


def center(locator) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not visible"
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def open_board(page: Page, live_server, pipeline) -> None:
    page.goto(f"{live_server.url}/pipelines/{pipeline.pk}/board/")
    expect(page.get_by_role("heading", name=pipeline.name, level=1)).to_be_visible()
    # Bring the board to the top of the screen, as a rep scrolls past the filters.
    page.locator("[data-board]").evaluate("el => el.scrollIntoView({block: 'start'})")
