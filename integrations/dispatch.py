"""The dispatcher: the deals' timeline handed on to webhooks and automations
(docs/domain/webhooks.md, "The outbox is the timeline").

``dispatch_events`` claims the events not yet dispatched in id order and, in one
transaction per batch, creates a ``WebhookDelivery`` per event type and matching
subscription, runs the stage automations, and marks the events dispatched. One dispatcher
runs at a time (a transaction-level advisory lock), so deliveries are created in the
order of the events: the sender's per-deal order is the timeline's.
"""

import logging
import uuid

from django.db import connection, transaction
from django.utils import timezone

from deals.models import DealEvent
from integrations import automations
from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.payloads import BatchContext, event_types, jsonable
from pipelinecrm.celery import enqueue_after_commit

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# Batches per run at most; the next run (doorbell or beat) takes the rest.
MAX_BATCHES = 40
# Fixed and arbitrary: the dispatcher's advisory lock ("CRMW").
DISPATCH_LOCK_KEY = 0x43524D57


def dispatch_events(batch: int = BATCH_SIZE) -> int:
    """Dispatch every undispatched event (bounded); the number dispatched."""
    total = 0
    for _ in range(MAX_BATCHES):
        done = _dispatch_batch(batch)
        total += done
        if done < batch:
            break
    return total


def _subscriptions() -> list[WebhookSubscription]:
    return list(WebhookSubscription.objects.filter(is_active=True, paused_at__isnull=True))


def _wants(subscription: WebhookSubscription, event_type: str, pipeline_id: int | None) -> bool:
    return event_type in (subscription.events or []) and (
        subscription.pipeline_id is None or subscription.pipeline_id == pipeline_id
    )


@transaction.atomic
def _dispatch_batch(batch: int) -> int:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DISPATCH_LOCK_KEY])
    events = list(
        DealEvent.objects.filter(dispatched_at__isnull=True)
        .select_related("user")
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("id")[:batch]
    )
    if not events:
        return 0
    subscriptions = _subscriptions()
    deliveries = []
    if subscriptions:
        wanted = [
            (event, event_type, [s for s in subscriptions if event_type in (s.events or [])])
            for event in events
            for event_type in event_types(event)
        ]
        wanted = [(event, t, subs) for event, t, subs in wanted if subs]
        if wanted:
            context = BatchContext([event for event, _t, _s in wanted])
            for event, event_type, subs in wanted:
                body = context.payload(event, event_type)
                if body is None:
                    continue
                pipeline_id = body["deal"].get("pipeline")
                for subscription in subs:
                    if _wants(subscription, event_type, pipeline_id):
                        deliveries.append(_delivery(subscription, event, event_type, body))
    WebhookDelivery.objects.bulk_create(deliveries)
    automations.run_automations(events)
    DealEvent.objects.filter(pk__in=[event.pk for event in events]).update(
        dispatched_at=timezone.now()
    )
    if deliveries:
        enqueue_after_commit("integrations.tasks.send_deliveries")
    return len(events)


def _delivery(
    subscription: WebhookSubscription, event: DealEvent | None, event_type: str, body: dict
) -> WebhookDelivery:
    event_id = uuid.uuid4()
    return WebhookDelivery(
        subscription=subscription,
        event_id=event_id,
        event_type=event_type,
        deal_id=event.deal_id if event is not None else body.get("deal", {}).get("id"),
        deal_event=event,
        payload={"id": str(event_id), **body},
    )


def queue_delivery(
    *,
    subscription: WebhookSubscription,
    event: DealEvent | None,
    event_type: str,
    payload: dict | None = None,
) -> WebhookDelivery:
    """One delivery of ``event`` (as ``event_type``) to ``subscription``, whatever types it
    asks for (an automation's "send the deal's webhook event"); sent after commit.
    ``payload`` (without ``id``) overrides the one built from ``event``."""
    if payload is None:
        if event is None:
            raise ValueError("queue_delivery needs an event or a payload")
        payload = BatchContext([event]).payload(event, event_type)
        if payload is None:
            raise ValueError("the event's deal is gone")
    payload = jsonable({key: value for key, value in payload.items() if key != "id"})
    delivery = _delivery(subscription, event, event_type, payload)
    delivery.save()
    enqueue_after_commit("integrations.tasks.send_deliveries")
    return delivery
