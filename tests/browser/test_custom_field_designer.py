"""Custom field definitions in headless Chromium (docs/domain/custom-fields.md,
docs/domain/admin-pages.md): an admin creates a choice field from the list page (the
options box shows for choice types only), reorders its options on the field's page, and
adds a checklist item that the field satisfies on a stage's page, where the form offers
only the conditions that fit the chosen field and the one operand input that applies. On a
phone the custom field pages fit the screen.

Elements are found by role and label, as a user would; waits are on server responses or
DOM conditions, never a sleep.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from pipelines.models import ChecklistItem, CustomField
from tests.browser.helpers import assert_pages_fit, is_post_to
from tests.browser.phone import PHONE
from tests.factories import make_custom_field

DESKTOP = pytest.mark.browser_context_args(viewport={"width": 1600, "height": 1200})
pytestmark = [pytest.mark.browser]


def _offered(select) -> list[str]:
    """The options of a select a user can pick (designer.js hides those that do not fit)."""
    return select.evaluate(
        "s => Array.from(s.options).filter(o => o.value && !o.hidden).map(o => o.value)"
    )


@DESKTOP
def test_admin_defines_a_choice_field_and_a_checklist_item_it_satisfies(
    logged_in_page, live_server, browser_company
):
    company = browser_company
    make_custom_field("Budget", CustomField.Type.MONEY)
    page: Page = logged_in_page(company.admin)

    # The list page: the options box appears once a choice type is chosen.
    page.goto(f"{live_server.url}{reverse('crm_admin:custom-fields')}")
    creating = page.locator("form[data-field-form]")
    creating.get_by_label("Name").fill("Competitor")
    creating.get_by_label("On the deals of").select_option(label="Sales")
    options = creating.get_by_label("Options")
    expect(options).to_be_hidden()
    creating.get_by_label("Type").select_option(label="Single choice")
    expect(options).to_be_visible()
    options.fill("Acme\nGlobex\nInitech")
    creating.get_by_role("button", name="Create field").click()

    # The field's page: Initech moves up without a page load.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Competitor")
    expect(page.get_by_role("status").first).to_contain_text("Field “Competitor” created")
    with page.expect_response(is_post_to("/shift/")) as moved:
        page.get_by_role("button", name="Move Initech up").click()
    assert moved.value.ok
    rows = page.get_by_role("region", name="Options").get_by_role("listitem")
    expect(rows.nth(1)).to_have_attribute("aria-label", "Initech")
    field = CustomField.objects.get(key="competitor")
    offered = field.options.order_by("position").values_list("key", flat=True)
    assert list(offered) == ["acme", "initech", "globex"]

    # A stage's page: an exit item satisfied by the field.
    stage = company.stages[1]
    page.goto(f"{live_server.url}{reverse('crm_admin:stage', args=[stage.pk])}")
    adding = page.get_by_role("form", name=f"Add an exit item to {stage.name}")
    adding.get_by_label("Text", exact=True).fill("Competition known")
    custom = adding.get_by_label("Custom field")
    expect(custom).to_be_hidden()
    adding.get_by_label("Done when").select_option(label="A custom field meets a condition")
    expect(custom).to_be_visible()
    condition = adding.get_by_label("Condition")
    custom.select_option(label="Budget (Money)")
    assert _offered(condition) == ["filled", "at_least", "at_most"]
    condition.select_option("at_least")
    expect(adding.get_by_label("Number")).to_be_visible()
    expect(adding.get_by_label("Date")).to_be_hidden()
    custom.select_option(label="Competitor (Single choice)")
    assert _offered(condition) == ["filled", "one_of"]
    expect(adding.get_by_label("Number")).to_be_hidden()
    condition.select_option("one_of")
    adding.get_by_label("Globex").check()
    adding.get_by_label("Acme").check()
    with page.expect_response(is_post_to("/items/new/")) as added:
        adding.get_by_role("button", name="Add item").click()
    assert added.value.ok

    exit_list = page.get_by_role("region", name=f"Exit checklist of {stage.name}")
    row = exit_list.get_by_role("listitem", name="Competition known")
    expect(row).to_contain_text("when met: Competitor is one of: Acme, Globex")
    item = ChecklistItem.objects.get(text="Competition known")
    assert (item.custom_field, item.condition, item.condition_value) == (
        field,
        "one_of",
        ["acme", "globex"],
    )


@pytest.mark.browser_context_args(**PHONE)
def test_the_custom_field_pages_fit_a_phone(logged_in_page, live_server, browser_company):
    company = browser_company
    field = make_custom_field(
        "Competitor with a rather long name for a small screen",
        CustomField.Type.MULTIPLE_CHOICE,
        pipeline=company.sales,
        options=("Acme", "Globex", "Initech"),
        key="competitor",
    )
    page = logged_in_page(company.admin)

    assert_pages_fit(
        page,
        live_server.url,
        {
            "list": reverse("crm_admin:custom-fields"),
            "filtered list": f"{reverse('crm_admin:custom-fields')}?pipeline={company.sales.pk}",
            "field page": reverse("crm_admin:custom-field", args=[field.pk]),
            "stage page": reverse("crm_admin:stage", args=[company.stages[1].pk]),
        },
        390,
    )
