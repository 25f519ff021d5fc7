"""Chromium itself reads the web app manifest and finds the app installable
(docs/install-and-accessibility.md): what "Add to home screen" needs, asked of the browser
through the DevTools protocol rather than inferred from the markup."""

import pytest
from playwright.sync_api import expect

from tests.browser.phone import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.browser_context_args(**PHONE)]


def test_chromium_finds_the_board_installable(logged_in_page, live_server, browser_company):
    page = logged_in_page(browser_company.rep1)
    page.goto(f"{live_server.url}/board/")
    expect(page.get_by_role("heading", name="Sales", level=1)).to_be_visible()
    cdp = page.context.new_cdp_session(page)

    manifest = cdp.send("Page.getAppManifest")
    installability = cdp.send("Page.getInstallabilityErrors")

    assert manifest["url"] == f"{live_server.url}/manifest/en.webmanifest"
    assert manifest["errors"] == []
    # A Playwright context is a private window, where Chromium never offers to install;
    # every other reason (manifest members, icons, secure context) must be absent.
    errors = {error["errorId"] for error in installability["installabilityErrors"]}
    assert errors <= {"in-incognito"}, errors
