"""Webhook subscriptions on the admin pages and through their services: create, edit,
deactivate, rotate the secret, delete, every change audited without the secret; the URL
rules (https, no internal address); the delivery log with Redeliver, Send test event and
Resume (docs/domain/webhooks.md, "Admin page and API")."""

import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from integrations.models import EventType, StageAutomation, WebhookDelivery, WebhookSubscription
from integrations.services import (
    subscription_create,
    subscription_delete,
    subscription_rotate_secret,
    subscription_update,
)
from pipelinecrm.exceptions import Forbidden
from tests.factories import make_deal
from tests.helpers import assert_no_inline_script

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status
LIST = reverse("crm_admin:webhooks")
NEW = reverse("crm_admin:webhook-create")
ROW = re.compile(r'id="delivery-\d+"')
PUBLIC_URL = "https://93.184.216.34/hooks/crm"  # an IP literal: no DNS needed


def _post_form(client, to=NEW, **values):
    data = {"name": "Billing", "url": PUBLIC_URL, "pipeline": "", "events": []} | values
    return client.post(to, data)


def _page(client, subscription, **query) -> str:
    url = reverse("crm_admin:webhook", args=[subscription.pk])
    return client.get(url, query).content.decode()


def _audit(subscription, action: str) -> AuditEntry:
    return AuditEntry.objects.get(
        object_type="integrations.webhooksubscription",
        object_id=str(subscription.pk),
        action=action,
    )


def _subscription(**fields) -> WebhookSubscription:
    values = {"name": "Billing", "url": PUBLIC_URL, "events": ["deal.moved"]} | fields
    return WebhookSubscription.objects.create(**values)


def _delivery(subscription, **fields) -> WebhookDelivery:
    values = {
        "event_type": "deal.moved",
        "payload": {"type": "deal.moved", "deal": {"title": "<b>Acme</b>"}},
    } | fields
    return WebhookDelivery.objects.create(subscription=subscription, **values)


# -- creating and editing ------------------------------------------------------------------


def test_admin_creates_a_webhook_with_grouped_events_and_it_is_audited_without_the_secret(
    admin_client, company
):
    response = _post_form(
        admin_client,
        name="  Billing  ",
        pipeline=company.sales.pk,
        events=["deal.won", "deal.moved"],
        all_checklist="on",
    )

    subscription = WebhookSubscription.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("crm_admin:webhook", args=[subscription.pk])
    assert subscription.name == "Billing"
    assert subscription.url == PUBLIC_URL
    assert subscription.pipeline == company.sales
    # In the order of the event types; "all" of a group adds the whole group.
    assert subscription.events == [
        "deal.moved",
        "deal.won",
        "checklist.ticked",
        "checklist.unticked",
    ]
    assert subscription.is_active
    assert subscription.created_by == company.admin
    assert len(subscription.secret) >= 40
    entry = _audit(subscription, "created")
    assert entry.actor == company.admin
    assert entry.changes["url"] == PUBLIC_URL
    assert entry.changes["pipeline"] == "Sales"
    assert subscription.secret not in json.dumps(entry.changes)
    page = _page(admin_client, subscription)
    assert subscription.secret in page  # on the page, behind "Show secret"
    assert "Billing" in admin_client.get(LIST).content.decode()


def test_the_form_offers_the_events_in_groups_with_an_all_box(admin_client, company):
    response = admin_client.get(NEW)

    page = response.content.decode()
    assert response.status_code == 200
    assert_no_inline_script(response)
    for group in ("Deals", "Activities", "Checklists"):
        assert f"All of “{group}”" in page
    for value in EventType.values:
        assert f'value="{value}"' in page


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": ""}, "name", "A webhook needs a name."),
        ({"events": []}, "events", "Choose at least one event."),
        ({"url": "not a url"}, "url", "Give a full URL, starting with https://."),
        ({"url": "http://93.184.216.34/hook"}, "url", "https:// addresses only"),
        ({"url": "https://127.0.0.1:8443/hook"}, "url", "internal address"),
        ({"url": "https://10.1.2.3/hook"}, "url", "internal address"),
        ({"url": "https://[::1]/hook"}, "url", "internal address"),
        ({"url": "https://169.254.169.254/latest/meta-data"}, "url", "internal address"),
    ],
)
def test_the_form_refuses_what_the_service_refuses(admin_client, company, values, field, message):
    values.setdefault("events", ["deal.won"])

    response = _post_form(admin_client, **values)

    assert response.status_code == 422
    assert not WebhookSubscription.objects.exists()
    assert message in " ".join(response.context["form"].errors[field])


def test_http_and_private_targets_are_allowed_by_their_settings(admin_client, company, settings):
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_ALLOW_PRIVATE = True

    response = _post_form(admin_client, url="http://127.0.0.1:8000/hook", events=["deal.won"])

    assert response.status_code == 302
    assert WebhookSubscription.objects.get().url == "http://127.0.0.1:8000/hook"


def test_admin_edits_a_webhook_and_the_change_is_audited(admin_client, company):
    subscription = _subscription()
    url = reverse("crm_admin:webhook-edit", args=[subscription.pk])
    assert 'value="deal.moved"' in admin_client.get(url).content.decode()

    response = _post_form(
        admin_client,
        to=url,
        name="ERP",
        events=["deal.won", "deal.lost"],
        pipeline=company.private.pk,
    )

    subscription.refresh_from_db()
    assert response.status_code == 302
    assert (subscription.name, subscription.events, subscription.pipeline) == (
        "ERP",
        ["deal.won", "deal.lost"],
        company.private,
    )
    entry = _audit(subscription, "edited")
    assert entry.changes == {
        "name": ["Billing", "ERP"],
        "events": [["deal.moved"], ["deal.won", "deal.lost"]],
        "pipeline": ["all pipelines", "Renewals"],
    }


def test_editing_to_an_internal_address_is_refused_and_changes_nothing(admin_client, company):
    subscription = _subscription()
    url = reverse("crm_admin:webhook-edit", args=[subscription.pk])

    response = admin_client.post(
        url, {"name": "Billing", "url": "https://192.168.1.10/", "events": ["deal.moved"]}
    )

    assert response.status_code == 422
    subscription.refresh_from_db()
    assert subscription.url == PUBLIC_URL
    assert not AuditEntry.objects.filter(action="edited").exists()


def test_services_refuse_non_admins(company):
    with pytest.raises(Forbidden):
        subscription_create(actor=company.manager, name="x", url=PUBLIC_URL, events=["deal.won"])
    subscription = _subscription()
    with pytest.raises(Forbidden):
        subscription_update(
            actor=company.rep1,
            subscription=subscription,
            name="x",
            url=PUBLIC_URL,
            events=["deal.won"],
            pipeline=None,
        )
    with pytest.raises(Forbidden):
        subscription_rotate_secret(actor=company.rep1, subscription=subscription)
    with pytest.raises(Forbidden):
        subscription_delete(actor=company.rep1, subscription=subscription)
    assert WebhookSubscription.objects.get().name == "Billing"


# -- secret, state, delete -----------------------------------------------------------------


def test_rotating_the_secret_makes_a_new_one_and_audits_no_secret(admin_client, company):
    subscription = _subscription()
    old = subscription.secret

    response = admin_client.post(reverse("crm_admin:webhook-rotate", args=[subscription.pk]))

    subscription.refresh_from_db()
    assert response.status_code == 302
    assert subscription.secret != old
    entry = _audit(subscription, "secret rotated")
    assert old not in json.dumps(entry.changes)
    assert subscription.secret not in json.dumps(entry.changes)
    page = _page(admin_client, subscription)
    assert subscription.secret in page
    assert "rotated the secret of" in page


def test_deactivate_and_activate(admin_client, company, django_capture_on_commit_callbacks):
    subscription = _subscription()
    url = reverse("crm_admin:webhook-active", args=[subscription.pk])

    admin_client.post(url, {"is_active": "0"})
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert "Inactive" in admin_client.get(LIST).content.decode()

    with django_capture_on_commit_callbacks() as callbacks:
        admin_client.post(url, {"is_active": "1"})
    subscription.refresh_from_db()
    assert subscription.is_active
    assert len(callbacks) == 1  # the sender is woken for what waited
    assert _audit(subscription, "deactivated").changes == {"is_active": [True, False]}
    assert _audit(subscription, "reactivated").changes == {"is_active": [False, True]}


def test_delete_removes_the_log_and_the_automations_that_send_to_it(admin_client, company):
    subscription = _subscription()
    _delivery(subscription)
    StageAutomation.objects.create(
        stage=company.stages[1],
        action=StageAutomation.Action.SEND_WEBHOOK,
        subscription=subscription,
    )
    pk = subscription.pk

    response = admin_client.post(reverse("crm_admin:webhook-delete", args=[pk]))

    assert response.status_code == 302
    assert response.url == LIST
    assert not WebhookSubscription.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert not StageAutomation.objects.exists()
    entry = AuditEntry.objects.get(action="deleted", object_id=str(pk))
    assert entry.object_repr == "Billing"
    assert entry.changes == {"url": PUBLIC_URL, "events": ["deal.moved"]}


# -- the list and the log ------------------------------------------------------------------


def test_the_list_explains_webhooks_when_there_is_none(admin_client, company):
    page = admin_client.get(LIST).content.decode()

    assert "No webhook yet." in page
    assert f'href="{NEW}"' in page


def test_the_list_shows_state_and_last_delivery(admin_client, company):
    paused = _subscription(
        name="Chat", paused_at=timezone.now(), pause_reason="10 failed attempts in a row"
    )
    _delivery(paused, status=Status.FAILED, response_code=503)
    inactive = _subscription(name="ERP", is_active=False)
    ok = _subscription(name="Billing")
    _delivery(ok, status=Status.FAILED, response_code=500)
    _delivery(ok, status=Status.DELIVERED, response_code=204)

    page = admin_client.get(LIST).content.decode()

    assert "10 failed attempts in a row" in page
    chat, erp, billing = (
        page.split(f'id="webhook-{s.pk}"')[1].split("</tr>")[0] for s in (paused, inactive, ok)
    )
    assert "Paused" in chat
    assert "Failed" in chat
    assert "503" in chat
    assert "Inactive" in erp
    assert "none yet" in erp
    assert "Active" in billing
    assert "Delivered" in billing
    assert "204" in billing


def test_the_log_lists_deliveries_newest_first_paged_and_filtered(admin_client, company):
    subscription = _subscription()
    deal = make_deal(company.rep1, company.sales, title="Acme")
    first = _delivery(
        subscription,
        deal_id=deal.pk,
        status=Status.FAILED,
        attempts=3,
        response_code=500,
        latency_ms=42,
        error="HTTP 500 Internal Server Error",
    )
    for _ in range(30):
        _delivery(subscription, status=Status.DELIVERED, response_code=200, attempts=1)
    other = _delivery(_subscription(name="Other"), status=Status.FAILED)

    page_one = _page(admin_client, subscription)
    page_two = _page(admin_client, subscription, page=2)
    failed = _page(admin_client, subscription, status="failed")

    assert len(ROW.findall(page_one)) == 25
    assert f'id="delivery-{first.pk}"' not in page_one
    assert f'id="delivery-{first.pk}"' in page_two
    row = page_two.split(f'id="delivery-{first.pk}"')[1].split("</tr>")[0]
    assert "Failed" in row
    assert "500" in row
    assert "42 ms" in row
    assert "HTTP 500" in row
    assert reverse("deal-detail", args=[deal.pk]) in row
    assert len(ROW.findall(failed)) == 1
    assert f'id="delivery-{first.pk}"' in failed
    assert f'id="delivery-{other.pk}"' not in failed


def test_the_log_explains_itself_when_empty(admin_client, company):
    page = _page(admin_client, _subscription())

    assert "Nothing sent yet." in page


def test_a_deliverys_page_shows_the_payload_escaped_and_the_headers(admin_client, company):
    delivery = _delivery(_subscription(), status=Status.DELIVERED)

    response = admin_client.get(reverse("crm_admin:webhook-delivery", args=[delivery.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert_no_inline_script(response)
    assert "&lt;b&gt;Acme&lt;/b&gt;" in page
    assert "<b>Acme</b>" not in page
    assert "  &quot;type&quot;: &quot;deal.moved&quot;" in page  # pretty: indented
    assert f"X-PipelineCRM-Delivery: {delivery.event_id}" in page
    assert "X-PipelineCRM-Event: deal.moved" in page
    assert "X-PipelineCRM-Signature: t=" in page


# -- redeliver, test event, resume ---------------------------------------------------------


def test_redeliver_queues_a_failed_delivery_again_with_the_same_event(admin_client, company):
    subscription = _subscription()
    delivery = _delivery(
        subscription,
        status=Status.FAILED,
        attempts=12,
        next_attempt_at=timezone.now() + timezone.timedelta(hours=1),
    )
    event_id, payload = delivery.event_id, delivery.payload

    response = admin_client.post(
        reverse("crm_admin:webhook-redeliver", args=[delivery.pk]),
        {"status": "failed", "page": "1"},
    )

    delivery.refresh_from_db()
    assert response.status_code == 302
    assert response.url == reverse("crm_admin:webhook", args=[subscription.pk]) + (
        "?status=failed&page=1"
    )
    assert delivery.status == Status.PENDING
    assert delivery.next_attempt_at is None
    assert (delivery.event_id, delivery.payload) == (event_id, payload)
    assert WebhookDelivery.objects.count() == 1


def test_a_pending_delivery_is_not_redelivered(admin_client, company):
    delivery = _delivery(_subscription(), status=Status.PENDING, attempts=2)

    response = admin_client.post(
        reverse("crm_admin:webhook-redeliver", args=[delivery.pk]), follow=True
    )

    assert "still being sent" in response.content.decode()


def test_send_test_event_queues_a_ping(admin_client, company):
    subscription = _subscription()

    response = admin_client.post(reverse("crm_admin:webhook-test", args=[subscription.pk]))

    assert response.status_code == 302
    ping = WebhookDelivery.objects.get(subscription=subscription)
    assert ping.event_type == "ping"
    assert ping.status == Status.PENDING
    assert ping.payload["type"] == "ping"
    assert ping.payload["id"] == str(ping.event_id)
    assert ping.payload["actor"]["username"] == "admin"
    assert ping.deal_id is None
    assert "Test event" in _page(admin_client, subscription)


def test_resume_clears_the_pause_and_sends_what_is_pending(admin_client, company):
    subscription = _subscription(
        paused_at=timezone.now(), pause_reason="10 failed attempts", consecutive_failures=10
    )
    waiting = _delivery(
        subscription, next_attempt_at=timezone.now() + timezone.timedelta(minutes=30)
    )
    page = _page(admin_client, subscription)
    assert "10 failed attempts" in page
    assert 'id="webhook-resume"' in page

    response = admin_client.post(reverse("crm_admin:webhook-resume", args=[subscription.pk]))

    subscription.refresh_from_db()
    waiting.refresh_from_db()
    assert response.status_code == 302
    assert subscription.paused_at is None
    assert subscription.pause_reason == ""
    assert subscription.consecutive_failures == 0
    assert waiting.next_attempt_at is None
    assert waiting.status == Status.PENDING
    assert _audit(subscription, "resumed").changes == {"pause_reason": "10 failed attempts"}
    assert 'id="webhook-resume"' not in _page(admin_client, subscription)


def test_resuming_what_is_not_paused_says_so(admin_client, company):
    subscription = _subscription()

    response = admin_client.post(
        reverse("crm_admin:webhook-resume", args=[subscription.pk]), follow=True
    )

    assert "is not paused" in response.content.decode()


# -- who -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["rep1", "manager"])
def test_non_admins_get_404_and_change_nothing(client, company, persona):
    subscription = _subscription()
    delivery = _delivery(subscription, status=Status.FAILED)
    client.force_login(getattr(company, persona))

    for url in (
        LIST,
        NEW,
        reverse("crm_admin:webhook", args=[subscription.pk]),
        reverse("crm_admin:webhook-delivery", args=[delivery.pk]),
    ):
        assert client.get(url).status_code == 404
    for name in ("webhook-rotate", "webhook-test", "webhook-delete", "webhook-edit"):
        assert client.post(reverse(f"crm_admin:{name}", args=[subscription.pk])).status_code == 404
    assert (
        client.post(reverse("crm_admin:webhook-redeliver", args=[delivery.pk])).status_code == 404
    )
    assert WebhookDelivery.objects.get().status == Status.FAILED
    assert WebhookSubscription.objects.filter(name="Billing").exists()


def test_the_admin_menu_and_home_link_to_webhooks(admin_client, company):
    _subscription()

    page = admin_client.get(reverse("crm_admin:home")).content.decode()

    assert page.count(f'href="{LIST}"') == 2
    assert "1 active · events sent to other systems" in page
