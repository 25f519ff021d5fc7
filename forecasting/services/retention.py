"""Retention (docs/hardening/operations.md): old data shrinks instead of piling up.

Forecast snapshots feed the trend chart; beyond SNAPSHOT_THIN_AFTER_DAYS a daily point is
as much as the chart can show, so older snapshots are thinned to the latest one of each
day per pipeline, owner and period. Read notifications older than
READ_NOTIFICATION_RETENTION_DAYS are deleted; unread ones stay until their recipient sees
them. Each rule is one DELETE whatever the number of rows, and deleting what is already gone
is a no-op, so a rerun, a retried task or a second worker changes nothing more.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber, TruncDate
from django.utils import timezone

from deals.models import Notification
from forecasting.models import ForecastSnapshot


@dataclass(frozen=True)
class RetentionRun:
    snapshots_deleted: int
    notifications_deleted: int


def snapshots_thin(*, now: datetime | None = None) -> int:
    """Keep the latest snapshot of each day, per pipeline, owner and period, among snapshots
    computed strictly more than SNAPSHOT_THIN_AFTER_DAYS before ``now``; return how many
    were deleted. Days are the company's (TIME_ZONE), as the trend chart shows them."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.SNAPSHOT_THIN_AFTER_DAYS)
    # PARTITION BY groups NULL periods (deals without a close date) together, as wanted.
    ranked = ForecastSnapshot.objects.filter(computed_at__lt=cutoff).annotate(
        rank_in_day=Window(
            RowNumber(),
            partition_by=[F("pipeline_id"), F("owner_id"), F("period"), TruncDate("computed_at")],
            order_by=[F("computed_at").desc(), F("id").desc()],
        )
    )
    superseded = ranked.filter(rank_in_day__gt=1).values("pk")
    with transaction.atomic():
        deleted, _ = ForecastSnapshot.objects.filter(pk__in=superseded).delete()
    return deleted


def notifications_purge(*, now: datetime | None = None) -> int:
    """Delete read notifications created more than READ_NOTIFICATION_RETENTION_DAYS before
    ``now``; return how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.READ_NOTIFICATION_RETENTION_DAYS)
    with transaction.atomic():
        deleted, _ = Notification.objects.filter(is_read=True, created_at__lt=cutoff).delete()
    return deleted


def retention_apply(*, now: datetime | None = None) -> RetentionRun:
    """Both rules, each in its own transaction: one failing leaves the other's work done."""
    return RetentionRun(
        snapshots_deleted=snapshots_thin(now=now),
        notifications_deleted=notifications_purge(now=now),
    )
