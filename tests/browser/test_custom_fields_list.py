"""Custom fields in the Deals list and the board's filters, in Chromium: the filter fold and
the column picker submit into the URL, custom columns stack on a phone with their names,
and the board's select filters the columns (docs/domain/custom-fields.md, "Lists,
filters, CSV"; docs/domain/phone.md)."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from pipelines.models import CustomField
from tests.browser.helpers import assert_pages_fit
from tests.browser.phone import PHONE
from tests.factories import make_custom_field, make_deal

pytestmark = pytest.mark.browser
Type = CustomField.Type


@pytest.fixture
def listed(browser_company):
    company = browser_company
    make_custom_field("Competitor", Type.SINGLE_CHOICE, options=("Acme", "Globex"))
    make_custom_field("Budget", Type.MONEY)
    make_custom_field("Technical contact", Type.USER, pipeline=company.sales)
    make_custom_field("Competitor note", Type.TEXT, pipeline=company.sales)
    make_deal(
        company.rep1,
        company.sales,
        title="Acme pilot",
        custom_fields={"competitor": "acme", "budget": Decimal("12500.50")},
    )
    make_deal(
        company.rep1,
        company.sales,
        title="Globex audit with a long title that must wrap on a phone",
        custom_fields={"competitor": "globex", "competitor_note": "x" * 120},
    )
    return company


def test_the_filter_fold_and_the_column_picker_go_into_the_url(logged_in_page, live_server, listed):
    page = logged_in_page(listed.rep1)
    page.goto(f"{live_server.url}{reverse('deals-list')}")
    page.get_by_text("Custom fields", exact=True).click()
    filters = page.get_by_test_id("custom-filters")
    filters.get_by_label("Competitor", exact=True).select_option(label="Globex")
    page.get_by_text("Columns", exact=True).click()
    page.get_by_test_id("column-picker").get_by_label("Budget", exact=True).check()
    page.get_by_role("button", name="Apply", exact=True).click()

    expect(page).to_have_url(re.compile(r"cf_competitor=globex.*cols=budget"))
    rows = page.locator("table.deals-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Globex audit")
    expect(page.locator("table.deals-table thead")).to_contain_text("Budget")

    # The Budget header sorts by it and keeps the filter.
    page.locator("table.deals-table thead").get_by_role("link", name="Budget").click()
    expect(page).to_have_url(re.compile(r"sort=cf_budget"))
    expect(page).to_have_url(re.compile(r"cf_competitor=globex"))


@pytest.mark.browser_context_args(**PHONE)
def test_custom_columns_stack_on_a_phone_with_their_names(logged_in_page, live_server, listed):
    page = logged_in_page(listed.rep1)
    path = reverse("deals-list") + "?cols=competitor,budget,competitor_note&sort=title"
    assert_pages_fit(page, live_server.url, {"deals list": path}, 390)
    first = page.locator("table.deals-table tbody tr").first
    expect(first.locator('td[data-label="Budget"]')).to_have_text(re.compile(r"12,500\.50"))
    expect(first.locator('td[data-label="Competitor"]')).to_have_text("Acme")
    expect(first.locator('td[data-label="Competitor note"]')).to_have_text("—")
    # The filters' fold opens within the screen too.
    page.get_by_text("Custom fields", exact=True).tap()
    expect(page.get_by_label("Budget from")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 391


def test_the_boards_select_filters_the_columns(logged_in_page, live_server, listed):
    page = logged_in_page(listed.rep1)
    page.goto(f"{live_server.url}{reverse('board-pipeline', args=[listed.sales.pk])}")
    expect(page.get_by_test_id("board-count")).to_have_text("2 deals")
    with page.expect_response(re.compile(r"/board/\?")):
        page.get_by_label("Competitor", exact=True).select_option(label="Acme")
    expect(page.get_by_test_id("board-count")).to_have_text("1 deal")
    expect(page).to_have_url(re.compile(r"cf_competitor=acme"))
    expect(page.locator("[data-filters-count]")).to_have_text(" (1)")
