"""A stage automation, end to end: a rep drags a card in Chromium, the move rings the
dispatcher, a real Celery worker runs it, and the automation's activity is on the deal
(docs/domain/webhooks.md, "Stage automations")."""

import pytest
from playwright.sync_api import Page, expect

from deals.models import Activity, DealEvent
from integrations.models import StageAutomation
from pipelines.models import ActivityKind
from tests.browser.helpers import drag, is_post_to
from tests.fixtures_celery import wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.browser_context_args(viewport={"width": 1920, "height": 1000}),
]


def test_dragging_a_card_into_a_stage_runs_its_automation(
    celery_worker, logged_in_page, live_server, board
):
    company = board.company
    demo = company.stages[2]  # Meeting/Demo
    automation = StageAutomation.objects.create(
        stage=demo,
        action=StageAutomation.Action.CREATE_ACTIVITY,
        activity_kind=ActivityKind.CALL,
        activity_subject="Book the demo room",
        due_in_business_days=1,
    )
    page: Page = logged_in_page(company.rep1)
    page.goto(f"{live_server.url}/pipelines/{company.sales.pk}/board/")
    initech = page.locator(f"#deal-{board.initech.pk}")
    expect(initech).to_be_visible()

    with page.expect_response(is_post_to("/move/")) as moved:
        drag(page, initech, page.locator(f"#cards-{demo.pk}"))
    assert moved.value.status == 200

    activity = wait_for(
        lambda: Activity.objects.filter(deal=board.initech, subject="Book the demo room").first(),
        what="the automation's activity",
    )
    assert activity.owner == company.rep1
    assert activity.kind == ActivityKind.CALL
    assert activity.done_at is None
    logged = DealEvent.objects.get(deal=board.initech, kind=DealEvent.Kind.ACTIVITY_LOGGED)
    assert logged.data["automation"]["id"] == automation.pk

    # The deal page's timeline names the automation as the one who scheduled the call.
    page.goto(f"{live_server.url}/deals/{board.initech.pk}/")
    expect(
        page.get_by_text("Automation “Meeting/Demo: Book the demo room” scheduled a call")
    ).to_be_visible()
    # An automation never moves the deal: it stays where the rep dropped it.
    board.initech.refresh_from_db()
    assert board.initech.stage_id == demo.pk
