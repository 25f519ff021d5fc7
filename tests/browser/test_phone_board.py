"""The board and the layout on a phone: 390 × 844, touch, a mobile browser
(docs/domain/phone.md, docs/domain/board.md).

Touch gestures are real browser input: touch events dispatched through the DevTools
protocol (``Input.dispatchTouchEvent``), which Chromium turns into scrolling, flings and
snapping as it does for a finger. Every wait is on a server response or a DOM condition.
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from deals.models import Deal
from pipelines.models import ChecklistItem
from tests.browser.helpers import assert_pages_fit, is_post_to
from tests.browser.phone import (
    LONG_PRESS_MS,
    PHONE,
    Finger,
    center,
    column_left,
    open_board,
    wait_until_snapped,
)
from tests.factories import make_deal, make_item

pytestmark = [pytest.mark.browser, pytest.mark.browser_context_args(**PHONE)]


def test_one_column_fills_the_screen_and_a_swipe_snaps_to_the_next(
    logged_in_page, live_server, board
):
    page = logged_in_page(board.company.rep1)
    open_board(page, live_server, board.company.sales)
    first = page.locator(f"#column-{board.prospecting.pk}")
    # One column fills the width, less the page's margins; its head sits at its top.
    assert first.bounding_box()["width"] >= 390 - 2 * 16
    head = page.locator(f"#column-head-{board.prospecting.pk}")
    expect(head.get_by_role("heading", name="Prospecting")).to_be_in_viewport()

    _x, y = center(page.locator(f"#cards-{board.prospecting.pk}"))
    Finger(page).swipe(300, 120, y)

    wait_until_snapped(page, board.qualification)
    expect(page.locator(f"#column-head-{board.qualification.pk}")).to_be_in_viewport()
    assert column_left(page, board.prospecting) < 0
    # The swipe scrolled the board only, never the page sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1


def test_long_press_drag_to_the_screen_edge_moves_to_the_next_column(
    logged_in_page, live_server, board
):
    company, qualification = board.company, board.qualification
    page = logged_in_page(company.rep1)
    open_board(page, live_server, company.sales)
    acme = page.locator(f"#deal-{board.acme.pk}")
    page.wait_for_function(
        "card => Object.keys(card.parentNode).some(key => key.startsWith('Sortable'))",
        arg=acme.element_handle(),
    )
    finger = Finger(page)
    x, y = center(acme.locator(".card-org, .card-meta").first)

    # A long press picks the card up; a small move then starts the drag.
    finger.down(x, y)
    page.wait_for_timeout(LONG_PRESS_MS)  # the press itself is the gesture being tested
    page.wait_for_function("() => document.querySelector('.card-chosen') !== null")
    finger.move(x + 6, y + 6, steps=2)
    page.wait_for_function("() => document.body.classList.contains('is-dragging')")

    # Held at the screen's right edge, the board brings the next column into view; the
    # finger comes back to the middle of the screen as soon as the board starts moving (held
    # on, it would bring the column after that too).
    finger.move(386, y, steps=10)
    page.wait_for_function(
        "id => document.getElementById(id).getBoundingClientRect().left < 390 - 24",
        arg=f"column-{qualification.pk}",
        polling=20,
    )
    finger.move(195, y, steps=4)
    wait_until_snapped(page, qualification)
    # Then onto the column's card, near its top, and let go.
    target = page.locator(f"#cards-{qualification.pk}")
    initech_box = page.locator(f"#deal-{board.initech.pk}").bounding_box()
    finger.move(195, initech_box["y"] + 8, steps=6)
    page.wait_for_function(
        "([card, list]) => list.contains(card)",
        arg=[
            page.locator(f"#deal-{board.acme.pk}:not(.sortable-fallback)").element_handle(),
            target.element_handle(),
        ],
    )
    with page.expect_response(is_post_to("/move/")) as moved:
        finger.up()
    assert moved.value.status == 200

    expect(target.locator(f"#deal-{board.acme.pk}")).to_have_count(1)
    count = page.locator(f"#column-head-{qualification.pk} [data-testid=column-count]")
    expect(count).to_have_text("2 deals")
    assert Deal.objects.get(pk=board.acme.pk).stage_id == qualification.pk
    # The board snaps again once the card is down.
    wait_until_snapped(page, qualification)


def test_move_to_opens_a_full_width_sheet_and_moves(logged_in_page, live_server, board):
    company, qualification = board.company, board.qualification
    page = logged_in_page(company.rep1)
    open_board(page, live_server, company.sales)

    page.get_by_role("button", name="Move to… Globex audit").tap()
    sheet = page.get_by_role("dialog", name="Move “Globex audit”")
    expect(sheet).to_be_visible()
    box = sheet.bounding_box()
    assert box["width"] >= 390 - 1
    assert abs(box["y"] + box["height"] - 844) <= 1, "the sheet rests on the bottom edge"
    move = sheet.get_by_role("button", name="Move", exact=True)
    assert move.bounding_box()["height"] >= 44
    assert move.bounding_box()["width"] >= 390 - 2 * 24

    sheet.get_by_label("To stage").select_option(str(qualification.pk))
    with page.expect_response(is_post_to("/move/")) as moved:
        move.tap()
    assert moved.value.status == 200
    expect(sheet).to_be_hidden()
    expect(page.locator(f"#cards-{qualification.pk} #deal-{board.globex.pk}")).to_have_count(1)
    assert Deal.objects.get(pk=board.globex.pk).stage_id == qualification.pk


def test_refused_move_opens_the_checklist_sheet_which_completes_it(
    logged_in_page, live_server, board
):
    company, prospecting, qualification = board.company, board.prospecting, board.qualification
    item = make_item(prospecting, ChecklistItem.Kind.EXIT, text="Budget confirmed")
    page = logged_in_page(company.rep1)
    open_board(page, live_server, company.sales)

    page.get_by_role("button", name="Move to… Acme pilot").tap()
    sheet = page.get_by_role("dialog", name="Move “Acme pilot”")
    sheet.get_by_label("To stage").select_option(str(qualification.pk))
    with page.expect_response(is_post_to("/move/")) as refused:
        sheet.get_by_role("button", name="Move", exact=True).tap()
    assert refused.value.status == 409

    checklist = page.get_by_role("dialog", name=re.compile("can move to Qualification"))
    expect(checklist).to_be_visible()
    assert checklist.bounding_box()["width"] >= 390 - 1
    tick = checklist.get_by_label("Budget confirmed")
    tick.tap()
    expect(tick).to_be_checked()
    complete = checklist.get_by_role("button", name="Complete and move")
    assert complete.bounding_box()["height"] >= 44
    with page.expect_response(is_post_to("/move/")) as moved:
        complete.tap()
    assert moved.value.status == 200

    expect(checklist).to_be_hidden()
    expect(page.locator(f"#cards-{qualification.pk} #deal-{board.acme.pk}")).to_have_count(1)
    assert Deal.objects.get(pk=board.acme.pk).stage_id == qualification.pk
    assert board.acme.checks.filter(item=item).exists()


def test_the_menu_button_unfolds_the_navigation(logged_in_page, live_server, board):
    page = logged_in_page(board.company.rep1)
    page.goto(f"{live_server.url}{reverse('activities')}")
    navigation = page.get_by_role("navigation", name="Main")
    deals = navigation.get_by_role("link", name="Deals")
    expect(deals).to_be_hidden()

    menu = page.get_by_role("button", name="Menu")
    assert menu.bounding_box()["height"] >= 44
    menu.tap()
    expect(menu).to_have_attribute("aria-expanded", "true")
    for name in ("Board", "Dashboard", "Deals", "Activities", "Organizations", "People"):
        link = navigation.get_by_role("link", name=name, exact=True)
        expect(link).to_be_visible()
        assert link.bounding_box()["height"] >= 44
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # Escape folds it again and leaves the focus on the button.
    page.keyboard.press("Escape")
    expect(deals).to_be_hidden()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()

    page.keyboard.press("Enter")
    expect(deals).to_be_visible()
    deals.tap()
    expect(page).to_have_url(re.compile(reverse("deals-list")))


def test_no_page_scrolls_sideways_at_390_px(logged_in_page, live_server, board):
    page = logged_in_page(board.company.rep1)
    make_deal(
        board.company.rep1,
        board.company.sales,
        board.prospecting,
        title="A deal with a rather long title that must wrap on a phone screen",
        value=Decimal("1234567.89"),
    )
    pages = {
        "board": reverse("board-pipeline", args=[board.company.sales.pk]),
        "deal page": reverse("deal-detail", args=[board.acme.pk]),
        "deals list": reverse("deals-list"),
        "activities": reverse("activities"),
        "dashboard": reverse("dashboard"),
    }
    assert_pages_fit(page, live_server.url, pages, 390)


def test_one_tap_on_a_stage_in_the_sheet_moves_the_deal(logged_in_page, live_server, board):
    company, qualification = board.company, board.qualification
    page = logged_in_page(company.rep1)
    open_board(page, live_server, company.sales)

    page.get_by_role("button", name="Move to… Acme pilot").tap()
    sheet = page.get_by_role("dialog", name="Move “Acme pilot”")
    stages = sheet.get_by_role("list", name="Stages")
    expect(stages.get_by_role("button")).to_have_count(len(company.stages))
    expect(stages.get_by_role("button", name=board.prospecting.name)).to_be_disabled()
    choice = stages.get_by_role("button", name=qualification.name)
    assert choice.bounding_box()["height"] >= 44
    with page.expect_response(is_post_to("/move/")) as moved:
        choice.tap()
    assert moved.value.status == 200
    expect(sheet).to_be_hidden()
    expect(page.locator(f"#cards-{qualification.pk} #deal-{board.acme.pk}")).to_have_count(1)
    assert Deal.objects.get(pk=board.acme.pk).stage_id == qualification.pk
