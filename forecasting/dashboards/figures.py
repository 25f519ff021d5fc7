"""Figures per owner for a period (forecast, won, lost, cycle, stalls), quotas, lost
reasons and the stalled-deals list."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum

from accounts.models import Team
from deals.expressions import ZERO
from deals.models import Deal
from forecasting.dashboards.periods import Period
from forecasting.dashboards.teams import Scope
from forecasting.forecast_rules import forecast_deals
from forecasting.models import Quota
from forecasting.money import money
from forecasting.quota_rules import quota_for
from forecasting.selectors import forecast_live

STALLED_LIST_LIMIT = 50

Status = Deal.Status


@dataclass
class Figures:
    """One owner's (or, summed, a team's) numbers for a period."""

    open_value: Decimal = ZERO  # open deals counting in the period
    weighted: Decimal = ZERO
    open_count: int = 0
    won_value: Decimal = ZERO  # closed won in the period
    won_count: int = 0
    won_valued: int = 0  # won deals with a known value: the average deal size divides by it
    lost_count: int = 0
    cycle_total: datetime.timedelta = datetime.timedelta(0)  # created → closed, won deals
    stalled: int = 0  # open deals flagged stalled now
    pipeline_value: Decimal = ZERO  # every open deal, whatever its close date
    pipeline_count: int = 0
    quota: Decimal | None = None

    def __add__(self, other: "Figures") -> "Figures":
        """The sum of two owners' figures; a team's quota is its own (``team_quota``)."""
        return Figures(
            open_value=self.open_value + other.open_value,
            weighted=self.weighted + other.weighted,
            open_count=self.open_count + other.open_count,
            won_value=self.won_value + other.won_value,
            won_count=self.won_count + other.won_count,
            won_valued=self.won_valued + other.won_valued,
            lost_count=self.lost_count + other.lost_count,
            cycle_total=self.cycle_total + other.cycle_total,
            stalled=self.stalled + other.stalled,
            pipeline_value=self.pipeline_value + other.pipeline_value,
            pipeline_count=self.pipeline_count + other.pipeline_count,
        )

    @property
    def forecast(self) -> Decimal:
        """Won in the period, in full, plus the weighted open deals
        counting in it (docs/domain/stalls-and-forecast.md)."""
        return self.won_value + self.weighted

    @property
    def win_rate(self) -> Decimal | None:
        closed = self.won_count + self.lost_count
        return percent(self.won_count, closed)

    @property
    def average_deal_size(self) -> Decimal | None:
        if not self.won_valued:
            return None
        return (self.won_value / self.won_valued).quantize(Decimal("0.01"))

    @property
    def average_cycle_days(self) -> Decimal | None:
        if not self.won_count:
            return None
        days = Decimal(self.cycle_total.total_seconds()) / 86400 / self.won_count
        return days.quantize(Decimal("0.1"))

    @property
    def attainment(self) -> Decimal | None:
        """Forecast as a percentage of the quota (none without a quota, or a zero one)."""
        return percent(self.forecast, self.quota or 0)


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def period_deals(*, deals: QuerySet[Deal], period: Period, today: datetime.date) -> QuerySet:
    """``deals`` that count in the period's forecast, by the
    forecast job's own rule (docs/domain/stalls-and-forecast.md)."""
    return forecast_deals(
        deals,
        today=today,
        first_month=period.start,
        last_month=period.months[-1],
        unscheduled=False,
    )


def owner_figures(*, scope: Scope, period: Period, now: datetime.datetime) -> dict[int, Figures]:
    """Figures per owner id; owners without deals are absent. Two queries.

    The forecast columns (weighted, open, won) come from ``forecast_live``, the forecast
    job's own definition, so the dashboard, the snapshots and the forecast API agree to
    the cent; the second query adds what the forecast does not know (lost deals, sales
    cycle, stalls, the whole open pipeline).
    """
    forecast = forecast_live(
        deals_queryset=scope.deals(),
        group_by="owner",
        date_from=period.start,
        date_to=period.last_day,
        now=now,
    )
    is_open = Q(status=Status.OPEN)
    won = period.closed_q() & Q(status=Status.WON)
    lost = period.closed_q() & Q(status=Status.LOST)
    cycle = ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField())
    activity = (
        scope.deals()
        .filter(is_open | period.closed_q())
        .order_by()
        .values("owner_id")
        .annotate(
            won_count=Count("pk", filter=won),
            won_valued=Count("value", filter=won),
            lost_count=Count("pk", filter=lost),
            cycle_total=Sum(cycle, filter=won),
            stalled=Count("pk", filter=is_open & Q(is_stalled=True)),
            pipeline_value=Sum("value", filter=is_open),
            pipeline_count=Count("pk", filter=is_open),
        )
    )
    figures: dict[int, Figures] = defaultdict(Figures)
    for row in forecast:
        owner = figures[row["key"]]
        owner.weighted, owner.open_value = row["weighted"], row["open"]
        owner.won_value, owner.open_count = row["won"], row["count"]
    for row in activity:
        owner = figures[row.pop("owner_id")]
        owner.won_count, owner.won_valued = row["won_count"], row["won_valued"]
        owner.lost_count, owner.stalled = row["lost_count"], row["stalled"]
        owner.cycle_total = row["cycle_total"] or datetime.timedelta(0)
        owner.pipeline_value = money(row["pipeline_value"])
        owner.pipeline_count = row["pipeline_count"]
    return dict(figures)


# -- Quotas --------------------------------------------------------------------------------


def user_quotas(*, user_ids: list[int], period: Period) -> dict[int, Decimal]:
    """Each user's quota for the period (the sum of its months), in one query.

    Users without any quota month in the period are absent: "no quota", not zero.
    """
    rows = (
        Quota.objects.filter(user_id__in=user_ids, month__gte=period.start, month__lt=period.end)
        .order_by()
        .values("user_id")
        .annotate(total=Sum("amount"))
    )
    return {row["user_id"]: row["total"] for row in rows}


def team_quota(*, team: Team, period: Period) -> Decimal | None:
    """The team's quota for the period; a team without
    its own uses its members' (docs/domain/deals.md)."""
    return quota_for(team, period.start, period.months[-1])


@dataclass(frozen=True)
class LostReasonFigures:
    reason: str
    count: int
    value: Decimal


def lost_reasons(*, scope: Scope, period: Period) -> list[LostReasonFigures]:
    """Lost count and value by reason for the period, most frequent first. One query."""
    rows = (
        scope.deals()
        .filter(period.closed_q(), status=Status.LOST)
        .order_by()
        .values("lost_reason__name")
        .annotate(count=Count("pk"), total=Sum("value"))
        .order_by("-count", "lost_reason__name")
    )
    return [
        LostReasonFigures(
            reason=row["lost_reason__name"], count=row["count"], value=money(row["total"])
        )
        for row in rows
    ]


def stalled_deals(*, scope: Scope, now: datetime.datetime, limit: int) -> list[Deal]:
    """Stalled open deals, longest stalled first, with ``days_stalled``
    (whole days, docs/domain/stalls-and-forecast.md)."""
    deals = list(
        scope.deals()
        .filter(status=Status.OPEN, is_stalled=True)
        .select_related("owner", "stage", "pipeline")
        .order_by("stalled_since", "pk")[:limit]
    )
    for deal in deals:
        deal.days_stalled = (now - deal.stalled_since).days if deal.stalled_since else 0
    return deals
