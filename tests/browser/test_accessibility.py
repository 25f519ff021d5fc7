"""The phone layout passes axe-core's accessibility rules: no serious or critical violation
on the board, the deal page, "My activities" and the team dashboard
(docs/install-and-accessibility.md).

axe-core is vendored from npm (static/vendor/axe-core, `make vendor`) and loaded from the
app's own static URL: the Content Security Policy allows scripts from 'self' only, so an
inline copy of it would be refused like any other inline script.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from deals.models import Organization
from deals.services.activities import activity_log
from pipelines.models import ActivityKind
from tests.browser.helpers import is_post_to
from tests.browser.phone import PHONE
from tests.factories import make_deal, make_item

pytestmark = [pytest.mark.browser, pytest.mark.browser_context_args(**PHONE)]

AXE_URL = "/static/vendor/axe-core/axe.min.js"
# The impacts that fail a page; "moderate" and "minor" ones are left to review.
FAILING_IMPACTS = ("serious", "critical")
# Every violation with its rule, impact, help text and the first few elements it names, so a
# failure says what to fix without a rerun.
_RUN_AXE = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 8).map(n => n.target.join(" ") + " — " + n.failureSummary),
  }));
}"""


def violations(page: Page, live_server) -> list[dict]:
    """axe-core's violations on the page as it is now, the serious and critical ones."""
    page.add_script_tag(url=f"{live_server.url}{AXE_URL}")
    page.wait_for_function("() => typeof window.axe !== 'undefined'")
    found = page.evaluate(_RUN_AXE)
    return [v for v in found if v["impact"] in FAILING_IMPACTS]


def report(found: list[dict]) -> str:
    return "\n".join(
        f"{v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in found
    )


@pytest.fixture
def sales(browser_company):
    """rep1's Sales pipeline with deals in the first two stages, one with an organization,
    a checklist item, a done call and an overdue follow-up: the pages show what reps see."""
    company = browser_company
    prospecting, qualification = company.stages[:2]
    acme = Organization.objects.create(name="Acme Ltd")
    make_item(prospecting, text="Budget confirmed")
    deal = make_deal(
        company.rep1,
        company.sales,
        prospecting,
        title="Acme pilot",
        value=Decimal(3000),
        organization=acme,
        expected_close_date=timezone.localdate() + datetime.timedelta(days=20),
    )
    make_deal(company.rep1, company.sales, prospecting, title="Globex audit")
    make_deal(company.rep2, company.sales, qualification, title="Initech rollout")
    activity_log(
        user=company.rep1,
        deal=deal,
        kind=ActivityKind.CALL,
        subject="Intro call",
        notes="Wants a pilot in March.",
    )
    activity_log(
        user=company.rep1,
        deal=deal,
        kind=ActivityKind.TASK,
        subject="Send the pilot plan",
        done=False,
        due_at=timezone.now() - datetime.timedelta(days=1),
    )
    return company, deal


def test_the_board_on_a_phone_has_no_serious_violations(logged_in_page, live_server, sales):
    company, deal = sales
    page = logged_in_page(company.rep1)

    page.goto(f"{live_server.url}/pipelines/{company.sales.pk}/board/")
    expect(page.locator(f"#deal-{deal.pk}")).to_be_visible()

    found = violations(page, live_server)
    assert not found, report(found)


def test_the_move_sheet_and_the_refused_move_dialog_have_no_serious_violations(
    logged_in_page, live_server, sales
):
    """The two dialogs a rep meets on the phone board: "Move to…" and, when the checklist
    refuses, the list of what is missing."""
    company, _deal = sales
    qualification = company.stages[1]
    page = logged_in_page(company.rep1)
    page.goto(f"{live_server.url}/pipelines/{company.sales.pk}/board/")

    page.get_by_role("button", name="Move to… Acme pilot").tap()
    sheet = page.get_by_role("dialog", name=re.compile("Acme pilot"))
    expect(sheet).to_be_visible()
    found = violations(page, live_server)
    assert not found, report(found)

    sheet.get_by_label("To stage").select_option(str(qualification.pk))
    with page.expect_response(is_post_to("/move/")) as refused:
        sheet.get_by_role("button", name="Move", exact=True).tap()
    assert refused.value.status == 409
    expect(page.get_by_role("dialog", name=re.compile("Qualification"))).to_be_visible()
    found = violations(page, live_server)
    assert not found, report(found)


def test_the_deal_page_on_a_phone_has_no_serious_violations(logged_in_page, live_server, sales):
    company, deal = sales
    page = logged_in_page(company.rep1)

    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    expect(page.get_by_role("heading", name="Acme pilot", level=1)).to_be_visible()

    found = violations(page, live_server)
    assert not found, report(found)


def test_my_activities_on_a_phone_have_no_serious_violations(logged_in_page, live_server, sales):
    company, _deal = sales
    page = logged_in_page(company.rep1)

    page.goto(f"{live_server.url}/activities/")
    expect(page.get_by_text("Send the pilot plan").first).to_be_visible()

    found = violations(page, live_server)
    assert not found, report(found)


def test_the_team_dashboard_on_a_phone_has_no_serious_violations(
    logged_in_page, live_server, sales
):
    company, _deal = sales
    page = logged_in_page(company.manager)

    page.goto(f"{live_server.url}/dashboard/team/{company.north.pk}/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    # The charts draw from data.json after the page has loaded; check the page they make.
    page.wait_for_load_state("networkidle")

    found = violations(page, live_server)
    assert not found, report(found)
