"""The board journeys that matter, in headless Chromium against
the live server (docs/domain/moves.md, docs/domain/board.md).

Cards are ``#deal-<pk>``, a column's list of cards ``#cards-<stage pk>`` and its header
``#column-head-<stage pk>``; everything else is found by role, label or text, as a user
would. Every wait is on a server response or a DOM condition, never a sleep.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from deals.models import Deal, LostReason
from pipelines.models import ChecklistItem
from tests.browser.conftest import ACTION_TIMEOUT_MS, NAVIGATION_TIMEOUT_MS
from tests.browser.helpers import drag, is_post_to
from tests.factories import PASSWORD, make_deal, make_item

# Six columns side by side: wide enough that every column is inside the viewport.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.browser_context_args(viewport={"width": 1920, "height": 1000}),
]
LIVE_REFRESH_TIMEOUT_MS = 15_000


def card(page: Page, deal: Deal):
    return page.locator(f"#deal-{deal.pk}")


def cards_of(page: Page, stage):
    return page.locator(f"#cards-{stage.pk}")


def column_figure(page: Page, stage, figure: str):
    return page.locator(f"#column-head-{stage.pk} [data-testid=column-{figure}]")


def column(stage) -> list[int]:
    """Ids of the open deals of ``stage`` in the server's board order."""
    rows = Deal.objects.filter(stage=stage, status=Deal.Status.OPEN).order_by("position", "id")
    return list(rows.values_list("pk", flat=True))


def tab_to(page: Page, target, *, presses: int = 10) -> None:
    """Press Tab, as a keyboard user does, until ``target`` has the focus."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{target} never got the focus in {presses} presses of Tab")


def open_board(page: Page, live_server, pipeline) -> None:
    page.goto(f"{live_server.url}/pipelines/{pipeline.pk}/board/")
    expect(page.get_by_role("heading", name=pipeline.name, level=1)).to_be_visible()


def test_refused_drag_snaps_back_then_the_dialog_completes_the_move(
    logged_in_page, live_server, board
):
    company, prospecting, qualification = board.company, board.prospecting, board.qualification
    item = make_item(prospecting, ChecklistItem.Kind.EXIT, text="Budget confirmed")
    page = logged_in_page(company.rep1)
    open_board(page, live_server, company.sales)
    acme = card(page, board.acme)

    with page.expect_response(is_post_to("/move/")) as refused:
        drag(page, acme, cards_of(page, qualification))
    assert refused.value.status == 409

    # The card is back where it was and the dialog says what is missing.
    expect(cards_of(page, prospecting).locator(acme)).to_have_count(1)
    dialog = page.get_by_role("dialog", name=re.compile("can move to Qualification"))
    expect(dialog).to_be_visible()
    dialog.get_by_label("Budget confirmed").check()
    with page.expect_response(is_post_to("/move/")) as moved:
        dialog.get_by_role("button", name="Complete and move").click()
    assert moved.value.status == 200

    expect(dialog).to_be_hidden()
    expect(cards_of(page, qualification).locator(acme)).to_have_count(1)
    expect(column_figure(page, prospecting, "count")).to_have_text("1 deal")
    expect(column_figure(page, prospecting, "total")).to_have_text("€1,000")
    expect(column_figure(page, qualification, "count")).to_have_text("2 deals")
    expect(column_figure(page, qualification, "total")).to_have_text("€3,500")
    assert board.acme.checks.filter(item=item).exists()

    # The columns the dialog re-rendered still take drags.
    with page.expect_response(is_post_to("/move/")) as moved_back:
        drag(page, card(page, board.initech), cards_of(page, prospecting))
    assert moved_back.value.status == 200
    expect(column_figure(page, qualification, "total")).to_have_text("€3,000")

    page.reload()
    expect(cards_of(page, qualification).locator(acme)).to_have_count(1)
    expect(cards_of(page, prospecting).locator(card(page, board.initech))).to_have_count(1)
    expect(column_figure(page, qualification, "total")).to_have_text("€3,000")


def test_backward_drag_needs_nothing_even_with_items_missing(logged_in_page, live_server, board):
    company, prospecting, qualification = board.company, board.prospecting, board.qualification
    make_item(qualification, ChecklistItem.Kind.EXIT, text="Decision maker known")
    make_item(prospecting, ChecklistItem.Kind.ENTRY, text="Lead source known")
    page = logged_in_page(company.rep1)
    open_board(page, live_server, company.sales)
    initech = card(page, board.initech)

    # Dropped onto Acme pilot: it lands next to it, and where it lands is where it stays.
    with page.expect_response(is_post_to("/move/")) as moved:
        drag(page, initech, card(page, board.acme))
    assert moved.value.status == 200

    expect(column_figure(page, prospecting, "count")).to_have_text("3 deals")
    expect(column_figure(page, qualification, "count")).to_have_text("0 deals")
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert Deal.objects.get(pk=board.initech.pk).stage_id == prospecting.pk
    on_screen = (
        cards_of(page, prospecting)
        .locator(".card")
        .evaluate_all("cards => cards.map(card => Number(card.dataset.dealId))")
    )
    assert on_screen == column(prospecting)
    assert on_screen.index(board.initech.pk) in (1, 2)  # beside Acme pilot, below Globex


def test_drop_zones_win_and_lose_deals(logged_in_page, live_server, board):
    company, prospecting = board.company, board.prospecting
    LostReason.objects.create(name="Price too high")
    page = logged_in_page(company.rep1)
    open_board(page, live_server, company.sales)
    won_zone = page.locator("[data-drop=won]")
    lost_zone = page.locator("[data-drop=lost]")
    expect(won_zone).to_be_hidden()

    with page.expect_response(is_post_to("/won/")) as won:
        drag(page, card(page, board.acme), won_zone)
    assert won.value.status == 200
    expect(card(page, board.acme)).to_have_count(0)
    expect(won_zone).to_be_hidden()
    expect(column_figure(page, prospecting, "count")).to_have_text("1 deal")

    with page.expect_response(lambda r: "/lost/" in r.url and r.request.method == "GET"):
        drag(page, card(page, board.globex), lost_zone)
    dialog = page.get_by_role("dialog", name=re.compile("as lost"))
    expect(dialog).to_be_visible()
    dialog.get_by_label("Why was it lost?").select_option("Price too high")
    with page.expect_response(is_post_to("/lost/")) as lost:
        dialog.get_by_role("button", name="Mark as lost").click()
    assert lost.value.status == 200
    expect(card(page, board.globex)).to_have_count(0)
    expect(column_figure(page, prospecting, "count")).to_have_text("0 deals")

    assert Deal.objects.get(pk=board.acme.pk).status == Deal.Status.WON
    lost_deal = Deal.objects.get(pk=board.globex.pk)
    assert (lost_deal.status, lost_deal.lost_reason.name) == ("lost", "Price too high")


def test_keyboard_only_move_through_the_move_to_dialog(logged_in_page, live_server, board):
    company, prospecting, qualification = board.company, board.prospecting, board.qualification
    page = logged_in_page(company.rep1)
    open_board(page, live_server, company.sales)
    # From the column's "+", Tab on to its first card's "Move to…".
    page.get_by_role("button", name="New deal in Prospecting").focus()
    tab_to(page, page.get_by_role("button", name="Move to… Globex audit"))

    with page.expect_response(lambda r: "/move/" in r.url and r.request.method == "GET"):
        page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Move “Globex audit”")
    stage_select = dialog.get_by_label("To stage")
    expect(stage_select).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(stage_select).to_have_value(str(qualification.pk))
    tab_to(page, dialog.get_by_role("button", name="Move", exact=True))
    with page.expect_response(is_post_to("/move/")) as moved:
        page.keyboard.press("Enter")
    assert moved.value.status == 200

    expect(dialog).to_be_hidden()
    expect(cards_of(page, qualification).locator(card(page, board.globex))).to_have_count(1)
    expect(column_figure(page, prospecting, "count")).to_have_text("1 deal")
    assert Deal.objects.get(pk=board.globex.pk).stage_id == qualification.pk


def test_teammates_card_cannot_be_dragged(logged_in_page, live_server, board):
    company, prospecting, qualification = board.company, board.prospecting, board.qualification
    teammate = make_deal(company.rep2, company.sales, prospecting, title="Rep2's deal")
    page = logged_in_page(company.rep1)
    open_board(page, live_server, company.sales)
    moves = []

    def record_move(request):
        if "/move/" in request.url:
            moves.append(request.url)

    page.on("request", record_move)
    locked = card(page, teammate)
    expect(locked.get_by_text("Read-only")).to_be_visible()
    expect(locked.get_by_role("button", name=re.compile("Move"))).to_have_count(0)

    box = locked.bounding_box()
    target = cards_of(page, qualification).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(target["x"] + 40, target["y"] + 40, steps=12)
    expect(page.locator("[data-drop=won]")).to_be_hidden()
    page.mouse.up()

    # A real move afterwards is the barrier: once its answer is in, any request the
    # attempt had sent would have been seen first.
    with page.expect_response(is_post_to("/move/")):
        drag(page, card(page, board.initech), cards_of(page, prospecting))
    assert moves == [f"{live_server.url}/deals/{board.initech.pk}/move/"]
    expect(cards_of(page, prospecting).locator(locked)).to_have_count(1)
    assert Deal.objects.get(pk=teammate.pk).stage_id == prospecting.pk


def test_another_user_sees_the_move_without_reloading(
    logged_in_page, live_server, board, new_context
):
    company, prospecting, qualification = board.company, board.prospecting, board.qualification
    manager_context = new_context()
    manager_context.set_default_timeout(ACTION_TIMEOUT_MS)
    manager_context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    manager_page = manager_context.new_page()
    manager_page.goto(f"{live_server.url}/accounts/login/")
    manager_page.get_by_label("Username").fill(company.manager.username)
    manager_page.get_by_label("Password", exact=True).fill(PASSWORD)
    manager_page.get_by_role("button", name="Sign in").click()
    open_board(manager_page, live_server, company.sales)
    expect(cards_of(manager_page, qualification).locator(".card")).to_have_count(1)

    page = logged_in_page(company.rep1)
    open_board(page, live_server, company.sales)
    with page.expect_response(is_post_to("/move/")) as moved:
        drag(page, card(page, board.acme), cards_of(page, qualification))
    assert moved.value.status == 200

    expect(
        cards_of(manager_page, qualification).locator(card(manager_page, board.acme))
    ).to_be_visible(timeout=LIVE_REFRESH_TIMEOUT_MS)
    expect(column_figure(manager_page, qualification, "count")).to_have_text("2 deals")

    # The refreshed board is a working board: the manager drags the card straight back.
    with manager_page.expect_response(is_post_to("/move/")) as moved_back:
        drag(manager_page, card(manager_page, board.acme), cards_of(manager_page, prospecting))
    assert moved_back.value.status == 200
    expect(cards_of(page, prospecting).locator(card(page, board.acme))).to_be_visible(
        timeout=LIVE_REFRESH_TIMEOUT_MS
    )


def test_long_column_loads_more_cards_as_the_user_scrolls_it(
    logged_in_page, live_server, browser_company, settings
):
    # Ten cards are taller than a column on this screen: the rest waits for a scroll of
    # the column itself (its own scrollbar, not the page's).
    settings.BOARD_FIRST_PAGE_SIZE = settings.BOARD_PAGE_SIZE = 10
    company = browser_company
    negotiation = company.stages[4]
    for number in range(25):
        make_deal(company.rep1, company.sales, negotiation, title=f"Renewal {number}")
    page = logged_in_page(company.rep1)
    open_board(page, live_server, company.sales)
    cards = cards_of(page, negotiation).locator(".card")
    expect(cards).to_have_count(10)
    expect(column_figure(page, negotiation, "count")).to_have_text("25 deals")

    box = cards_of(page, negotiation).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for shown in (20, 25):
        with page.expect_response(lambda r: "/cards/" in r.url):
            page.mouse.wheel(0, 5000)
        expect(cards).to_have_count(shown)
    expect(page.get_by_text("Loading more deals…")).to_have_count(0)
    on_screen = cards.evaluate_all("cards => cards.map(card => Number(card.dataset.dealId))")
    assert on_screen == column(negotiation)
