"""Reads of the webhook admin pages and API (docs/domain/webhooks.md, "Admin page and API")."""

from django.db.models import OuterRef, QuerySet, Subquery

from integrations.models import EventType, WebhookDelivery, WebhookSubscription

# The event checkboxes, grouped as the form shows them.
EVENT_GROUPS = {
    "deal": [value for value in EventType.values if value.startswith("deal.")],
    "activity": [value for value in EventType.values if value.startswith("activity.")],
    "checklist": [value for value in EventType.values if value.startswith("checklist.")],
}


def subscriptions_for_admin() -> QuerySet[WebhookSubscription]:
    """Every subscription with its pipeline and the status and time of its latest
    delivery (``last_status``, ``last_at``), in one query."""
    latest = WebhookDelivery.objects.filter(subscription=OuterRef("pk")).order_by("-id")
    return WebhookSubscription.objects.select_related("pipeline").annotate(
        last_status=Subquery(latest.values("status")[:1]),
        last_code=Subquery(latest.values("response_code")[:1]),
        last_at=Subquery(latest.values("created_at")[:1]),
    )


def delivery_log(
    subscription: WebhookSubscription, *, status: str = ""
) -> QuerySet[WebhookDelivery]:
    """A subscription's deliveries, newest first; only those of ``status`` if given."""
    deliveries = WebhookDelivery.objects.filter(subscription=subscription).defer("payload")
    if status in WebhookDelivery.Status.values:
        deliveries = deliveries.filter(status=status)
    return deliveries.order_by("-id")


def event_labels(values: list[str]) -> list[str]:
    labels = dict(EventType.choices)
    return [str(labels.get(value, value)) for value in values]
