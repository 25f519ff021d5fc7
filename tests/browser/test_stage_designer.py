"""The stage designer in headless Chromium
(docs/domain/admin-pages.md): an admin drags a stage to a new place on the pipeline's page,
opens a stage's own page and adds a required checklist item in the add row at the end of
its entry list; a rep then finds both on the board — the new column order, and a forward
move refused with the dialog naming the new item. Items are edited in place: "Edit" turns
the row into a form, Save turns it back, Escape cancels. On a phone the stage page fits
the screen and works by touch.

Elements are found by role, label and title, as a user would; waits are on server
responses or DOM conditions, never a sleep.
"""

import pytest
from playwright.sync_api import Page, expect

from accounts.models import AuditEntry
from pipelines.models import ChecklistItem, Stage
from tests.browser.helpers import drag, is_post_to
from tests.browser.phone import PHONE
from tests.factories import make_deal, make_item

DESKTOP = pytest.mark.browser_context_args(viewport={"width": 1920, "height": 1400})
pytestmark = [pytest.mark.browser]


def stage_row(page: Page, name: str):
    return page.get_by_role("list", name="Stages of Sales").get_by_role(
        "listitem", name=name, exact=True
    )


@DESKTOP
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
    expect(stage_row(page, "Meeting/Demo")).to_contain_text("0 entry items · 0 exit items")

    # ... opens Meeting/Demo's page and adds a required entry item in the entry list's add row.
    stage_row(page, "Meeting/Demo").get_by_role("link", name="Meeting/Demo", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Meeting/Demo")
    adding = page.get_by_role("form", name="Add an entry item to Meeting/Demo")
    adding.get_by_label("Text", exact=True).fill("Budget confirmed")
    expect(adding.get_by_label("Required")).to_be_checked()
    expect(adding.get_by_label("Deal field")).to_be_hidden()  # only for field items
    with page.expect_response(is_post_to("/items/new/")) as added:
        adding.get_by_role("button", name="Add item").click()
    assert added.value.ok
    entry_list = page.get_by_role("region", name="Entry checklist of Meeting/Demo")
    expect(entry_list.get_by_role("listitem", name="Budget confirmed")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Entry item “Budget confirmed” added")
    # Focus is back in the add row, ready for the next item.
    expect(
        page.get_by_role("form", name="Add an entry item to Meeting/Demo").get_by_label(
            "Text", exact=True
        )
    ).to_be_focused()
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


@DESKTOP
def test_admin_edits_an_item_in_place_by_keyboard(logged_in_page, live_server, browser_company):
    company = browser_company
    stage = company.stages[1]
    item = make_item(stage, ChecklistItem.Kind.EXIT, text="Budget known")
    make_item(stage, ChecklistItem.Kind.EXIT, text="Need confirmed")

    page = logged_in_page(company.admin)
    page.goto(f"{live_server.url}/admin/stages/{stage.pk}/")
    exit_list = page.get_by_role("region", name="Exit checklist of Qualification")
    row = exit_list.get_by_role("listitem", name="Budget known")
    expect(row).to_contain_text("required")
    expect(row.get_by_role("textbox")).to_have_count(0)

    # Edit opens the row as a form with focus in its text; Escape gives the row back.
    row.get_by_role("link", name="Edit item Budget known").focus()
    page.keyboard.press("Enter")
    text = row.get_by_label("Text", exact=True)
    expect(text).to_be_focused()
    page.keyboard.press("Escape")
    expect(row.get_by_role("textbox")).to_have_count(0)
    expect(row.get_by_role("link", name="Edit item Budget known")).to_be_focused()

    # Edit again, change the text, the rule and the flag, save with Enter.
    page.keyboard.press("Enter")
    expect(text).to_be_focused()
    text.fill("Budget approved")
    row.get_by_label("Required").uncheck()
    row.get_by_label("Done when").select_option(label="A deal field is filled in")
    expect(row.get_by_label("Activity")).to_be_hidden()
    row.get_by_label("Deal field").select_option(label="Value")
    with page.expect_response(is_post_to(f"/items/{item.pk}/edit/")) as saved:
        text.press("Enter")
    assert saved.value.ok
    row = exit_list.get_by_role("listitem", name="Budget approved")
    expect(row).to_contain_text("optional")
    expect(row).to_contain_text("when filled in: Value")
    expect(row.get_by_role("link", name="Edit item Budget approved")).to_be_focused()
    expect(page.get_by_role("status")).to_contain_text("Checklist item “Budget approved” saved.")
    expect(page.locator("#history")).to_contain_text("Budget known → Budget approved")
    # Only that row changed: its neighbour and the add rows are as they were.
    expect(exit_list.get_by_role("listitem")).to_have_count(2)
    item.refresh_from_db()
    assert (item.text, item.is_required, item.satisfied_by, item.field_name) == (
        "Budget approved",
        False,
        "field",
        "value",
    )
    assert AuditEntry.objects.get(object_id=str(item.pk), action="edited").actor == company.admin


@pytest.mark.browser_context_args(**PHONE)
def test_the_stage_page_fits_a_phone_and_works_by_touch(
    logged_in_page, live_server, browser_company
):
    company = browser_company
    stage = company.stages[2]
    make_item(stage, ChecklistItem.Kind.ENTRY, text="Decision maker identified")

    page = logged_in_page(company.admin)
    page.goto(f"{live_server.url}/admin/pipelines/{company.sales.pk}/")
    no_sideways_scroll = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(no_sideways_scroll)
    stage_row(page, "Meeting/Demo").get_by_role("link", name="Meeting/Demo", exact=True).tap()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Meeting/Demo")
    assert page.evaluate(no_sideways_scroll)

    entry_list = page.get_by_role("region", name="Entry checklist of Meeting/Demo")
    row = entry_list.get_by_role("listitem", name="Decision maker identified")
    edit = row.get_by_role("link", name="Edit item Decision maker identified")
    assert edit.bounding_box()["height"] >= 44
    edit.tap()
    row.get_by_label("Text", exact=True).fill("Decision maker named")
    assert page.evaluate(no_sideways_scroll)
    with page.expect_response(is_post_to("/edit/")):
        row.get_by_role("button", name="Save item Decision maker identified").tap()
    expect(entry_list.get_by_role("listitem", name="Decision maker named")).to_be_visible()

    adding = page.get_by_role("form", name="Add an exit item to Meeting/Demo")
    adding.get_by_label("Text", exact=True).fill("Demo given")
    with page.expect_response(is_post_to("/items/new/")):
        adding.get_by_role("button", name="Add item").tap()
    exit_list = page.get_by_role("region", name="Exit checklist of Meeting/Demo")
    expect(exit_list.get_by_role("listitem", name="Demo given")).to_be_visible()
    assert page.evaluate(no_sideways_scroll)
    assert list(
        ChecklistItem.objects.filter(stage=stage).order_by("kind").values_list("kind", "text")
    ) == [("entry", "Decision maker named"), ("exit", "Demo given")]
