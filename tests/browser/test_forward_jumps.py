"""A jump over stages on a strict pipeline, in headless Chromium (docs/domain/moves.md;
docs/hardening/forward-jumps.md): the refused drag snaps back, the dialog lists what is
missing grouped by stage, and completing it moves the card in one step."""

import re

import pytest
from playwright.sync_api import expect

from pipelines.models import ChecklistItem, Pipeline
from tests.browser.helpers import drag, is_post_to
from tests.factories import make_deal, make_item, make_pipeline

pytestmark = [
    pytest.mark.browser,
    pytest.mark.browser_context_args(viewport={"width": 1920, "height": 1000}),
]
EXIT, ENTRY = ChecklistItem.Kind.EXIT, ChecklistItem.Kind.ENTRY


def test_a_drag_over_two_stages_lists_their_items_by_stage_and_completes_them(
    logged_in_page, live_server, browser_company
):
    company = browser_company
    pipeline = make_pipeline("Strict sales", forward_jumps=Pipeline.ForwardJumps.STRICT)
    prospecting, qualification, meeting, proposal, *_ = pipeline.stages.order_by("position")
    steps = {
        "Prospecting": [make_item(prospecting, EXIT, text="First call held")],
        "Qualification": [
            make_item(qualification, ENTRY, text="Lead scored"),
            make_item(qualification, EXIT, text="Need confirmed"),
        ],
        "Meeting/Demo": [make_item(meeting, EXIT, text="Demo given")],
        "Proposal": [make_item(proposal, ENTRY, text="Budget confirmed")],
    }
    make_item(proposal, EXIT, text="Proposal sent")  # the target's exit: not asked
    deal = make_deal(company.rep1, pipeline, prospecting, title="Acme pilot")
    page = logged_in_page(company.rep1)
    page.goto(f"{live_server.url}/pipelines/{pipeline.pk}/board/")
    expect(page.get_by_role("heading", name=pipeline.name, level=1)).to_be_visible()
    acme = page.locator(f"#deal-{deal.pk}")

    with page.expect_response(is_post_to("/move/")) as refused:
        drag(page, acme, page.locator(f"#cards-{proposal.pk}"))
    assert refused.value.status == 409

    expect(page.locator(f"#cards-{prospecting.pk}").locator(acme)).to_have_count(1)
    dialog = page.get_by_role("dialog", name=re.compile("can move to Proposal"))
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", level=3)).to_have_text(list(steps))
    for stage_name, items in steps.items():
        group = dialog.get_by_role("region", name=stage_name)
        for item in items:
            group.get_by_label(item.text).check()
    expect(dialog).not_to_contain_text("Proposal sent")

    with page.expect_response(is_post_to("/move/")) as moved:
        dialog.get_by_role("button", name="Complete and move").click()
    assert moved.value.status == 200

    expect(dialog).to_be_hidden()
    expect(page.locator(f"#cards-{proposal.pk}").locator(acme)).to_have_count(1)
    deal.refresh_from_db()
    assert deal.stage == proposal
    assert deal.checks.count() == sum(len(items) for items in steps.values())
