"""Forecast history and quotas for the demo company (``manage.py seed_forecasting_demo``).

A trend needs history, and a fresh demo has only today's snapshots. This writes, for each
of the last N days, a backdated copy of the current snapshot sets with small deterministic
variations (the same seed gives the same history), and monthly quotas for −6 … +6 months:
one per person with a forecast this month, a little above it, and one for the first team
only, so the dashboard shows both a team's own quota and the sum of its members'.

deals/ knows nothing of this: forecasting builds on deals, never the reverse.
"""

import datetime
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from accounts.models import Team, TeamMembership
from forecasting.calendar import month_shift
from forecasting.models import ForecastSnapshot, Quota
from forecasting.services.forecast import forecasts_recompute
from pipelinecrm.calendar import company_today

QUOTA_MONTHS = 6  # either side of the current month
QUOTA_STRETCH = Decimal("1.1")  # quotas sit a little above the forecast
QUOTA_ROUNDING = Decimal(1000)
BATCH = 2000


@dataclass(frozen=True)
class ForecastDemoSummary:
    snapshots: int
    quotas: int


def _money(amount: Decimal) -> Decimal:
    return max(amount, Decimal(0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def demo_forecast_history(
    *, days: int = 30, seed: int = 1, now: datetime.datetime | None = None
) -> int:
    """Backdate ``days`` daily copies of the newest snapshot set of every pipeline.

    Going back in time the weighted and open amounts drift a little lower (deals were
    added since) with ±2 % noise, and the current month's won amount shrinks towards its
    start (fewer deals had closed yet); figures of months that had not begun by that day
    are copied as they are. Returns the number of rows written.
    """
    now = now or timezone.now()
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not a secret
    newest = ForecastSnapshot.objects.values("pipeline_id").annotate(latest=Max("computed_at"))
    latest = {row["pipeline_id"]: row["latest"] for row in newest}
    current = list(
        ForecastSnapshot.objects.filter(
            computed_at__in=latest.values(), pipeline_id__in=latest.keys()
        ).order_by("pipeline_id", "owner_id", "period")
    )
    current = [row for row in current if row.computed_at == latest[row.pipeline_id]]
    this_month = company_today(now).replace(day=1)
    day_of_month = company_today(now).day
    rows = []
    for days_back in range(1, days + 1):
        computed_at = now - datetime.timedelta(days=days_back)
        for pipeline_id in sorted(latest):
            drift = Decimal(1 - 0.004 * days_back + rng.uniform(-0.02, 0.02))
            won_share = Decimal(max(0, day_of_month - days_back) / day_of_month)
            for row in (r for r in current if r.pipeline_id == pipeline_id):
                won = row.won_amount * won_share if row.period == this_month else row.won_amount
                rows.append(
                    ForecastSnapshot(
                        pipeline_id=row.pipeline_id,
                        owner_id=row.owner_id,
                        period=row.period,
                        weighted_amount=_money(row.weighted_amount * drift),
                        open_amount=_money(row.open_amount * drift),
                        won_amount=_money(won),
                        deal_count=row.deal_count,
                        computed_at=computed_at,
                    )
                )
    ForecastSnapshot.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def _quota_amount(forecast: Decimal) -> Decimal:
    """This month's forecast × QUOTA_STRETCH, rounded to a thousand, at least a thousand."""
    return max(
        QUOTA_ROUNDING,
        (forecast * QUOTA_STRETCH / QUOTA_ROUNDING).quantize(Decimal(1)) * QUOTA_ROUNDING,
    )


def demo_quotas(*, now: datetime.datetime | None = None) -> int:
    """Monthly quotas for −6 … +6 months, the same each month: a little above each deal
    owner's forecast for this month (from the newest snapshots), so this month's dashboard
    shows a team close to its target; the first team (by name) gets its own quota, the
    others fall back to the sum of their members'."""
    now = now or timezone.now()
    this_month = company_today(now).replace(day=1)
    months = [month_shift(this_month, n) for n in range(-QUOTA_MONTHS, QUOTA_MONTHS + 1)]
    newest = ForecastSnapshot.objects.values("pipeline_id").annotate(latest=Max("computed_at"))
    forecast = (
        ForecastSnapshot.objects.filter(
            period=this_month, computed_at__in=[row["latest"] for row in newest]
        )
        .order_by()
        .values("owner_id")
        .annotate(total=Sum("weighted_amount") + Sum("won_amount"))
    )
    monthly = {row["owner_id"]: _quota_amount(row["total"]) for row in forecast}
    quotas = [
        Quota(user_id=user_id, month=month, amount=amount)
        for user_id, amount in sorted(monthly.items())
        for month in months
    ]
    team = Team.objects.order_by("name").first()
    if team is not None:
        member_ids = TeamMembership.objects.filter(team=team).values_list("user_id", flat=True)
        team_amount = sum((monthly.get(user_id, Decimal(0)) for user_id in member_ids), Decimal(0))
        if team_amount:
            quotas += [Quota(team=team, month=month, amount=team_amount) for month in months]
    Quota.objects.bulk_create(quotas, batch_size=BATCH)
    return len(quotas)


@transaction.atomic
def demo_forecasting_seed(*, days: int, seed: int) -> ForecastDemoSummary:
    """Today's snapshots (a real recompute), their backdated history, and quotas."""
    now = timezone.now()
    written = forecasts_recompute(now=now)
    written += demo_forecast_history(days=days, seed=seed, now=now)
    return ForecastDemoSummary(snapshots=written, quotas=demo_quotas(now=now))
