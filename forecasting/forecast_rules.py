"""The forecast: weighted, open and won amounts per period, in SQL
(docs/domain/stalls-and-forecast.md).

One definition serves the snapshots written by ``recompute_forecasts`` and the live figures
of the forecast API (``forecasting.selectors.forecast_live``); it only reads, so both the
selectors and the services import it:

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
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, DateField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Cast, Coalesce, TruncMonth
from django.utils import timezone

from deals.expressions import MONEY_SUM_FIELD, WEIGHTED_VALUE
from deals.models import Deal
from forecasting.money import money

ZERO = Value(Decimal(0), output_field=MONEY_SUM_FIELD)
OPEN = Q(status=Deal.Status.OPEN)
WON = Q(status=Deal.Status.WON)


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
