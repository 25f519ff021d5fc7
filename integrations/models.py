"""Webhook subscriptions, their deliveries, and stage automations (docs/domain/webhooks.md).

The outbox is the deals' own timeline: every change a webhook reports is already a
``DealEvent`` written in the transaction of the change. The dispatcher
(integrations/dispatch.py) picks up the events not yet dispatched
(``DealEvent.dispatched_at`` empty), turns each into a ``WebhookDelivery`` per matching
subscription, runs the automations of the stage a deal entered, and marks the events.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pipelines.models import ActivityKind, Pipeline, Stage


class EventType(models.TextChoices):
    """What a subscriber can ask for; the JSON's ``type``."""

    DEAL_CREATED = "deal.created", _("Deal created")
    DEAL_UPDATED = "deal.updated", _("Deal updated")
    DEAL_MOVED = "deal.moved", _("Deal moved")
    DEAL_WON = "deal.won", _("Deal won")
    DEAL_LOST = "deal.lost", _("Deal lost")
    DEAL_REOPENED = "deal.reopened", _("Deal reopened")
    DEAL_STALLED = "deal.stalled", _("Deal stalled")
    ACTIVITY_CREATED = "activity.created", _("Activity created")
    ACTIVITY_DONE = "activity.done", _("Activity done")
    CHECKLIST_TICKED = "checklist.ticked", _("Checklist item ticked")
    CHECKLIST_UNTICKED = "checklist.unticked", _("Checklist item unticked")


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookSubscription(models.Model):
    """Where events go: a URL, the events wanted, optionally one pipeline's only."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("target URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)  # a list of EventType values
    pipeline = models.ForeignKey(
        Pipeline,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
        verbose_name=_("pipeline"),
        help_text=_("Empty: events of every pipeline."),
    )
    secret = models.CharField(_("secret"), max_length=100, default=new_secret)
    is_active = models.BooleanField(_("active"), default=True)
    # Set when deliveries kept failing (docs/domain/webhooks.md); an admin resumes it.
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    pause_reason = models.CharField(_("pause reason"), max_length=300, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event for one subscription, and its attempts so far.

    ``payload`` is the JSON sent, fixed when the delivery is made so every retry sends
    the same bytes. Per subscription, a deal's deliveries go out in ``id`` order: a
    delivery waits while an earlier one of the same deal is not yet delivered.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")  # gave up (24 hours of retries, or paused)

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(_("event ID"), default=uuid.uuid4)
    event_type = models.CharField(_("event"), max_length=30, choices=EventType)
    # The deal it is about (no foreign key: the log outlives a deleted deal); None for a
    # test event.
    deal_id = models.BigIntegerField(null=True, blank=True)
    deal_event = models.ForeignKey(
        "deals.DealEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField(default=dict)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveIntegerField(_("response code"), null=True, blank=True)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        indexes = [
            # The sender's scan: pending deliveries that are due.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(status="pending"),
                name="webhook_delivery_due_idx",
            ),
            # The delivery log of a subscription, newest first.
            models.Index(fields=["subscription", "-id"], name="webhook_delivery_log_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription}"


class StageAutomation(models.Model):
    """Something done when a deal enters a stage, as "automation" (docs/domain/webhooks.md)."""

    class Action(models.TextChoices):
        CREATE_ACTIVITY = "create_activity", _("Create an activity for the owner")
        NOTIFY_MANAGER = "notify_manager", _("Notify the owner's manager")
        SET_PROBABILITY = "set_probability", _("Set the deal's probability")
        SEND_WEBHOOK = "send_webhook", _("Send the deal to a webhook")

    stage = models.ForeignKey(
        Stage, on_delete=models.CASCADE, related_name="automations", verbose_name=_("stage")
    )
    action = models.CharField(_("action"), max_length=20, choices=Action)
    # create_activity
    activity_kind = models.CharField(
        _("activity kind"), max_length=10, choices=ActivityKind, blank=True
    )
    activity_subject = models.CharField(_("subject"), max_length=200, blank=True)
    due_in_business_days = models.PositiveSmallIntegerField(
        _("due in business days"), null=True, blank=True
    )
    # set_probability
    probability = models.PositiveSmallIntegerField(_("probability (%)"), null=True, blank=True)
    # send_webhook
    subscription = models.ForeignKey(
        WebhookSubscription,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="automations",
        verbose_name=_("webhook"),
    )
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stage automation")
        verbose_name_plural = _("stage automations")
        ordering = ["stage", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(probability__isnull=True)
                | models.Q(probability__gte=0, probability__lte=100),
                name="stage_automation_probability_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stage}: {self.get_action_display()}"
