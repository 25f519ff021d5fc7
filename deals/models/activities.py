"""Calls, meetings, emails and tasks logged on a deal, done or planned."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from deals.models.deals import Deal
from pipelines.models import ActivityKind

FUTURE_DONE_AT = gettext_noop(
    "An activity cannot be done in the future: log it once it has happened, "
    "or schedule it with a due time."
)


def done_at_is_future(done_at: datetime.datetime) -> bool:
    """Beyond the allowed clock skew, a done time lies in the future: such a row would
    satisfy every later "activity since entering the stage" item
    (docs/hardening/gate-activities.md)."""
    skew = datetime.timedelta(minutes=settings.ACTIVITY_CLOCK_SKEW_MINUTES)
    return done_at > timezone.now() + skew


class Activity(models.Model):
    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, related_name="activities", verbose_name=_("deal")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="activities",
        verbose_name=_("owner"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ActivityKind)
    subject = models.CharField(_("subject"), max_length=200)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # remind_activities claims these by compare-and-swap so nobody is reminded twice.
    reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ActivityKind.values), name="activity_kind_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["deal", "done_at"], name="activity_deal_done_idx"),
            # "My activities" and remind_activities: open activities by owner and due time.
            models.Index(
                fields=["owner", "due_at"],
                condition=models.Q(done_at__isnull=True),
                name="activity_open_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    def clean(self) -> None:
        # Here rather than only in a service, so the Django admin's form refuses it too.
        if self.done_at is not None and done_at_is_future(self.done_at):
            raise ValidationError({"done_at": gettext(FUTURE_DONE_AT)})
