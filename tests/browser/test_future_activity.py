"""A meeting "done" in the future is refused on the deal page with a form error, and nothing
is saved (docs/hardening/gate-activities.md), in headless Chromium."""

import pytest
from playwright.sync_api import Page, expect

from deals.models import Activity
from tests.factories import make_deal

pytestmark = [pytest.mark.browser]


def test_a_future_done_time_is_a_form_error_on_the_deal_page(
    logged_in_page, live_server, browser_company
):
    company = browser_company
    deal = make_deal(company.rep1, company.sales, title="Initech renewal")
    page: Page = logged_in_page(company.rep1)
    page.goto(f"{live_server.url}/deals/{deal.pk}/")

    page.get_by_label("Kind").select_option("meeting")
    page.get_by_label("Subject").fill("Kick-off")
    page.get_by_label("Done at").fill("2100-01-01T09:00")
    with page.expect_response(lambda r: r.url.endswith(f"/deals/{deal.pk}/activities/")) as sent:
        page.get_by_role("button", name="Log as done").click()

    assert sent.value.status == 422
    expect(page.get_by_text("An activity cannot be done in the future").first).to_be_visible()
    assert not Activity.objects.filter(deal=deal).exists()
