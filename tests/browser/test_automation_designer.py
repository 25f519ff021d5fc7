"""The automation designer in Chromium: the stage page loads the section, the form shows
only the chosen action's fields (docs/domain/webhooks.md, "Designer")."""

import pytest
from playwright.sync_api import Page, expect

from integrations.models import StageAutomation

pytestmark = pytest.mark.browser


def test_an_admin_adds_a_probability_automation_from_the_stage_page(
    logged_in_page, live_server, browser_company
):
    company = browser_company
    stage = company.stages[5]  # Contract sent
    page: Page = logged_in_page(company.admin)
    page.goto(f"{live_server.url}/admin/stages/{stage.pk}/")

    section = page.locator("section#automations")
    expect(section.get_by_text("No automation for this stage yet.")).to_be_visible()
    section.get_by_role("link", name="Add an automation").click()

    subject = page.get_by_label("Subject")
    expect(subject).to_be_visible()  # the first action, "Create an activity", is chosen
    page.get_by_label("When a deal enters this stage").select_option("set_probability")
    expect(subject).to_be_hidden()
    page.get_by_label("Probability (%)").fill("95")
    page.get_by_role("button", name="Add automation").click()

    expect(page).to_have_url(f"{live_server.url}/admin/stages/{stage.pk}/#automations")
    row = page.locator("section#automations li").first
    expect(row).to_contain_text("Set the deal's probability")
    expect(row).to_contain_text("95 %")
    automation = StageAutomation.objects.get()
    assert (automation.stage_id, automation.probability) == (stage.pk, 95)
