"""Everyday polish on the desktop, in headless Chromium (docs/domain/board.md): compact
cards (a column shows at least eight at 1440 × 900), the board's totals, and "Complete and
move" naming a required step that is still unticked."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from deals.models import Organization
from pipelines.models import ChecklistItem
from tests.browser.helpers import is_post_to
from tests.factories import make_deal, make_item

pytestmark = [
    pytest.mark.browser,
    pytest.mark.browser_context_args(viewport={"width": 1440, "height": 900}),
]

# Each card's height and whether it is wholly inside its column's visible list.
_CARD_BOXES = """list => {
  const view = list.getBoundingClientRect();
  return [...list.querySelectorAll(":scope > .card")].map(card => {
    const box = card.getBoundingClientRect();
    return {height: box.height, visible: box.top >= view.top && box.bottom <= view.bottom};
  });
}"""


def open_board(page: Page, live_server, pipeline) -> None:
    page.goto(f"{live_server.url}/pipelines/{pipeline.pk}/board/")
    expect(page.get_by_role("heading", name=pipeline.name, level=1)).to_be_visible()


def test_a_column_shows_at_least_eight_cards_at_1440_by_900(
    logged_in_page, live_server, browser_company
):
    company = browser_company
    prospecting = company.stages[0]
    make_item(prospecting, ChecklistItem.Kind.EXIT, text="Budget confirmed")
    umbrella = Organization.objects.create(name="Umbrella Corporation")
    last_year = timezone.localdate() - datetime.timedelta(days=400)
    for i in range(12):
        make_deal(
            company.rep1,
            company.sales,
            prospecting,
            title=f"Umbrella Corporation – Support renewal {i}",
            organization=umbrella,
            value=Decimal(125_000),
            expected_close_date=last_year,
        )
    page = logged_in_page(company.rep1)
    open_board(page, live_server, company.sales)

    cards = page.locator(f"#cards-{prospecting.pk}")
    expect(cards.locator(".card")).to_have_count(12)
    boxes = cards.evaluate(_CARD_BOXES)
    assert max(box["height"] for box in boxes) <= 80, boxes
    assert sum(box["visible"] for box in boxes) >= 8, boxes
    # Organization once (the title names it), badges on one line, the past date in red.
    first = cards.locator(".card").first
    expect(first.locator(".card-org")).to_have_count(0)
    badges = first.locator(".card-badges")
    assert badges.evaluate("el => getComputedStyle(el).flexWrap") == "nowrap"
    late = first.locator(".badge-late")
    expect(late).to_contain_text(str(last_year.year))
    assert late.evaluate("el => getComputedStyle(el).color") == "rgb(153, 27, 27)"


def test_complete_and_move_names_the_unticked_step_then_moves(
    logged_in_page, live_server, browser_company
):
    company = browser_company
    prospecting, qualification = company.stages[0], company.stages[1]
    make_item(prospecting, ChecklistItem.Kind.EXIT, text="Budget confirmed")
    make_item(prospecting, ChecklistItem.Kind.EXIT, text="Decision maker known")
    deal = make_deal(
        company.rep1, company.sales, prospecting, title="Acme pilot", value=Decimal(1000)
    )
    page = logged_in_page(company.rep1)
    open_board(page, live_server, company.sales)
    weighted = page.get_by_test_id("board-weighted")
    expect(weighted).to_have_text("Weighted €100")

    card = page.locator(f"#deal-{deal.pk}")
    card.hover()
    card.get_by_role("button", name=re.compile("Move to")).click()
    chooser = page.get_by_role("dialog", name="Move “Acme pilot”")
    chooser.get_by_label("To stage").select_option(label="Qualification (20 %)")
    with page.expect_response(is_post_to("/move/")) as refused:
        chooser.get_by_role("button", name="Move", exact=True).click()
    assert refused.value.status == 409

    dialog = page.get_by_role("dialog", name=re.compile("can move to Qualification"))
    dialog.get_by_label("Budget confirmed").check()
    with page.expect_response(is_post_to("/move/")) as still:
        dialog.get_by_role("button", name="Complete and move").click()
    assert still.value.status == 409
    alert = dialog.get_by_role("alert")
    expect(alert).to_contain_text("This required step is still not done:")
    expect(alert).to_contain_text("Decision maker known")
    expect(alert).not_to_contain_text("Budget confirmed")
    # The dialog stays as the user left it.
    expect(dialog.get_by_label("Budget confirmed")).to_be_checked()

    dialog.get_by_label("Decision maker known").check()
    with page.expect_response(is_post_to("/move/")) as moved:
        dialog.get_by_role("button", name="Complete and move").click()
    assert moved.value.ok
    expect(page.locator(f"#cards-{qualification.pk}").locator(f"#deal-{deal.pk}")).to_have_count(1)
    expect(weighted).to_have_text("Weighted €200")
