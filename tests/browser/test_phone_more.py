"""More of the board on a phone and a tablet: the folded filters, paging and live refresh on
a phone, and a tablet's layout (docs/domain/phone.md, docs/domain/board.md).

Gestures are real browser input: touch events through the DevTools protocol (``Finger``,
tests/browser/test_phone_board.py). Every wait is on a server response or a DOM condition.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from deals.models import Deal
from deals.services.moves import deal_move
from tests.browser.helpers import assert_pages_fit
from tests.browser.phone import PHONE, TABLET, Finger, center, open_board, wait_until_snapped
from tests.factories import make_deal

pytestmark = [pytest.mark.browser, pytest.mark.browser_context_args(**PHONE)]
LIVE_REFRESH_TIMEOUT_MS = 15_000


def cards_of(page: Page, stage):
    return page.locator(f"#cards-{stage.pk}")


def column(stage) -> list[int]:
    """Ids of the open deals of ``stage`` in the server's board order."""
    rows = Deal.objects.filter(stage=stage, status=Deal.Status.OPEN).order_by("position", "id")
    return list(rows.values_list("pk", flat=True))


def filters_button(page: Page):
    return page.locator("summary").filter(has_text=re.compile(r"^Filters"))


def filters_fold(page: Page):
    """The <details> around the filters: its ``open`` is what the button tells assistive
    technology as "expanded"."""
    return page.locator("details").filter(has=filters_button(page))


def test_filters_fold_behind_a_button_that_counts_them(logged_in_page, live_server, board):
    company, prospecting = board.company, board.prospecting
    page = logged_in_page(company.rep1)
    page.goto(f"{live_server.url}{reverse('board-pipeline', args=[company.sales.pk])}")
    owner = page.get_by_label("Owner")
    search = page.get_by_label("Search deals")

    # Folded: the button, then the columns right under the title.
    toggle = filters_button(page)
    expect(toggle).to_have_text("Filters")
    expect(filters_fold(page)).to_have_js_property("open", False)
    expect(owner).to_be_hidden()
    expect(search).to_be_hidden()
    assert toggle.bounding_box()["height"] >= 44
    # Folded, the four filters take one button's height (unfolded, some 250 px).
    fold_height = filters_fold(page).bounding_box()["height"]
    assert fold_height <= 56, f"the folded filters are {fold_height} px high"
    board_top = page.locator("[data-board]").bounding_box()["y"]
    assert board_top < 300, f"the columns start {board_top} px down the screen"
    expect(page.locator(f"#column-head-{prospecting.pk}")).to_be_in_viewport()

    # Unfolded, the filters work as on the desktop and the button counts them.
    toggle.tap()
    expect(filters_fold(page)).to_have_js_property("open", True)
    expect(search).to_be_visible()
    with page.expect_response(lambda r: "/board/" in r.url and "q=Acme" in r.url):
        search.press_sequentially("Acme")
    expect(cards_of(page, prospecting).locator(".card")).to_have_count(1)
    expect(page.locator(f"#deal-{board.acme.pk}")).to_be_visible()
    expect(toggle).to_have_text("Filters (1)")
    with page.expect_response(lambda r: "/board/" in r.url and "owner=me" in r.url):
        owner.select_option("me")
    expect(toggle).to_have_text("Filters (2)")
    expect(page).to_have_url(re.compile(r"owner=me"))

    # The filters live in the URL: a reload keeps them, folded, and still counted.
    page.reload()
    expect(filters_button(page)).to_have_text("Filters (2)")
    expect(page.get_by_label("Owner")).to_be_hidden()
    expect(cards_of(page, prospecting).locator(".card")).to_have_count(1)

    # Emptied again, the count goes.
    filters_button(page).tap()
    with page.expect_response(lambda r: "/board/" in r.url and "owner=" not in r.url):
        page.get_by_label("Owner").select_option("")
    expect(filters_button(page)).to_have_text("Filters (1)")
    search = page.get_by_label("Search deals")
    search.fill("")
    with page.expect_response(lambda r: "/board/" in r.url and "q=" not in r.url):
        search.press("Backspace")
    expect(filters_button(page)).to_have_text("Filters")
    expect(cards_of(page, prospecting).locator(".card")).to_have_count(2)


@pytest.mark.browser_context_args(viewport={"width": 1440, "height": 900})
def test_wide_screens_show_the_filters_without_the_button(logged_in_page, live_server, board):
    page = logged_in_page(board.company.rep1)
    page.goto(f"{live_server.url}{reverse('board-pipeline', args=[board.company.sales.pk])}")
    expect(page.get_by_label("Owner")).to_be_visible()
    expect(page.get_by_label("Search deals")).to_be_visible()
    expect(filters_button(page)).to_be_hidden()
    with page.expect_response(lambda r: "/board/" in r.url and "stalled=1" in r.url):
        page.get_by_label("Stalled only").check()
    expect(cards_of(page, board.prospecting).locator(".card")).to_have_count(0)


def test_a_long_column_loads_more_cards_as_the_finger_scrolls_it(
    logged_in_page, live_server, browser_company, settings
):
    settings.BOARD_FIRST_PAGE_SIZE = settings.BOARD_PAGE_SIZE = 10
    company = browser_company
    prospecting = company.stages[0]
    for number in range(25):
        make_deal(company.rep1, company.sales, prospecting, title=f"Renewal {number}")
    page = logged_in_page(company.rep1)
    open_board(page, live_server, company.sales)
    cards = cards_of(page, prospecting).locator(".card")
    expect(cards).to_have_count(10)

    # The finger pushes the column's list up, inside the column; the page stays put.
    finger = Finger(page)
    x, _y = center(cards_of(page, prospecting))
    for shown in (20, 25):
        for _attempt in range(10):
            finger.down(x, 700)
            finger.move(x, 150, steps=12)
            finger.up()
            try:
                expect(cards).to_have_count(shown, timeout=2_000)
                break
            except AssertionError:
                continue
        expect(cards).to_have_count(shown)
    expect(page.get_by_text("Loading more deals…")).to_have_count(0)
    assert cards_of(page, prospecting).evaluate("list => list.scrollTop") > 0
    on_screen = cards.evaluate_all("cards => cards.map(card => Number(card.dataset.dealId))")
    assert on_screen == column(prospecting)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1


def test_another_users_move_appears_on_the_phone_without_reloading(
    logged_in_page, live_server, board
):
    company, prospecting, qualification = board.company, board.prospecting, board.qualification
    page = logged_in_page(company.rep1)
    open_board(page, live_server, company.sales)
    # The rep has swiped to the second column.
    _x, y = center(cards_of(page, prospecting))
    Finger(page).swipe(300, 120, y)
    wait_until_snapped(page, qualification)
    expect(cards_of(page, qualification).locator(".card")).to_have_count(1)

    # The manager moves Acme into it, elsewhere.
    acme = Deal.objects.get(pk=board.acme.pk)
    deal_move(user=company.manager, deal=acme, stage=qualification, version=acme.version)

    moved = cards_of(page, qualification).locator(f"#deal-{acme.pk}")
    expect(moved).to_be_visible(timeout=LIVE_REFRESH_TIMEOUT_MS)
    expect(cards_of(page, qualification).locator(".card")).to_have_count(2)
    expect(cards_of(page, prospecting).locator(f"#deal-{acme.pk}")).to_have_count(0)
    head = page.locator(f"#column-head-{qualification.pk}")
    expect(head.get_by_test_id("column-count")).to_have_text("2 deals")
    # The refresh leaves the rep on the column they were looking at.
    wait_until_snapped(page, qualification)
    expect(moved).to_be_in_viewport()


@pytest.mark.browser_context_args(**TABLET)
def test_a_tablet_folds_the_menu_and_no_page_scrolls_sideways(logged_in_page, live_server, board):
    company = board.company
    page = logged_in_page(company.admin)
    pages = {
        "board": reverse("board-pipeline", args=[company.sales.pk]),
        "deal page": reverse("deal-detail", args=[board.acme.pk]),
        "deals list": reverse("deals-list"),
        "activities": reverse("activities"),
        "dashboard": reverse("dashboard"),
        "admin pipelines": reverse("crm_admin:pipelines"),
    }
    assert_pages_fit(page, live_server.url, pages, 768)

    # The navigation folds behind the Menu button and unfolds within the screen's width.
    navigation = page.get_by_role("navigation", name="Main")
    menu = page.get_by_role("button", name="Menu")
    expect(navigation.get_by_role("link", name="Deals", exact=True)).to_be_hidden()
    menu.tap()
    expect(menu).to_have_attribute("aria-expanded", "true")
    for name in ("Board", "Dashboard", "Deals", "Activities", "Admin"):
        link = navigation.get_by_role("link", name=name, exact=True)
        expect(link).to_be_visible()
        assert link.bounding_box()["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= 768 + 1


@pytest.mark.browser_context_args(**TABLET)
def test_a_tablet_shows_several_columns_which_snap_gently(logged_in_page, live_server, board):
    company = board.company
    page = logged_in_page(company.rep1)
    open_board(page, live_server, company.sales)
    # The filters show as on the desktop.
    expect(page.get_by_label("Owner")).to_be_visible()
    expect(filters_button(page)).to_be_hidden()

    heads = page.locator(".column-head")
    in_full_view = heads.evaluate_all(
        """heads => heads.filter(head => {
             const box = head.getBoundingClientRect();
             return box.left >= 0 && box.right <= window.innerWidth;
           }).length"""
    )
    assert in_full_view >= 2, f"{in_full_view} column(s) in full view"
    snap = page.locator("[data-board]").evaluate("el => getComputedStyle(el).scrollSnapType")
    assert snap in {"x", "x proximity"}, snap  # "proximity" is the default, left out

    # A swipe moves the board sideways, the page never.
    _x, y = center(cards_of(page, board.prospecting))
    Finger(page).swipe(600, 200, y)
    page.wait_for_function("() => document.querySelector('[data-board]').scrollLeft > 0")
    assert page.evaluate("document.documentElement.scrollWidth") <= 768 + 1
