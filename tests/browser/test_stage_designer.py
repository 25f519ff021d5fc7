"""The stage designer in headless Chromium
(docs/domain/admin-pages.md): an admin drags a stage to a new
place and adds a required checklist item; a rep then finds both on the board — the new
column order, and a forward move refused with the dialog naming the new item.

Elements are found by role, label and title, as a user would; waits are on server
responses or DOM conditions, never a sleep.
"""

import pytest
from playwright.sync_api import Page, expect

from pipelines.models import ChecklistItem, Stage
from tests.browser.helpers import drag, is_post_to
from tests.factories import make_deal

pytestmark = [
    pytest.mark.browser,
    pytest.mark.browser_context_args(viewport={"width": 1920, "height": 1400}),
]


def stage_row(page: Page, name: str):
    return page.get_by_role("list", name="Stages of Sales").get_by_role(
        "listitem", name=name, exact=True
    )


def test_admin_reorders_stages_and_adds_a_required_item_that_the_board_enforces(
    logged_in_page, live_server, browser_company
):
    company = browser_company
    prospecting, meeting = company.stages[0], company.stages[2]
    deal = make_deal(company.rep1, company.sales, prospecting, title="Acme pilot")

    # The admin drags Qualification above Prospecting by its handle.
    page = logged_in_page(company.admin)
    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("navigation", name="Admin sections").get_by_role(
        "link", name="Pipelines"
    ).click()
    page.get_by_role("link", name="Sales", exact=True).click()
    moving = stage_row(page, "Qualification")
    with page.expect_response(is_post_to("/stages/order/")) as reorder:
        drag(
            page,
            moving,
            stage_row(page, "Prospecting"),
            grip=moving.get_by_title("Drag to reorder"),
        )
    assert reorder.value.ok
    headings = page.get_by_role("list", name="Stages of Sales").get_by_role("heading", level=3)
    expect(headings.first).to_have_text("Qualification")
    expect(page.get_by_role("status")).to_contain_text("Stage order saved.")
    order = Stage.objects.filter(pipeline=company.sales).order_by("position")
    assert list(order.values_list("name", flat=True)[:3]) == [
        "Qualification",
        "Prospecting",
        "Meeting/Demo",
    ]

    # ... and adds a required entry item to Meeting/Demo.
    adding = stage_row(page, "Meeting/Demo").get_by_role(
        "group", name="Add a checklist item to Meeting/Demo"
    )
    adding.get_by_label("List").select_option(label="Entry")
    adding.get_by_label("Text", exact=True).fill("Budget confirmed")
    expect(adding.get_by_label("Required")).to_be_checked()
    expect(adding.get_by_label("Deal field")).to_be_hidden()  # only for field items
    with page.expect_response(is_post_to("/items/new/")) as added:
        adding.get_by_role("button", name="Add item").click()
    assert added.value.ok
    entry_list = stage_row(page, "Meeting/Demo").get_by_role(
        "region", name="Entry checklist of Meeting/Demo"
    )
    expect(entry_list.get_by_role("listitem", name="Budget confirmed")).to_be_visible()
    item = ChecklistItem.objects.get(text="Budget confirmed")
    assert (item.stage_id, item.kind, item.is_required) == (meeting.pk, "entry", True)

    # The rep's board: the new order, and moving forward into Meeting/Demo is refused.
    page = logged_in_page(company.rep1)
    page.goto(f"{live_server.url}/pipelines/{company.sales.pk}/board/")
    expect(page.locator(".column h2").first).to_have_text("Qualification")
    card = page.locator(f"#deal-{deal.pk}")
    with page.expect_response(is_post_to(f"/deals/{deal.pk}/move/")) as move:
        drag(page, card, page.locator(f"#cards-{meeting.pk}"))
    assert move.value.status == 409
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Before “Acme pilot” can move to Meeting/Demo")
    expect(dialog.get_by_role("checkbox", name="Budget confirmed")).to_be_visible()
    expect(page.locator(f"#cards-{prospecting.pk}").locator(f"#deal-{deal.pk}")).to_be_visible()
    deal.refresh_from_db()
    assert deal.stage_id == prospecting.pk
