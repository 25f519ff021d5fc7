"""The first journey of every user: sign in, land on the
home page, sign out (docs/domain/stalls-and-forecast.md)."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_rep_signs_in_reaches_home_then_the_board_and_logs_out(
    page: Page, live_server, browser_company
):
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    page.get_by_label("Username").fill("rep1")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/home/$"))
    expect(page.get_by_role("banner")).to_contain_text("Rep1 Test")
    navigation = page.get_by_role("navigation", name="Main")
    navigation.get_by_role("link", name="Board", exact=True).click()
    expect(page).to_have_url(re.compile(r"/board/$"))

    page.get_by_role("button", name="Log out").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)


def test_logged_in_page_signs_in_through_the_form(logged_in_page, browser_company):
    page = logged_in_page(browser_company.manager)

    # Managers land on their team's dashboard.
    expect(page).to_have_url(re.compile(r"/dashboard/team/\d+/"))
    expect(page.get_by_role("banner")).to_contain_text("Manager Test · Manager")
