"""Delivery to a real receiver on loopback: signatures, retries, order, pause, giving up
(docs/domain/webhooks.md, "Delivery")."""

import datetime

import pytest
from django.utils import timezone

from deals.models import Notification
from deals.services.editing import deal_update
from integrations.delivery import (
    USER_AGENT,
    queue_test_event,
    redeliver,
    send_deliveries,
    subscription_resume,
)
from integrations.dispatch import dispatch_events
from integrations.models import EventType, WebhookDelivery
from integrations.signing import signature_header, verify
from tests import factories
from tests.integrations.conftest import due_now

Status = WebhookDelivery.Status


@pytest.fixture
def created(company, receiver, subscribe):
    """A subscription to deal.created and one deal created, dispatched."""
    subscription = subscribe(receiver.url, events=[EventType.DEAL_CREATED])
    deal = factories.make_deal(company.rep1, company.sales, title="Acme rollout")
    dispatch_events()
    return subscription, deal


def test_the_receiver_verifies_the_signature_of_what_it_gets(created, receiver):
    subscription, deal = created

    send_deliveries()

    [request] = receiver.requests
    headers = {key.lower(): value for key, value in request.headers.items()}
    assert verify(subscription.secret, headers["x-pipelinecrm-signature"], request.body)
    assert not verify("another secret", headers["x-pipelinecrm-signature"], request.body)
    assert not verify(subscription.secret, headers["x-pipelinecrm-signature"], request.body + b" ")
    # The doc's algorithm, recomputed: v1 = HMAC-SHA256(secret, f"{t}.{body}").
    timestamp = int(headers["x-pipelinecrm-signature"].split(",")[0].removeprefix("t="))
    assert headers["x-pipelinecrm-signature"] == signature_header(
        subscription.secret, timestamp, request.body
    )
    assert request.path == "/hooks/crm"
    assert headers["x-pipelinecrm-event"] == "deal.created"
    assert headers["x-pipelinecrm-delivery"] == request.json["id"]
    assert headers["user-agent"] == USER_AGENT
    assert headers["content-type"].startswith("application/json")
    assert request.json["type"] == "deal.created"
    assert request.json["deal"]["id"] == deal.pk
    assert request.json["deal"]["title"] == "Acme rollout"
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.DELIVERED
    assert (delivery.attempts, delivery.response_code) == (1, 200)
    assert delivery.latency_ms is not None
    assert str(delivery.event_id) == request.json["id"]


def test_an_old_signature_is_refused_by_the_receivers_check(created, receiver):
    subscription, _deal = created
    send_deliveries()
    [request] = receiver.requests
    header = {k.lower(): v for k, v in request.headers.items()}["x-pipelinecrm-signature"]
    timestamp = int(header.split(",")[0].removeprefix("t="))

    assert not verify(subscription.secret, header, request.body, now=timestamp + 301)


def test_500s_are_retried_with_the_same_event_until_the_receiver_takes_it(created, receiver):
    answers = iter([500, 503, 200])
    receiver.answer = lambda _request: next(answers)

    send_deliveries()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.PENDING
    assert (delivery.attempts, delivery.response_code) == (1, 500)
    # The first retry waits about 10 s (plus jitter): not sent again in this run.
    assert delivery.next_attempt_at > timezone.now() + datetime.timedelta(seconds=9)
    assert len(receiver.requests) == 1

    due_now()
    send_deliveries()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (Status.PENDING, 2, 503)
    # Exponential: the second retry waits about 20 s.
    assert delivery.next_attempt_at > timezone.now() + datetime.timedelta(seconds=19)

    due_now()
    send_deliveries()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (
        Status.DELIVERED,
        3,
        200,
    )
    assert delivery.error == ""
    assert len({body["id"] for body in receiver.bodies()}) == 1
    assert len({request.body for request in receiver.requests}) == 1


def test_a_timeout_is_retried(created, receiver):
    receiver.answer = lambda _request: "timeout"

    send_deliveries()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.PENDING
    assert delivery.error.startswith("timeout")
    assert delivery.next_attempt_at > timezone.now()


def test_a_429_is_retried_and_a_404_fails_at_once(company, created, receiver, subscribe):
    receiver.answer = lambda _request: 429
    send_deliveries()
    assert WebhookDelivery.objects.get().status == Status.PENDING

    receiver.answer = lambda _request: 404
    due_now()
    send_deliveries()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (Status.FAILED, 2, 404)
    assert "404" in delivery.error


def test_retries_stop_24_hours_after_the_event(created, receiver):
    receiver.answer = lambda _request: 500
    WebhookDelivery.objects.update(
        created_at=timezone.now() - datetime.timedelta(hours=24, minutes=1)
    )

    send_deliveries()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.FAILED, 1)
    assert delivery.next_attempt_at is None


def test_a_retry_never_waits_past_the_24_hours(created, receiver):
    receiver.answer = lambda _request: 500
    created_at = timezone.now() - datetime.timedelta(hours=23, minutes=59, seconds=55)
    WebhookDelivery.objects.update(created_at=created_at, attempts=20)

    send_deliveries()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.PENDING
    assert delivery.next_attempt_at == created_at + datetime.timedelta(hours=24)


def test_a_deals_failing_delivery_holds_its_next_one_but_not_another_deals(
    company, receiver, subscribe
):
    subscribe(receiver.url, events=[EventType.DEAL_CREATED, EventType.DEAL_UPDATED])
    first = factories.make_deal(company.rep1, company.sales, title="First")
    deal_update(user=company.rep1, deal=first, version=None, title="First, renamed")
    other = factories.make_deal(company.rep1, company.sales, title="Other")
    dispatch_events()
    receiver.answer = lambda request: (
        500
        if request.json["deal"]["id"] == first.pk and request.json["type"] == "deal.created"
        else 200
    )

    send_deliveries()

    created, updated = WebhookDelivery.objects.filter(deal_id=first.pk).order_by("id")
    assert (created.event_type, created.status, created.attempts) == ("deal.created", "pending", 1)
    assert (updated.event_type, updated.status, updated.attempts) == ("deal.updated", "pending", 0)
    assert WebhookDelivery.objects.get(deal_id=other.pk).status == Status.DELIVERED

    receiver.answer = lambda _request: 200
    due_now()
    send_deliveries()

    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {Status.DELIVERED}
    first_bodies = [b for b in receiver.bodies() if b["deal"]["id"] == first.pk]
    assert [b["type"] for b in first_bodies] == ["deal.created", "deal.created", "deal.updated"]


def test_a_failed_delivery_no_longer_holds_the_next_one(company, receiver, subscribe):
    subscribe(receiver.url, events=[EventType.DEAL_CREATED, EventType.DEAL_UPDATED])
    deal = factories.make_deal(company.rep1, company.sales, title="First")
    deal_update(user=company.rep1, deal=deal, version=None, title="Renamed")
    dispatch_events()
    receiver.answer = lambda request: 410 if request.json["type"] == "deal.created" else 200

    send_deliveries()

    statuses = list(WebhookDelivery.objects.order_by("id").values_list("status", flat=True))
    assert statuses == [Status.FAILED, Status.DELIVERED]


def test_repeated_failures_pause_the_subscription_and_tell_the_admins(
    company, created, receiver, settings, mailoutbox, django_capture_on_commit_callbacks
):
    subscription, _deal = created
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 3
    settings.EMAIL_NOTIFICATIONS = True
    factories.speaking(company.admin, "de")
    receiver.answer = lambda _request: 500

    for _attempt in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            send_deliveries()
        due_now()

    subscription.refresh_from_db()
    assert subscription.paused_at is not None
    assert subscription.consecutive_failures == 3
    assert "3" in subscription.pause_reason
    notice = Notification.objects.get(recipient=company.admin, kind="webhook_paused")
    assert "ERP" in notice.text
    assert "pausiert" in notice.text  # in the admin's language
    [mail] = mailoutbox
    assert mail.to == [company.admin.email]
    assert "ERP" in mail.body

    # Paused: what is pending waits, untried.
    send_deliveries()
    assert len(receiver.requests) == 3
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.PENDING, 3)

    receiver.answer = lambda _request: 200
    subscription_resume(subscription)
    send_deliveries()

    subscription.refresh_from_db()
    assert (subscription.paused_at, subscription.consecutive_failures) == (None, 0)
    assert WebhookDelivery.objects.get().status == Status.DELIVERED


def test_a_success_resets_the_failure_count(created, receiver, settings):
    subscription, _deal = created
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 2
    receiver.answer = lambda _request: 500
    send_deliveries()
    receiver.answer = lambda _request: 200
    due_now()
    send_deliveries()

    subscription.refresh_from_db()
    assert (subscription.consecutive_failures, subscription.paused_at) == (0, None)


def test_redeliver_sends_the_same_event_again(created, receiver):
    send_deliveries()
    delivery = WebhookDelivery.objects.get()

    again = redeliver(delivery)
    assert again.status == Status.PENDING
    send_deliveries()

    first, second = receiver.requests
    assert first.body == second.body
    assert WebhookDelivery.objects.get().status == Status.DELIVERED


def test_a_test_event_is_a_ping(company, receiver, subscribe):
    subscription = subscribe(receiver.url, events=[])

    queue_test_event(subscription, actor=company.admin)
    send_deliveries()

    [body] = receiver.bodies()
    assert body["type"] == "ping"
    assert body["actor"] == {
        "id": company.admin.pk,
        "username": "admin",
        "name": company.admin.display_name,
    }
    assert body["data"]["message"]
    assert WebhookDelivery.objects.get().status == Status.DELIVERED
