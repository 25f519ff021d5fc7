"""The deal page and "My activities" on a phone (390 × 844, touch): a call is logged in at
most three taps, and marking an activity done asks "What's next?", whose quick due dates
schedule the follow-up (docs/domain/deals.md, "Activities on the phone")."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from deals.models import Activity
from tests.browser.helpers import is_post_to
from tests.browser.phone import PHONE
from tests.factories import make_deal, make_planned_activity

pytestmark = [pytest.mark.browser, pytest.mark.browser_context_args(**PHONE)]


class Taps:
    """Counts the taps a journey takes."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, locator) -> None:
        locator.tap()
        self.count += 1


def _planned(company, deal, subject: str = "Ring them") -> Activity:
    return make_planned_activity(
        company.rep1, deal, subject=subject, due_in=datetime.timedelta(hours=-1)
    )


def test_a_call_is_logged_from_the_deal_page_in_three_taps(
    logged_in_page, live_server, browser_company
):
    company = browser_company
    deal = make_deal(company.rep1, company.sales, title="Initech renewal")
    page: Page = logged_in_page(company.rep1)
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    tap = Taps()

    # The quick actions are on the first screen, before the checklists and details.
    log_call = page.get_by_role("button", name="Log call")
    expect(log_call).to_be_in_viewport()
    assert log_call.bounding_box()["height"] >= 44
    tap(log_call)
    subject = page.get_by_label("Subject")
    expect(subject).to_be_focused()
    expect(subject).to_have_attribute("placeholder", "Call")
    page.keyboard.type("Budget approved")
    with page.expect_response(is_post_to(f"/deals/{deal.pk}/activities/")) as sent:
        tap(page.get_by_role("button", name="Log as done"))

    assert sent.value.ok
    assert tap.count <= 3
    expect(page.get_by_role("status").filter(has_text="Logged: call.")).to_be_visible()
    activity = Activity.objects.get(deal=deal)
    assert (activity.kind, activity.subject) == ("call", "Budget approved")
    assert activity.done_at is not None
    # ... and the next step is asked for at once.
    expect(page.get_by_role("region", name="What's next for Initech renewal?")).to_be_visible()
    # Nothing on the page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_note_without_a_subject_is_two_taps(logged_in_page, live_server, browser_company):
    company = browser_company
    deal = make_deal(company.rep1, company.sales, title="Hooli pilot")
    page: Page = logged_in_page(company.rep1)
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    tap = Taps()

    tap(page.get_by_role("button", name="Log note"))
    with page.expect_response(is_post_to(f"/deals/{deal.pk}/activities/")) as sent:
        tap(page.get_by_role("button", name="Log as done"))

    assert sent.value.ok
    assert tap.count == 2
    expect(page.get_by_role("status").filter(has_text="Logged: note.")).to_be_visible()
    assert Activity.objects.get(deal=deal).subject == "Note"


def test_done_on_my_activities_asks_for_the_next_step_and_schedules_it(
    logged_in_page, live_server, browser_company
):
    company = browser_company
    deal = make_deal(company.rep1, company.sales, title="Globex pilot")
    _planned(company, deal, "Ring Globex")
    page: Page = logged_in_page(company.rep1)
    page.goto(f"{live_server.url}/activities/?tab=overdue")
    tap = Taps()

    with page.expect_response(is_post_to("/done/")) as done:
        tap(page.get_by_role("button", name="Mark “Ring Globex” done"))
    assert done.value.ok
    prompt = page.get_by_role("region", name="What's next for Globex pilot?")
    expect(prompt).to_be_in_viewport()
    with page.expect_response(is_post_to(f"/deals/{deal.pk}/activities/")) as scheduled:
        tap(prompt.get_by_role("button", name=re.compile(r"^In 3 days")))

    assert scheduled.value.ok
    assert tap.count == 2
    expect(page.get_by_text("Scheduled: call.")).to_be_visible()
    expect(prompt).to_have_count(0)
    follow_up = Activity.objects.get(deal=deal, done_at__isnull=True)
    due = timezone.localtime(follow_up.due_at)
    assert due.date() == timezone.localdate() + datetime.timedelta(days=3)
    assert (due.hour, due.minute) == (9, 0)
    assert follow_up.subject == "Call"


def test_done_on_the_deal_page_asks_for_the_next_step_or_none(
    logged_in_page, live_server, browser_company
):
    company = browser_company
    deal = make_deal(company.rep1, company.sales, title="Umbrella upgrade")
    _planned(company, deal, "Send the quote")
    page: Page = logged_in_page(company.rep1)
    page.goto(f"{live_server.url}/deals/{deal.pk}/")

    with page.expect_response(is_post_to("/done/")):
        page.get_by_role("button", name="Mark “Send the quote” done").tap()
    prompt = page.get_by_role("region", name="What's next for Umbrella upgrade?")
    expect(prompt).to_be_in_viewport()
    prompt.get_by_label("Follow-up").select_option("meeting")
    prompt.get_by_label("Topic").fill("Kick-off")
    with page.expect_response(is_post_to(f"/deals/{deal.pk}/activities/")):
        prompt.get_by_role("button", name=re.compile(r"^Tomorrow")).tap()

    expect(page.get_by_role("status").filter(has_text="Scheduled: meeting.")).to_be_visible()
    follow_up = Activity.objects.get(deal=deal, done_at__isnull=True)
    assert (follow_up.kind, follow_up.subject) == ("meeting", "Kick-off")
    due = timezone.localtime(follow_up.due_at)
    assert due.date() == timezone.localdate() + datetime.timedelta(days=1)

    # Once more, and this time there is no next step: the prompt just goes away.
    with page.expect_response(is_post_to("/done/")):
        page.get_by_role("button", name="Mark “Kick-off” done").tap()
    prompt = page.get_by_role("region", name="What's next for Umbrella upgrade?")
    expect(prompt).to_be_visible()
    prompt.get_by_role("link", name="No next step").tap()
    expect(prompt).to_have_count(0)
    assert not Activity.objects.filter(deal=deal, done_at__isnull=True).exists()
