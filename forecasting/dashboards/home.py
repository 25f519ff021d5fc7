"""The rep home: my open deals, my forecast against my quota, my activities."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum

from accounts.models import User
from deals.access import visible_through_deal
from deals.expressions import WEIGHTED_VALUE, ZERO
from deals.models import Activity, Deal
from forecasting.dashboards.figures import (
    STALLED_LIST_LIMIT,
    Figures,
    owner_figures,
    stalled_deals,
    user_quotas,
)
from forecasting.dashboards.periods import Period, company_midnight
from forecasting.dashboards.teams import Scope
from forecasting.money import money
from pipelinecrm.calendar import company_today

ACTIVITY_LIST_LIMIT = 15
UPCOMING_DAYS = 7

Status = Deal.Status


@dataclass(frozen=True)
class StageLoad:
    pipeline_name: str
    pipeline_id: int
    stage_name: str
    count: int
    value: Decimal
    weighted: Decimal


def open_deals_by_stage(*, scope: Scope) -> list[StageLoad]:
    """Open deals per pipeline and stage, in board order. One query."""
    rows = (
        scope.deals()
        .filter(status=Status.OPEN)
        .order_by()
        .values("pipeline_id", "pipeline__name", "stage__name", "stage__position")
        .annotate(count=Count("pk"), total=Sum("value"), weighted=Sum(WEIGHTED_VALUE))
        .order_by("pipeline__name", "pipeline_id", "stage__position")
    )
    return [
        StageLoad(
            pipeline_name=row["pipeline__name"],
            pipeline_id=row["pipeline_id"],
            stage_name=row["stage__name"],
            count=row["count"],
            value=money(row["total"]),
            weighted=money(row["weighted"]),
        )
        for row in rows
    ]


@dataclass
class ActivityBucket:
    count: int
    activities: list[Activity] = field(default_factory=list)


@dataclass
class ActivityBuckets:
    overdue: ActivityBucket
    today: ActivityBucket
    upcoming: ActivityBucket


def activity_buckets(*, user: User, now: datetime.datetime) -> ActivityBuckets:
    """The user's open activities: overdue (due before now), due later today, and due in
    the UPCOMING_DAYS days after today — days of the company time zone. Four queries:
    the counts, then the first ACTIVITY_LIST_LIMIT of each bucket."""
    today = company_today(now)
    tomorrow = company_midnight(today + datetime.timedelta(days=1))
    horizon = company_midnight(today + datetime.timedelta(days=1 + UPCOMING_DAYS))
    # A deal handed over to someone the user may not follow takes its activities along
    # (docs/domain/roles-and-visibility.md): each of the user's
    # open activities (a partial index finds them) is checked
    # against its own deal.
    mine = visible_through_deal(
        Activity.objects.filter(owner=user, done_at__isnull=True, due_at__isnull=False), user
    )
    bounds = {
        "overdue": Q(due_at__lt=now),
        "today": Q(due_at__gte=now, due_at__lt=tomorrow),
        "upcoming": Q(due_at__gte=tomorrow, due_at__lt=horizon),
    }
    counts = mine.aggregate(**{name: Count("pk", filter=q) for name, q in bounds.items()})
    listed = mine.select_related("deal").order_by("due_at", "pk")
    return ActivityBuckets(
        **{
            name: ActivityBucket(
                count=counts[name], activities=list(listed.filter(q)[:ACTIVITY_LIST_LIMIT])
            )
            for name, q in bounds.items()
        }
    )


@dataclass
class RepHome:
    user: User
    period: Period
    stages: list[StageLoad]
    figures: Figures
    activities: ActivityBuckets
    stalled: list[Deal]

    @property
    def open_count(self) -> int:
        return sum(s.count for s in self.stages)

    @property
    def open_value(self) -> Decimal:
        return sum((s.value for s in self.stages), ZERO)

    @property
    def open_weighted(self) -> Decimal:
        return sum((s.weighted for s in self.stages), ZERO)


def rep_home(*, user: User, now: datetime.datetime) -> RepHome:
    """The signed-in user's own pipeline, this month's forecast and quota, activities."""
    today = company_today(now)
    period = Period.of("month", today)
    scope = Scope.own(user)
    figures = owner_figures(scope=scope, period=period, now=now).get(user.pk) or Figures()
    figures.quota = user_quotas(user_ids=[user.pk], period=period).get(user.pk)
    return RepHome(
        user=user,
        period=period,
        stages=open_deals_by_stage(scope=scope),
        figures=figures,
        activities=activity_buckets(user=user, now=now),
        stalled=stalled_deals(scope=scope, now=now, limit=STALLED_LIST_LIMIT),
    )
