"""The webhook admin pages in Chromium: creating one by keyboard with an "All of …" box,
revealing the secret, Redeliver from the log; and the pages fit a phone with the log's
table stacked (docs/domain/webhooks.md, "Admin page and API"; docs/domain/phone.md)."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from integrations.models import WebhookDelivery, WebhookSubscription
from tests.browser.helpers import assert_pages_fit
from tests.browser.phone import PHONE

pytestmark = pytest.mark.browser

PUBLIC_URL = "https://93.184.216.34/hooks/crm"


@pytest.fixture
def hook(browser_company):
    subscription = WebhookSubscription.objects.create(
        name="Billing",
        url=PUBLIC_URL + "/a-rather-long-path/that-must-wrap-on-a-phone?token=abcdef",
        events=["deal.won"],
    )
    WebhookDelivery.objects.create(
        subscription=subscription,
        event_type="deal.won",
        payload={"type": "deal.won", "data": {"note": "x" * 300}},
        status=WebhookDelivery.Status.FAILED,
        attempts=3,
        response_code=503,
        latency_ms=120,
        error="HTTP 503 Service Unavailable",
    )
    return subscription


def test_an_admin_creates_a_webhook_by_keyboard_with_a_whole_group(
    logged_in_page, live_server, browser_company
):
    page = logged_in_page(browser_company.admin)
    page.goto(f"{live_server.url}{reverse('crm_admin:webhook-create')}")

    page.get_by_label("Name").fill("ERP")
    page.get_by_label("Target URL").fill(PUBLIC_URL)
    all_deals = page.get_by_label("All of “Deals”")
    all_deals.focus()
    page.keyboard.press("Space")
    # The script ticks the group's boxes; unticking one unticks "all".
    expect(page.get_by_label("Deal won")).to_be_checked()
    page.get_by_label("Deal stalled").uncheck()
    expect(all_deals).not_to_be_checked()
    page.get_by_label("Activity done").check()
    page.get_by_role("button", name="Create webhook").press("Enter")

    expect(page.get_by_role("heading", level=1)).to_contain_text("ERP")
    subscription = WebhookSubscription.objects.get(name="ERP")
    assert subscription.events == [
        "deal.created",
        "deal.updated",
        "deal.moved",
        "deal.won",
        "deal.lost",
        "deal.reopened",
        "activity.done",
    ]
    secret = page.locator("#webhook-secret-value")
    expect(secret).to_be_hidden()
    page.get_by_text("Show secret").focus()
    page.keyboard.press("Enter")
    expect(secret).to_have_text(subscription.secret)


def test_redeliver_from_the_log(logged_in_page, live_server, browser_company, hook):
    delivery = hook.deliveries.get()
    page = logged_in_page(browser_company.admin)
    page.goto(f"{live_server.url}{reverse('crm_admin:webhook', args=[hook.pk])}")

    page.get_by_role("button", name=re.compile("Redeliver the event of")).click()

    expect(page.get_by_role("status")).to_contain_text("Delivery queued again")
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING
    # Pending: it is being sent, so the row offers no Redeliver now.
    expect(page.locator(f"#redeliver-{delivery.pk}")).to_have_count(0)


@pytest.mark.browser_context_args(**PHONE)
def test_the_webhook_pages_fit_a_phone(logged_in_page, live_server, browser_company, hook):
    delivery = hook.deliveries.get()
    page = logged_in_page(browser_company.admin)
    paths = {
        "list": reverse("crm_admin:webhooks"),
        "form": reverse("crm_admin:webhook-edit", args=[hook.pk]),
        "subscription": reverse("crm_admin:webhook", args=[hook.pk]),
        "delivery": reverse("crm_admin:webhook-delivery", args=[delivery.pk]),
    }
    assert_pages_fit(page, live_server.url, paths, 390)
    page.goto(f"{live_server.url}{paths['subscription']}")
    row = page.locator(f"#delivery-{delivery.pk}")
    expect(row.locator('td[data-label="Status"]')).to_have_text(re.compile("Failed"))
    expect(row.locator('td[data-label="Response"]')).to_have_text("503")
