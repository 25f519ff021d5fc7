"""Browser tests: headless Debian Chromium driving the live test server.

Playwright's sync API keeps an event loop running in the test thread for as long as it
lives, and Django refuses ORM calls from a thread with a running loop. That loop only
drives the browser, never Django code, so the guard (``DJANGO_ALLOW_ASYNC_UNSAFE``) is
lifted here and only here (docs/architecture.md).
"""

import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, make_deal

# Every wait is bounded, so a browser or a page that never answers fails the test quickly
# instead of hanging the suite.
LAUNCH_TIMEOUT_MS = 20_000
ACTION_TIMEOUT_MS = 10_000
NAVIGATION_TIMEOUT_MS = 15_000
expect.set_options(timeout=ACTION_TIMEOUT_MS)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Run browser tests last, after pytest's own grouping: Playwright's loop then runs only
    beside them, and other tests keep Django's guard and a clean environment for the
    subprocesses they start (``check --deploy`` refuses ``DJANGO_ALLOW_ASYNC_UNSAFE``)."""
    items[:] = sorted(items, key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def playwright(playwright):
    """Lift Django's async guard for exactly as long as Playwright's loop runs."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield playwright


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium: ``playwright install`` cannot download browsers on these machines."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-dev-shm-usage",
        ],
        "timeout": LAUNCH_TIMEOUT_MS,
    }


@pytest.fixture
def context(context):
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    return context


@pytest.fixture
def logged_in_page(page: Page, live_server, browser_company):
    """``logged_in_page(user)``: sign in through the real login form and return the page."""

    def _login(user, password: str = PASSWORD) -> Page:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
        return page

    return _login


@pytest.fixture
def board(browser_company):
    """rep1's board: two cards in Prospecting, one in Qualification, prices that add up."""
    company = browser_company
    prospecting, qualification = company.stages[:2]
    return SimpleNamespace(
        company=company,
        prospecting=prospecting,
        qualification=qualification,
        acme=make_deal(
            company.rep1, company.sales, prospecting, title="Acme pilot", value=Decimal(3000)
        ),
        globex=make_deal(
            company.rep1, company.sales, prospecting, title="Globex audit", value=Decimal(1000)
        ),
        initech=make_deal(
            company.rep1, company.sales, qualification, title="Initech", value=Decimal(500)
        ),
    )
