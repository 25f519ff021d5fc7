"""What happened to a deal: checklist ticks, stage changes, refused moves, events."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from deals.models.deals import Deal
from pipelines.models import ChecklistItem, Stage


class ChecklistCheck(models.Model):
    """A manual checklist item ticked on a deal. Persists when the deal moves back and forth."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="checks")
    item = models.ForeignKey(ChecklistItem, on_delete=models.CASCADE, related_name="checks")
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField()

    class Meta:
        verbose_name = _("checklist check")
        verbose_name_plural = _("checklist checks")
        constraints = [
            models.UniqueConstraint(fields=["deal", "item"], name="check_once_per_deal_item"),
        ]
        indexes = [
            # Checklist analytics: a period's ticks, read from the index alone.
            models.Index(fields=["checked_at"], include=["deal", "item"], name="check_period_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.deal} ✓ {self.item}"


class StageChange(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="entries")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField()
    time_in_from_stage = models.DurationField(null=True, blank=True)
    override_reason = models.TextField(blank=True)
    overridden_items = models.ManyToManyField(ChecklistItem, blank=True, related_name="overrides")

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["changed_at", "id"]
        indexes = [
            models.Index(fields=["deal", "changed_at"], name="stagechange_deal_idx"),
            # Dashboards: conversion and time in stage over a period.
            models.Index(fields=["to_stage", "changed_at"], name="stagechange_to_stage_idx"),
            # Dashboards: a period's changes, read from the index alone (the table only
            # grows, so its pages stay all-visible).
            models.Index(
                fields=["changed_at"],
                include=["deal", "from_stage", "to_stage", "time_in_from_stage"],
                name="stagechange_period_idx",
            ),
            # Checklist analytics: the few changes that overrode items (deal_move writes
            # a reason with every override).
            models.Index(
                fields=["changed_at"],
                condition=~models.Q(override_reason=""),
                name="stagechange_override_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deal}: {self.from_stage} → {self.to_stage}"


class MoveRefusal(models.Model):
    """A forward move refused for missing checklist items; written after the rollback."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="move_refusals")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    missing_items = models.ManyToManyField(ChecklistItem, related_name="refusals")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("move refusal")
        verbose_name_plural = _("move refusals")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.deal}: {self.from_stage} ↛ {self.to_stage}"


class DealEvent(models.Model):
    """Append-only timeline of everything that happened to a deal."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        IMPORTED = "imported", _("Imported")
        EDITED = "edited", _("Edited")
        MOVED = "moved", _("Moved")
        CHECKLIST_TICKED = "checklist_ticked", _("Checklist item ticked")
        CHECKLIST_UNTICKED = "checklist_unticked", _("Checklist item unticked")
        WON = "won", pgettext_lazy("event", "Won")
        LOST = "lost", pgettext_lazy("event", "Lost")
        REOPENED = "reopened", _("Reopened")
        REASSIGNED = "reassigned", _("Reassigned")
        ACTIVITY_LOGGED = "activity_logged", _("Activity logged")
        STALLED = "stalled", _("Flagged stalled")

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="events")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    # Empty until the webhook dispatcher has handed the event on (integrations/dispatch.py):
    # the timeline is also the webhooks' outbox (docs/domain/webhooks.md).
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("deal event")
        verbose_name_plural = _("deal events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["deal", "created_at"], name="dealevent_deal_idx"),
            # The dispatcher's scan: the few events not yet handed on.
            models.Index(
                fields=["id"],
                condition=models.Q(dispatched_at__isnull=True),
                name="dealevent_undispatched_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deal}: {self.kind}"
