"""The deal page as a dialog over the board (docs/domain/board.md), in headless Chromium.

The journey: on the board, click a card's title, the deal opens over the board; log a call
from it; the call appears at the top of the deal's timeline and the deal shows when it was
last worked on. A stage clicked on the path whose checklist is incomplete opens the board's
checklist dialog over the deal; completing it moves the deal and refreshes the dialog.
Every wait is on a server response or a DOM condition, never a sleep.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from deals.models import Activity, ChecklistCheck, Deal
from pipelines.models import ChecklistItem
from tests.factories import make_deal, make_item

pytestmark = [
    pytest.mark.browser,
    pytest.mark.browser_context_args(viewport={"width": 1600, "height": 1000}),
]


def _open_from_board(page: Page, live_server, deal: Deal):
    page.goto(f"{live_server.url}/pipelines/{deal.pipeline_id}/board/")
    with page.expect_response(lambda r: r.url.endswith(f"/deals/{deal.pk}/dialog/")):
        page.locator(f"#deal-{deal.pk}").get_by_role("link", name=deal.title).click()
    dialog = page.get_by_role("dialog", name=deal.title)
    expect(dialog).to_be_visible()
    return dialog


def _move_to_qualification_through_the_checklist(page: Page, deal_view, deal: Deal) -> None:
    """Click Qualification on the deal's stage path (refused: "Budget confirmed" is
    missing), tick it in the checklist dialog and complete the move."""
    with page.expect_response(lambda r: r.url.endswith(f"/deals/{deal.pk}/stage/")) as refused:
        deal_view.get_by_role("button", name="Move to Qualification").click()
    assert refused.value.status == 409
    checklist = page.get_by_role("dialog", name=re.compile("can move to Qualification"))
    expect(checklist).to_be_visible()

    checklist.get_by_label("Budget confirmed").check()
    with page.expect_response(lambda r: r.url.endswith(f"/deals/{deal.pk}/move/")) as moved:
        checklist.get_by_role("button", name="Complete and move").click()
    assert moved.value.ok
    expect(checklist).to_have_count(0)


def test_a_rep_opens_a_deal_from_the_board_and_logs_a_call_from_the_dialog(
    logged_in_page, live_server, browser_company
):
    company = browser_company
    deal = make_deal(company.rep1, company.sales, title="Acme expansion")
    page = logged_in_page(company.rep1)

    dialog = _open_from_board(page, live_server, deal)
    expect(dialog.get_by_role("heading", name="Acme expansion")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/board/$"))  # still on the board, behind it

    dialog.get_by_label("Kind").select_option("call")
    dialog.get_by_label("Subject").fill("Intro call with Jane")
    dialog.get_by_label("Notes (optional)").fill("Budget approved for Q3")
    with page.expect_response(lambda r: r.url.endswith(f"/deals/{deal.pk}/activities/")) as sent:
        dialog.get_by_role("button", name="Log as done").click()
    assert sent.value.ok

    timeline = dialog.get_by_role("list", name="Timeline, newest first")
    newest = timeline.get_by_role("listitem").first
    expect(newest).to_contain_text("Rep1 Test logged a call: “Intro call with Jane”.")
    expect(newest).to_contain_text("Budget approved for Q3")
    expect(dialog.get_by_role("status")).to_contain_text("Logged: call.")
    activity = Activity.objects.get(deal=deal)
    assert activity.done_at is not None
    assert Deal.objects.get(pk=deal.pk).last_activity_at == activity.done_at

    # Closing the dialog shows the board again, refreshed.
    dialog.get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator(f"#deal-{deal.pk}")).to_be_visible()


def test_a_refused_stage_click_opens_the_checklist_over_the_deal_and_completes_the_move(
    logged_in_page, live_server, browser_company
):
    company = browser_company
    item = make_item(company.stages[0], ChecklistItem.Kind.EXIT, text="Budget confirmed")
    deal = make_deal(company.rep1, company.sales, title="Globex pilot")
    page = logged_in_page(company.rep1)
    dialog = _open_from_board(page, live_server, deal)

    _move_to_qualification_through_the_checklist(page, dialog, deal)

    deal_dialog = page.get_by_role("dialog", name="Globex pilot")
    expect(deal_dialog).to_be_visible()  # the deal stays open, refreshed
    current = deal_dialog.get_by_role("navigation", name="Stages of Sales").locator(
        "[aria-current=step]"
    )
    expect(current).to_contain_text("Qualification")
    expect(deal_dialog.get_by_role("list", name="Timeline, newest first")).to_contain_text(
        "moved the deal from Prospecting to Qualification"
    )
    assert ChecklistCheck.objects.filter(deal=deal, item=item).exists()
    assert Deal.objects.get(pk=deal.pk).stage == company.stages[1]


def test_on_the_deal_page_the_checklist_dialog_moves_the_deal_without_console_errors(
    logged_in_page, live_server, browser_company
):
    company = browser_company
    item = make_item(company.stages[0], ChecklistItem.Kind.EXIT, text="Budget confirmed")
    deal = make_deal(company.rep1, company.sales, title="Initech renewal")
    page = logged_in_page(company.rep1)
    errors = []
    # The refused click answers 409 by design, which Chromium logs; anything else counts.
    expected = "the server responded with a status of 409"
    page.on(
        "console",
        lambda m: m.type == "error" and expected not in m.text and errors.append(m.text),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/deals/{deal.pk}/")

    _move_to_qualification_through_the_checklist(page, page, deal)

    current = page.get_by_role("navigation", name="Stages of Sales").locator("[aria-current=step]")
    expect(current).to_contain_text("Qualification")
    assert ChecklistCheck.objects.filter(deal=deal, item=item).exists()
    assert errors == []
