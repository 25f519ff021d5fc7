"""A custom-field checklist item blocks a drag, then the refused-move dialog completes it and
moves the card, in headless Chromium against the live server (docs/domain/checklists.md,
"Custom-field items in the dialog")."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from deals.models import Deal, MoveRefusal
from pipelines.models import ChecklistItem, CustomField
from tests.browser.helpers import drag, is_post_to
from tests.factories import make_custom_field, make_item

pytestmark = [
    pytest.mark.browser,
    pytest.mark.browser_context_args(viewport={"width": 1920, "height": 1000}),
]


def custom_item(stage, field, condition, operand, text):
    return make_item(
        stage,
        ChecklistItem.Kind.EXIT,
        text=text,
        satisfied_by=ChecklistItem.SatisfiedBy.CUSTOM_FIELD,
        custom_field=field,
        condition=condition,
        condition_value=operand,
    )


def test_a_rep_completes_a_yes_no_and_an_amount_in_the_dialog_and_the_card_moves(
    logged_in_page, live_server, board
):
    company, prospecting, qualification = board.company, board.prospecting, board.qualification
    confirmed = make_custom_field("Budget confirmed", CustomField.Type.YES_NO)
    budget = make_custom_field("Budget", CustomField.Type.MONEY)
    custom_item(prospecting, confirmed, "yes", None, "Budget signed off")
    amount_item = custom_item(prospecting, budget, "at_least", "10000", "Budget big enough")
    page = logged_in_page(company.rep1)
    page.goto(f"{live_server.url}/pipelines/{company.sales.pk}/board/")
    acme = page.locator(f"#deal-{board.acme.pk}")
    prospecting_cards = page.locator(f"#cards-{prospecting.pk}")
    qualification_cards = page.locator(f"#cards-{qualification.pk}")

    with page.expect_response(is_post_to("/move/")) as refused:
        drag(page, acme, qualification_cards)
    assert refused.value.status == 409

    # The card snaps back; the dialog asks for a yes and an amount with its bound.
    expect(prospecting_cards.locator(acme)).to_have_count(1)
    dialog = page.get_by_role("dialog", name=re.compile("can move to Qualification"))
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text("Budget big enough")).to_be_visible()
    yes = dialog.get_by_label("Budget confirmed is yes")
    amount = dialog.get_by_label("Budget — at least €10,000")
    expect(yes).not_to_be_checked()
    yes.check()
    amount.fill("9,500")

    # Too small: refused inside the dialog, which keeps what was typed.
    with page.expect_response(is_post_to("/move/")) as too_small:
        dialog.get_by_role("button", name="Complete and move").click()
    assert too_small.value.status == 409
    status = dialog.get_by_role("alert")
    expect(status).to_contain_text("This required step is still not done:")
    expect(status).to_contain_text("Budget big enough")
    expect(dialog.get_by_text("Still needed: Budget is at least €10,000.")).to_be_visible()
    amount = dialog.get_by_label("Budget — at least €10,000")
    expect(amount).to_have_value("9,500")
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(dialog.get_by_label("Budget confirmed is yes")).to_be_checked()
    assert Deal.objects.get(pk=board.acme.pk).custom_fields == {}
    retried = MoveRefusal.objects.filter(deal=board.acme).order_by("pk").last()
    assert list(retried.missing_items.all()) == [amount_item]

    # Enough: saved and moved in one step.
    amount.fill("12,500")
    with page.expect_response(is_post_to("/move/")) as moved:
        dialog.get_by_role("button", name="Complete and move").click()
    assert moved.value.status == 200
    expect(dialog).to_be_hidden()
    expect(qualification_cards.locator(acme)).to_have_count(1)
    deal = Deal.objects.get(pk=board.acme.pk)
    assert deal.stage_id == qualification.pk
    assert deal.custom_fields == {"budget_confirmed": True, "budget": "12500"}
    assert deal.value == Decimal(3000)


def _fill_text(dialog, label, value):
    dialog.get_by_label(label).fill(value)


def _select(dialog, label, value):
    dialog.get_by_label(label, exact=True).select_option(label=value)


def _tick(dialog, label, value):
    dialog.get_by_role("group", name=label).get_by_label(value, exact=True).check()


# Type, condition, operand, the label of the dialog's input, how to fill it, with what,
# and what the deal then holds. (Yes/no and money are in the test above.)
EVERY_OTHER_TYPE = [
    (CustomField.Type.TEXT, "filled", None, "Competitor note", _fill_text, "Cheaper", "Cheaper"),
    (CustomField.Type.LONG_TEXT, "filled", None, "Background", _fill_text, "A story", "A story"),
    (CustomField.Type.NUMBER, "at_least", "12", "Term — at least 12", _fill_text, "24", "24"),
    (
        CustomField.Type.DATE,
        "at_most",
        "2027-06-30",
        "Deadline — at most",
        _fill_text,
        "2027-03-31",
        "2027-03-31",
    ),
    (
        CustomField.Type.SINGLE_CHOICE,
        "one_of",
        ["acme"],
        "Competitor",
        _select,
        "Acme",
        "acme",
    ),
    (
        CustomField.Type.MULTIPLE_CHOICE,
        "one_of",
        ["erp"],
        "Products",
        _tick,
        "ERP (meets the rule)",
        ["erp"],
    ),
    (CustomField.Type.USER, "filled", None, "Contact", _select, "Rep2 Test", "rep2"),
    (
        CustomField.Type.URL,
        "filled",
        None,
        "Tender page",
        _fill_text,
        "example.com/t",
        "https://example.com/t",
    ),
]


@pytest.mark.parametrize(
    ("type_", "condition", "operand", "label", "fill", "typed", "stored"), EVERY_OTHER_TYPE
)
def test_every_other_type_blocks_the_drag_then_is_completed_in_the_dialog(
    logged_in_page, live_server, board, type_, condition, operand, label, fill, typed, stored
):
    company, prospecting, qualification = board.company, board.prospecting, board.qualification
    name = label.split(" — ")[0]
    field = make_custom_field(name, type_, options=("Acme", "Globex", "ERP", "CRM"))
    custom_item(prospecting, field, condition, operand, f"{name} known")
    page = logged_in_page(company.rep1)
    page.goto(f"{live_server.url}/pipelines/{company.sales.pk}/board/")
    acme = page.locator(f"#deal-{board.acme.pk}")

    with page.expect_response(is_post_to("/move/")) as refused:
        drag(page, acme, page.locator(f"#cards-{qualification.pk}"))
    assert refused.value.status == 409
    dialog = page.get_by_role("dialog", name=re.compile("can move to Qualification"))
    expect(dialog.get_by_text(f"{name} known")).to_be_visible()
    fill(dialog, label, typed)
    with page.expect_response(is_post_to("/move/")) as moved:
        dialog.get_by_role("button", name="Complete and move").click()
    assert moved.value.status == 200

    expect(page.locator(f"#cards-{qualification.pk}").locator(acme)).to_have_count(1)
    deal = Deal.objects.get(pk=board.acme.pk)
    assert deal.stage_id == qualification.pk
    if stored == "rep2":
        stored = company.rep2.pk
    assert deal.custom_fields == {field.key: stored}
