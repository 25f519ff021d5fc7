"""The forecast trend: how a period's forecast moved day by day, from the snapshots."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from deals.expressions import ZERO
from forecasting.dashboards.periods import Period, company_midnight
from forecasting.models import ForecastSnapshot

# The forecast trend shows this many days, ending today or at the period's last day.
TREND_DAYS = 90


@dataclass(frozen=True)
class TrendPoint:
    day: datetime.date
    weighted: Decimal
    won: Decimal

    @property
    def forecast(self) -> Decimal:
        return self.won + self.weighted


def forecast_trend(
    *, owner_ids: tuple[int, ...], period: Period, today: datetime.date
) -> list[TrendPoint]:
    """How the forecast for ``period`` moved, day by day, from the kept snapshots.

    Each recompute writes one snapshot set per pipeline sharing one ``computed_at``, and
    a pipeline × owner × month without deals has no row. A day's figure is, per pipeline,
    the day's last set summed over the owners and the period's months; a day without a
    recompute keeps the pipeline's previous figure. Two queries: each pipeline's last set
    per day (over all rows, so a set holding nothing for these owners still reads as
    zero), and the sums of the rows that concern them.
    """
    last = min(today, period.last_day)
    first = last - datetime.timedelta(days=TREND_DAYS - 1)
    window = ForecastSnapshot.objects.filter(
        computed_at__gte=company_midnight(first),
        computed_at__lt=company_midnight(last + datetime.timedelta(days=1)),
    ).order_by()
    day_sets = (
        window.annotate(day=TruncDate("computed_at", tzinfo=timezone.get_default_timezone()))
        .values("pipeline_id", "day")
        .annotate(last_set=Max("computed_at"))
        .order_by("day")
    )
    sums = {
        (row["pipeline_id"], row["computed_at"]): (row["weighted"], row["won"])
        for row in window.filter(owner_id__in=owner_ids, period__in=period.months)
        .values("pipeline_id", "computed_at")
        .annotate(weighted=Sum("weighted_amount"), won=Sum("won_amount"))
    }
    by_day: dict[datetime.date, dict[int, tuple[Decimal, Decimal]]] = defaultdict(dict)
    for row in day_sets:
        key = (row["pipeline_id"], row["last_set"])
        by_day[row["day"]][row["pipeline_id"]] = sums.get(key, (ZERO, ZERO))
    current: dict[int, tuple[Decimal, Decimal]] = {}
    points = []
    for offset in range(TREND_DAYS):
        day = first + datetime.timedelta(days=offset)
        current.update(by_day.get(day, {}))
        if current:
            points.append(
                TrendPoint(
                    day=day,
                    weighted=sum((weighted for weighted, _ in current.values()), ZERO),
                    won=sum((won for _, won in current.values()), ZERO),
                )
            )
    return points
