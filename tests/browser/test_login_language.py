"""A visitor chooses Nederlands on the login page, signs in, and the CRM speaks Dutch from
then on, stored in their profile (docs/i18n.md)."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_choosing_nederlands_on_the_login_page_then_signing_in(
    page: Page, live_server, browser_company
):
    rep = browser_company.rep1
    assert rep.language == ""
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    choice = page.get_by_role("form", name="Language")
    expect(choice.get_by_role("button")).to_have_text(["English", "Deutsch", "Nederlands"])
    nederlands = choice.get_by_role("button", name="Nederlands")
    expect(nederlands).to_have_attribute("lang", "nl")
    # With the keyboard: a button like any other.
    nederlands.focus()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("heading", name="Inloggen")).to_be_visible()
    dutch_choice = page.get_by_role("form", name="Taal")
    expect(dutch_choice.get_by_role("button")).to_have_text(["English", "Deutsch", "Nederlands"])
    chosen = dutch_choice.get_by_role("button", name="Nederlands")
    expect(chosen).to_have_attribute("aria-current", "true")

    page.get_by_label("Gebruikersnaam").fill(rep.username)
    page.get_by_label("Wachtwoord", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()

    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    navigation = page.get_by_role("navigation", name="Hoofdmenu")
    navigation.get_by_role("link", name="Bord", exact=True).click()
    expect(page).to_have_url(re.compile(r"/board/$"))
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("button", name="Uitloggen")).to_be_attached()

    rep.refresh_from_db(fields=["language"])
    assert rep.language == "nl"
