from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from deals.models import MONEY
from pipelines.models import Pipeline


class ForecastSnapshot(models.Model):
    """One pipeline × owner × month figure of one recompute run; kept to draw the trend.

    ``period`` is the first day of the month, or NULL for deals without a close date.
    """

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="snapshots")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forecast_snapshots"
    )
    period = models.DateField(null=True, blank=True)
    weighted_amount = models.DecimalField(**MONEY)
    open_amount = models.DecimalField(**MONEY)
    won_amount = models.DecimalField(**MONEY)
    deal_count = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-computed_at", "pipeline", "owner", "period"]
        indexes = [
            # Forecast trend: snapshots of one period over time.
            models.Index(fields=["period", "computed_at"], name="snapshot_period_idx"),
            models.Index(fields=["pipeline", "computed_at"], name="snapshot_pipeline_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.pipeline} / {self.owner} / {self.period or 'unscheduled'}"


class ForecastClaim(models.Model):
    """A forecast recompute in progress: the dirty markers it cleared, kept until it commits.

    The claim clears the pipelines' markers in a committed statement (so a change from then
    on marks them again) and records itself in the same transaction; the recompute deletes
    the claim when its snapshots commit. A worker killed in between leaves the claim behind;
    the first run to find it older than FORECAST_CLAIM_TIMEOUT_SECONDS recomputes its
    pipelines (docs/hardening/faults.md).
    """

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="+")
    claimed_at = models.DateTimeField()

    class Meta:
        # recompute_dirty_forecasts looks for claims older than the timeout.
        indexes = [models.Index(fields=["claimed_at"], name="forecastclaim_claimed_idx")]

    def __str__(self) -> str:
        return (
            f"forecast claim of pipeline {self.pipeline_id} at {self.claimed_at:%Y-%m-%d %H:%M:%S}"
        )


class Quota(models.Model):
    """A monthly target for a user or for a team (a team without one sums its members')."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="quotas",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="quotas"
    )
    month = models.DateField(help_text=_("First day of the month."))
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["month"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, team__isnull=True)
                | models.Q(user__isnull=True, team__isnull=False),
                name="quota_user_xor_team",
                violation_error_message=_("A quota belongs to a user or to a team, not both."),
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0),
                name="quota_amount_not_negative",
                violation_error_message=_("A quota cannot be negative."),
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1),
                name="quota_month_first_day",
                violation_error_message=_("A quota's month is given by its first day."),
            ),
            models.UniqueConstraint(
                fields=["user", "month"],
                condition=models.Q(user__isnull=False),
                name="quota_once_per_user_month",
                violation_error_message=_("This user already has a quota for that month."),
            ),
            models.UniqueConstraint(
                fields=["team", "month"],
                condition=models.Q(team__isnull=False),
                name="quota_once_per_team_month",
                violation_error_message=_("This team already has a quota for that month."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.team} {self.month:%Y-%m}: {self.amount}"

    def clean(self) -> None:
        if self.month and self.month.day != 1:
            raise ValidationError({"month": _("A quota's month is given by its first day.")})
