"""A rep's day in German and in Dutch, in headless Chromium with the browser's language
set: sign in, drag a card through the checklist dialog, log an activity, open the
dashboard (docs/i18n.md). Every word the test looks for is the catalog's translation of the
English one, and must differ from it, so the test fails on an English page."""

import re
from decimal import Decimal

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from accounts.models import User
from pipelines.models import ChecklistItem
from tests.browser.helpers import drag, is_post_to
from tests.factories import PASSWORD, make_deal, make_item

WIDE = {"width": 1920, "height": 1000}


def translated(language: str, english: str) -> str:
    with translation.override(language):
        words = translation.gettext(english)
    assert words != english, f"{english!r} has no {language} translation"
    return words


def rep_day(page: Page, live_server, company, language: str, amount: str) -> None:
    def t(english: str) -> str:
        return translated(language, english)

    prospecting, qualification = company.stages[:2]
    make_item(prospecting, ChecklistItem.Kind.EXIT, text="Budget OK")
    acme = make_deal(company.rep1, company.sales, prospecting, title="Acme", value=Decimal(3000))
    make_deal(company.rep1, company.sales, qualification, title="Globex", value=Decimal(500))

    # Sign in: the page speaks the browser's language, which becomes the rep's own.
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.locator("#id_username").fill(company.rep1.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name=t("Sign in")).click()
    expect(page.get_by_role("link", name=t("Activities"), exact=True)).to_be_visible()
    assert User.objects.get(pk=company.rep1.pk).language == language

    # The board: a refused drag opens the checklist dialog, which completes the move.
    page.goto(f"{live_server.url}/pipelines/{company.sales.pk}/board/")
    card = page.locator(f"#deal-{acme.pk}")
    with page.expect_response(is_post_to("/move/")) as refused:
        drag(page, card, page.locator(f"#cards-{qualification.pk}"))
    assert refused.value.status == 409
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Budget OK").check()
    with page.expect_response(is_post_to("/move/")) as moved:
        dialog.get_by_role("button", name=t("Complete and move")).click()
    assert moved.value.status == 200
    expect(dialog).to_be_hidden()
    total = page.locator(f"#column-head-{qualification.pk} [data-testid=column-total]")
    expect(total).to_have_text(re.compile(amount))

    # The deal page: log a call, told in the rep's language.
    page.goto(f"{live_server.url}/deals/{acme.pk}/")
    page.get_by_label(t("Kind"), exact=True).select_option("call")
    page.get_by_label(re.compile("^" + re.escape(t("Subject")))).fill("Kick-off")
    with page.expect_response(lambda r: r.url.endswith(f"/deals/{acme.pk}/activities/")) as sent:
        page.get_by_role("button", name=t("Log as done")).click()
    assert sent.value.ok
    expect(page.get_by_text(t("Logged: call.")).first).to_be_visible()

    # The dashboard ("Dashboard" in all three languages).
    page.get_by_role("navigation").get_by_role("link", name="Dashboard", exact=True).click()
    with translation.override(language):
        hello = translation.gettext("Hello, %(name)s") % {"name": company.rep1.first_name}
    expect(page.get_by_role("heading", name=hello, level=1)).to_be_visible()


@pytest.mark.browser
@pytest.mark.browser_context_args(locale="de-DE", viewport=WIDE)
def test_a_reps_day_in_german(page, live_server, browser_company):
    rep_day(page, live_server, browser_company, "de", r"^3\.500\s€$")


@pytest.mark.browser
@pytest.mark.browser_context_args(locale="nl-NL", viewport=WIDE)
def test_a_reps_day_in_dutch(page, live_server, browser_company):
    rep_day(page, live_server, browser_company, "nl", r"^€\s3\.500$")
