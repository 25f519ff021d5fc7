"""Webhook subscriptions and deliveries in the API (/api/v1/webhooks/,
/api/v1/webhook-deliveries/): admins only, through the admin pages' services
(docs/domain/webhooks.md, "Admin page and API"; docs/domain/api.md)."""

import pytest
from django.utils import timezone

from accounts.models import AuditEntry
from integrations.models import WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status
URL = "/api/v1/webhooks/"
PUBLIC_URL = "https://93.184.216.34/hooks/crm"


def _subscription(**fields) -> WebhookSubscription:
    values = {"name": "Billing", "url": PUBLIC_URL, "events": ["deal.moved"]} | fields
    return WebhookSubscription.objects.create(**values)


def _delivery(subscription, **fields) -> WebhookDelivery:
    values = {"event_type": "deal.moved", "payload": {"type": "deal.moved"}} | fields
    return WebhookDelivery.objects.create(subscription=subscription, **values)


def test_admin_creates_a_subscription_and_reads_its_secret(api, company):
    client = api(company.admin)

    response = client.post(
        URL,
        {
            "name": "Billing",
            "url": PUBLIC_URL,
            "events": ["deal.won", "deal.moved", "deal.won"],
            "pipeline": company.sales.pk,
        },
        format="json",
    )

    assert response.status_code == 201
    subscription = WebhookSubscription.objects.get()
    body = response.json()
    assert body["id"] == subscription.pk
    assert body["events"] == ["deal.moved", "deal.won"]
    assert body["pipeline"] == company.sales.pk
    assert body["secret"] == subscription.secret
    assert body["is_active"] is True
    assert body["paused_at"] is None
    assert body["created_by"] == company.admin.pk
    assert AuditEntry.objects.get(action="created").object_id == str(subscription.pk)
    listed = client.get(URL).json()
    assert [row["name"] for row in listed["results"]] == ["Billing"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://93.184.216.34/hook"}, "url"),
        ({"url": "https://127.0.0.1/hook"}, "url"),
        ({"url": "https://10.0.0.8/hook"}, "url"),
        ({"events": []}, "events"),
        ({"events": ["deal.teleported"]}, "events"),
        ({"secret": "mine"}, "secret"),
    ],
)
def test_create_refuses_bad_targets_and_events(api, company, body, field):
    data = {"name": "Billing", "url": PUBLIC_URL, "events": ["deal.won"]} | body

    response = api(company.admin).post(URL, data, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]
    assert not WebhookSubscription.objects.exists()


def test_http_is_allowed_by_the_setting(api, company, settings):
    settings.WEBHOOKS_ALLOW_HTTP = True

    response = api(company.admin).post(
        URL, {"name": "Dev", "url": "http://93.184.216.34/hook", "events": ["deal.won"]}, "json"
    )

    assert response.status_code == 201


def test_admin_changes_deactivates_and_deletes(api, company):
    subscription = _subscription()
    client = api(company.admin)
    detail = f"{URL}{subscription.pk}/"

    changed = client.patch(detail, {"name": "ERP", "is_active": False}, format="json")
    refused = client.patch(detail, {"url": "https://[::1]/"}, format="json")

    assert changed.status_code == 200
    assert changed.json()["name"] == "ERP"
    assert changed.json()["is_active"] is False
    assert changed.json()["events"] == ["deal.moved"]
    assert refused.status_code == 400
    assert "url" in refused.json()["errors"]
    subscription.refresh_from_db()
    assert (subscription.name, subscription.url, subscription.is_active) == (
        "ERP",
        PUBLIC_URL,
        False,
    )
    assert client.delete(detail).status_code == 204
    assert not WebhookSubscription.objects.exists()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"edited", "deactivated", "deleted"} <= actions


def test_rotate_secret_test_event_and_resume(api, company):
    subscription = _subscription(paused_at=timezone.now(), pause_reason="failing")
    waiting = _delivery(subscription, next_attempt_at=timezone.now() + timezone.timedelta(hours=1))
    client = api(company.admin)
    old = subscription.secret

    rotated = client.post(f"{URL}{subscription.pk}/rotate-secret/")
    resumed = client.post(f"{URL}{subscription.pk}/resume/")
    again = client.post(f"{URL}{subscription.pk}/resume/")
    ping = client.post(f"{URL}{subscription.pk}/test/")

    assert rotated.status_code == 200
    assert rotated.json()["secret"] != old
    assert resumed.status_code == 200
    assert resumed.json()["paused_at"] is None
    assert again.status_code == 400
    assert "not paused" in again.json()["message"]
    waiting.refresh_from_db()
    assert waiting.next_attempt_at is None
    assert ping.status_code == 202
    assert ping.json()["event_type"] == "ping"
    assert ping.json()["status"] == "pending"
    assert WebhookDelivery.objects.get(pk=ping.json()["id"]).payload["type"] == "ping"


def test_the_delivery_log_is_paginated_newest_first_and_filtered(api, company):
    subscription = _subscription()
    failed = _delivery(subscription, status=Status.FAILED, response_code=500, attempts=4)
    delivered = [_delivery(subscription, status=Status.DELIVERED) for _ in range(3)]
    _delivery(_subscription(name="Other"), status=Status.FAILED)
    client = api(company.admin)
    log = f"{URL}{subscription.pk}/deliveries/"

    everything = client.get(log, {"page_size": 2}).json()
    only_failed = client.get(log, {"status": "failed"}).json()
    bad = client.get(log, {"status": "lost"})

    assert everything["count"] == 4
    assert [row["id"] for row in everything["results"]] == [delivered[2].pk, delivered[1].pk]
    assert "payload" not in everything["results"][0]
    assert [row["id"] for row in only_failed["results"]] == [failed.pk]
    assert only_failed["results"][0]["response_code"] == 500
    assert only_failed["results"][0]["attempts"] == 4
    assert bad.status_code == 400


def test_a_delivery_with_its_payload_and_redeliver(api, company):
    delivery = _delivery(_subscription(), status=Status.FAILED, attempts=12)
    client = api(company.admin)

    detail = client.get(f"/api/v1/webhook-deliveries/{delivery.pk}/")
    redelivered = client.post(f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver/")
    twice = client.post(f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver/")

    assert detail.status_code == 200
    assert detail.json()["payload"] == {"type": "deal.moved"}
    assert detail.json()["event_id"] == str(delivery.event_id)
    assert redelivered.status_code == 202
    assert redelivered.json()["status"] == "pending"
    assert redelivered.json()["event_id"] == str(delivery.event_id)
    assert twice.status_code == 400  # pending: it is being sent already


@pytest.mark.parametrize("persona", ["rep1", "manager"])
def test_non_admins_get_403_on_the_list_and_404_on_objects(api, company, persona):
    subscription = _subscription()
    delivery = _delivery(subscription, status=Status.FAILED)
    client = api(getattr(company, persona))
    body = {"name": "x", "url": PUBLIC_URL, "events": ["deal.won"]}

    assert client.get(URL).status_code == 403
    assert client.post(URL, body, format="json").status_code == 403
    assert client.get(f"{URL}{subscription.pk}/").status_code == 404
    assert client.patch(f"{URL}{subscription.pk}/", {"name": "x"}, "json").status_code == 404
    assert client.delete(f"{URL}{subscription.pk}/").status_code == 404
    for path in ("test", "resume", "rotate-secret"):
        assert client.post(f"{URL}{subscription.pk}/{path}/").status_code == 404
    assert client.get(f"{URL}{subscription.pk}/deliveries/").status_code == 404
    assert client.get(f"/api/v1/webhook-deliveries/{delivery.pk}/").status_code == 404
    assert client.post(f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver/").status_code == 404
    assert api().get(URL).status_code == 401
    subscription.refresh_from_db()
    assert subscription.name == "Billing"
    assert WebhookDelivery.objects.filter(subscription=subscription).count() == 1
