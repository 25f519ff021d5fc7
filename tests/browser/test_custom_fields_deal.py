"""Custom fields in headless Chromium: a rep fills in fields on the deal dialog over the
board and sees them on the card; a drag keeps them on the card; on a phone the fields fit
the screen and pass axe-core (docs/domain/custom-fields.md, "Where values show"). Every
wait is on a server response or a DOM condition, never a sleep.
"""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from deals.models import Deal
from pipelines.models import CustomField
from tests.browser.helpers import assert_pages_fit, drag, is_post_to
from tests.browser.phone import PHONE
from tests.browser.test_accessibility import report, violations
from tests.custom_fields.deal_fields import sales_fields
from tests.factories import make_custom_field, make_deal

# Six columns side by side: wide enough that every column is inside the viewport.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.browser_context_args(viewport={"width": 1920, "height": 1000}),
]
Type = CustomField.Type


def expect_line(card, index: int, name: str, value: str) -> None:
    """The card's ``index``-th "Name: value" line, a term and its definition."""
    line = card.locator(".card-field").nth(index)
    expect(line.get_by_role("term")).to_have_text(name)
    expect(line.get_by_role("definition")).to_have_text(value)


def test_a_rep_edits_custom_fields_on_the_deal_and_sees_them_on_the_card(
    logged_in_page, live_server, browser_company, settings
):
    # No live refresh: whatever the board shows comes from the rep's own requests.
    settings.LIVE_REFRESH_SECONDS = 3600
    company = browser_company
    make_custom_field("Budget", Type.MONEY, show_on_card=True, help_text="Their budget.")
    make_custom_field(
        "Competitor",
        Type.SINGLE_CHOICE,
        pipeline=company.sales,
        options=("Acme", "Globex"),
        show_on_card=True,
    )
    make_custom_field("Background", Type.LONG_TEXT, pipeline=company.sales)
    first, second = company.stages[:2]
    deal = make_deal(company.rep1, company.sales, first, title="Umbrella pilot")
    page: Page = logged_in_page(company.rep1)
    page.goto(f"{live_server.url}/pipelines/{company.sales.pk}/board/")
    card = page.locator(f"#deal-{deal.pk}")
    expect(card).to_be_visible()
    expect(card.locator(".card-fields")).to_have_count(0)

    # The card's title opens the deal over the board; its Details hold the fields.
    with page.expect_response(lambda r: r.url.endswith(f"/deals/{deal.pk}/dialog/")):
        card.get_by_role("link", name="Umbrella pilot").click()
    dialog = page.get_by_role("dialog", name="Umbrella pilot")
    expect(dialog.get_by_text("Their budget.")).to_be_visible()
    dialog.get_by_label("Budget", exact=True).fill("12500")
    dialog.get_by_label("Competitor").select_option(label="Globex")
    dialog.get_by_label("Background").fill("Met at the fair.\nWants a pilot first.")
    with page.expect_response(is_post_to(f"/deals/{deal.pk}/edit/")) as saved:
        dialog.get_by_role("button", name="Save details").click()
    assert saved.value.ok
    expect(dialog.get_by_role("status")).to_contain_text("Saved.")
    timeline = dialog.get_by_role("list", name="Timeline, newest first")
    expect(timeline).to_contain_text("Rep1 Test changed Competitor from empty to “Globex”.")
    stored = Deal.objects.get(pk=deal.pk).custom_fields
    assert stored == {
        "budget": "12500",
        "competitor": "globex",
        "background": "Met at the fair.\nWants a pilot first.",
    }

    # Closing the dialog refreshes the board: the card shows the fields marked for it.
    with page.expect_response(lambda r: f"/pipelines/{company.sales.pk}/board/" in r.url):
        dialog.get_by_role("button", name="Close").click()
    card = page.locator(f"#deal-{deal.pk}")
    expect(card.locator(".card-field")).to_have_count(2)
    expect_line(card, 0, "Budget", "€12,500")
    expect_line(card, 1, "Competitor", "Globex")
    expect(card).not_to_contain_text("Met at the fair")

    # A drag answers with a placeholder (hx-preserve): the very lines the card showed stay,
    # marked here to tell them from a fresh copy.
    page.locator(f"#card-fields-{deal.pk}").evaluate("lines => lines.dataset.seen = 'before'")
    with page.expect_response(is_post_to(f"/deals/{deal.pk}/move/")) as moved:
        drag(page, card, page.locator(f"#cards-{second.pk}"))
    assert moved.value.ok
    moved_card = page.locator(f"#cards-{second.pk} #deal-{deal.pk}")
    expect(moved_card).to_have_attribute("data-version", "3")  # the answer is swapped in
    expect(moved_card.locator(".card-field")).to_have_count(2)
    expect_line(moved_card, 1, "Competitor", "Globex")
    expect(page.locator(f"#card-fields-{deal.pk}")).to_have_attribute("data-seen", "before")
    assert Deal.objects.get(pk=deal.pk).stage_id == second.pk


@pytest.mark.browser_context_args(**PHONE)
def test_on_a_phone_the_fields_fit_the_screen_and_pass_axe(
    logged_in_page, live_server, browser_company
):
    company = browser_company
    sales_fields(company)
    deal = make_deal(
        company.rep1,
        company.sales,
        title="Umbrella pilot",
        custom_fields={
            "budget": Decimal(125000),
            "competitor": "globex",
            "budget_confirmed": True,
            "products": ["crm"],
            "background": "A long story " * 20,
            "tender_page": "https://example.com/" + "very-long-path/" * 8,
        },
    )
    teammates = make_deal(
        company.rep2,
        company.sales,
        title="Teammate's",
        custom_fields={
            "background": "A long story " * 20,
            "tender_page": "https://example.com/" + "very-long-path/" * 8,
        },
    )
    page: Page = logged_in_page(company.rep1)

    paths = {
        "deal page": f"/deals/{deal.pk}/",
        "teammate's deal page": f"/deals/{teammates.pk}/",
        "board": f"/pipelines/{company.sales.pk}/board/",
    }
    assert_pages_fit(page, live_server.url, paths, 390)
    for path in paths.values():
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("main")).to_be_visible()
        found = violations(page, live_server)
        assert not found, f"{path}:\n{report(found)}"
