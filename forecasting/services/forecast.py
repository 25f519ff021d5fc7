"""The forecast (docs/domain/stalls-and-forecast.md):
weighted, open and won amounts per period, in SQL.

One definition serves the snapshots written by ``recompute_forecasts`` and the live figures
of the forecast API (``forecasting.selectors.forecast_live``):

- an open deal counts in the month of its expected close date; if that date has passed it
  counts in the current month and is *overdue*; without a date it is *unscheduled*
  (period NULL). Its weighted amount is value × effective probability / 100, the
  effective probability being the deal's override, else its stage's;
- a won deal counts in full in the month it was closed;
- lost deals do not count.

Months are calendar months in the company time zone (``TIME_ZONE``).
"""

import datetime
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, TruncMonth
from django.utils import timezone

from deals.expressions import MONEY_SUM_FIELD, WEIGHTED_VALUE
from deals.models import Deal
from forecasting.models import ForecastClaim, ForecastSnapshot
from forecasting.services.claims import rows_claim
from forecasting.services.notify import BATCH_SIZE
from pipelines.models import Pipeline

# Months of snapshots either side of the current
# one (docs/domain/stalls-and-forecast.md: −12 … +12).
SNAPSHOT_MONTHS = 12
CENT = Decimal("0.01")
ZERO = Value(Decimal(0), output_field=MONEY_SUM_FIELD)
OPEN = Q(status=Deal.Status.OPEN)
WON = Q(status=Deal.Status.WON)


def company_today(now: datetime.datetime | None = None) -> datetime.date:
    return timezone.localdate(now or timezone.now(), timezone.get_default_timezone())


def month_shift(month: datetime.date, months: int) -> datetime.date:
    """The first day of the month ``months`` after (or before) ``month``'s."""
    index = month.year * 12 + month.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def money(amount: Decimal | None) -> Decimal:
    """Sums come back with more decimals than money has (PostgreSQL keeps them all)."""
    return (amount or Decimal(0)).quantize(CENT, rounding=ROUND_HALF_UP)


def _period(today: datetime.date) -> Case:
    current_month = today.replace(day=1)
    zone = timezone.get_default_timezone()
    return Case(
        When(WON, then=Cast(TruncMonth("closed_at", tzinfo=zone), DateField())),
        When(expected_close_date__lt=today, then=Value(current_month)),
        When(
            expected_close_date__isnull=False,
            then=Cast(TruncMonth("expected_close_date"), DateField()),
        ),
        default=None,
        output_field=DateField(),
    )


def forecast_deals(
    deals: QuerySet[Deal],
    *,
    today: datetime.date,
    first_month: datetime.date | None = None,
    last_month: datetime.date | None = None,
    unscheduled: bool = True,
) -> QuerySet[Deal]:
    """Open and won ``deals`` annotated with their ``period``, limited to the months given.

    ``first_month`` / ``last_month`` (either may be None: open-ended) bound the periods;
    ``unscheduled`` keeps the open deals without a close date.
    """
    periods = Q(period__isnull=False)
    if first_month is not None:
        periods &= Q(period__gte=first_month)
    if last_month is not None:
        periods &= Q(period__lte=last_month)
    if unscheduled:
        periods |= Q(period__isnull=True)
    return deals.filter(OPEN | WON).annotate(period=_period(today)).filter(periods).order_by()


def forecast_totals(*, today: datetime.date) -> dict[str, Any]:
    """The aggregates of one forecast row, for ``.values(*group).annotate(**…)``."""
    return {
        "weighted": Coalesce(Sum(WEIGHTED_VALUE, filter=OPEN), ZERO),
        "open": Coalesce(Sum("value", filter=OPEN), ZERO),
        "won": Coalesce(Sum("value", filter=WON), ZERO),
        "count": Count("pk", filter=OPEN),
        "overdue": Count("pk", filter=OPEN & Q(expected_close_date__lt=today)),
    }


def forecast_rows(
    *,
    today: datetime.date,
    first_month: datetime.date,
    last_month: datetime.date,
    pipeline_ids: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    """Per pipeline × owner × period (unscheduled included): one aggregate query.

    Each row: ``pipeline_id``, ``owner_id``, ``period`` (first of the month, or None),
    ``weighted``, ``open``, ``won`` (Decimal), ``count`` (open deals), ``overdue``.
    """
    deals = Deal.objects.all()
    if pipeline_ids is not None:
        deals = deals.filter(pipeline_id__in=pipeline_ids)
    grouped = (
        forecast_deals(deals, today=today, first_month=first_month, last_month=last_month)
        .values("pipeline_id", "owner_id", "period")
        .annotate(**forecast_totals(today=today))
    )
    return [
        row | {name: money(row[name]) for name in ("weighted", "open", "won")} for row in grouped
    ]


def forecasts_recompute(
    *, pipeline_ids: Sequence[int] | None = None, now: datetime.datetime | None = None
) -> int:
    """Write one snapshot set (months −12 … +12 and unscheduled) for these pipelines or all.

    Every row of a run shares ``computed_at``; a pipeline × owner × month without deals
    has no row (read it as zero). Returns the number of rows written.
    """
    now = now or timezone.now()
    today = company_today(now)
    current_month = today.replace(day=1)
    rows = forecast_rows(
        today=today,
        first_month=month_shift(current_month, -SNAPSHOT_MONTHS),
        last_month=month_shift(current_month, SNAPSHOT_MONTHS),
        pipeline_ids=pipeline_ids,
    )
    with transaction.atomic():
        ForecastSnapshot.objects.bulk_create(
            [
                ForecastSnapshot(
                    pipeline_id=row["pipeline_id"],
                    owner_id=row["owner_id"],
                    period=row["period"],
                    weighted_amount=row["weighted"],
                    open_amount=row["open"],
                    won_amount=row["won"],
                    deal_count=row["count"],
                    computed_at=now,
                )
                for row in rows
            ],
            batch_size=BATCH_SIZE,
        )
    return len(rows)


def forecasts_recompute_dirty(*, now: datetime.datetime | None = None) -> list[int]:
    """Recompute the pipelines that deal changes marked dirty; return their ids.

    The claim clears the markers in one committed statement before computing, so a change
    committed from then on marks its pipeline again and asks for another run, while a
    second worker claiming at the same moment finds nothing. The same transaction records a
    ForecastClaim, deleted with the new snapshots' commit: should the recompute fail, the
    markers are put back at once; should its worker be killed, a later run finds the claim
    stale and takes its pipelines over.
    """
    claims = _forecast_claim(now=timezone.now())
    if not claims:
        return []
    pipeline_ids = sorted(set(claims.values()))
    try:
        with transaction.atomic():
            forecasts_recompute(pipeline_ids=pipeline_ids, now=now)
            ForecastClaim.objects.filter(pk__in=list(claims)).delete()
    except Exception:
        with transaction.atomic():
            _markers_restore(pipeline_ids)
            ForecastClaim.objects.filter(pk__in=list(claims)).delete()
        raise
    return pipeline_ids


@transaction.atomic
def _forecast_claim(*, now: datetime.datetime) -> dict[int, int]:
    """Claim the dirty pipelines and those of stale claims; claim id → pipeline id."""
    stale_before = now - datetime.timedelta(seconds=settings.FORECAST_CLAIM_TIMEOUT_SECONDS)
    # SKIP LOCKED: a stale claim that another run is taking over right now is its own.
    stale = dict(
        ForecastClaim.objects.select_for_update(skip_locked=True)
        .filter(claimed_at__lt=stale_before)
        .values_list("pk", "pipeline_id")
    )
    ForecastClaim.objects.filter(pk__in=list(stale)).delete()
    dirty = rows_claim(
        Pipeline.objects.filter(forecast_dirty_since__isnull=False),
        returning=("id",),
        forecast_dirty_since=None,
    )
    pipeline_ids = {row["id"] for row in dirty} | set(stale.values())
    created = ForecastClaim.objects.bulk_create(
        [ForecastClaim(pipeline_id=pk, claimed_at=now) for pk in sorted(pipeline_ids)]
    )
    return {claim.pk: claim.pipeline_id for claim in created}


def _markers_restore(pipeline_ids: list[int]) -> None:
    Pipeline.objects.filter(pk__in=pipeline_ids, forecast_dirty_since__isnull=True).update(
        forecast_dirty_since=timezone.now()
    )
