"""Reads for the dashboards (PRODUCT.md §6): the team dashboard, the rep home, lost
reasons, checklist analytics and data-driven stage probabilities.

Every figure is an SQL aggregate and every function costs a fixed number of queries,
whatever the number of deals. Months, quarters, "today" and day counts are those of the
company time zone (TIME_ZONE, §2): periods are compared as aware datetimes at its
midnights, so a deal closed at 23:30 on the last evening of a month counts in that month.

Whose deals a dashboard counts is a ``Scope`` of owners, made only once the viewer was
allowed the team (see ``Scope`` for why that is exactly what they may see).
"""

import dataclasses
import datetime
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.http import Http404
from django.utils import timezone

from accounts.models import Role, Team, TeamMembership, User
from deals.access import visible_through_deal
from deals.expressions import MONEY_SUM_FIELD, WEIGHTED_VALUE, ZERO
from deals.models import Activity, ChecklistCheck, Deal, MoveRefusal, StageChange
from forecasting.models import ForecastSnapshot, Quota
from forecasting.selectors import forecast_live
from forecasting.services.forecast import (
    company_today,
    forecast_deals,
    forecast_totals,
    money,
    month_shift,
)
from forecasting.services.quotas import quota_for
from pipelines.models import ChecklistItem, Pipeline, Stage

# Below this many closed deals an observed win rate is noise, not evidence.
MIN_TRUSTED_SAMPLE = 20
# Observed win rates look at deals closed within this many days.
OBSERVED_WINDOW_DAYS = 365
# The forecast trend shows this many days, ending today or at the period's last day.
TREND_DAYS = 90
STALLED_LIST_LIMIT = 50
ACTIVITY_LIST_LIMIT = 15
UPCOMING_DAYS = 7

Status = Deal.Status


# -- Periods in the company time zone ------------------------------------------------------


def company_midnight(day: datetime.date) -> datetime.datetime:
    """The instant ``day`` begins in the company time zone."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_default_timezone())


@dataclass(frozen=True)
class Period:
    """A calendar month or quarter: ``start`` its first day, ``end`` the first day after."""

    kind: str
    start: datetime.date
    end: datetime.date

    KINDS = ("month", "quarter")

    @classmethod
    def of(cls, kind: str, day: datetime.date) -> "Period":
        if kind == "quarter":
            start = datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
            return cls("quarter", start, month_shift(start, 3))
        start = day.replace(day=1)
        return cls("month", start, month_shift(start, 1))

    @classmethod
    def from_query(cls, params, *, today: datetime.date) -> "Period":
        """``?period=month|quarter&date=YYYY-MM``; anything else means this month."""
        kind = params.get("period", "month")
        day = today
        match = re.fullmatch(r"(\d{4})-(\d{2})", params.get("date", "").strip())
        if match and 1900 <= int(match[1]) <= 2999 and 1 <= int(match[2]) <= 12:
            day = datetime.date(int(match[1]), int(match[2]), 1)
        return cls.of(kind if kind in cls.KINDS else "month", day)

    @property
    def months(self) -> list[datetime.date]:
        count = 3 if self.kind == "quarter" else 1
        return [month_shift(self.start, n) for n in range(count)]

    @property
    def last_day(self) -> datetime.date:
        return self.end - datetime.timedelta(days=1)

    @property
    def label(self) -> str:
        if self.kind == "quarter":
            return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
        return self.start.strftime("%B %Y")

    @property
    def start_at(self) -> datetime.datetime:
        return company_midnight(self.start)

    @property
    def end_at(self) -> datetime.datetime:
        return company_midnight(self.end)

    def shifted(self, steps: int) -> "Period":
        return Period.of(self.kind, month_shift(self.start, steps * len(self.months)))

    def query(self) -> dict[str, str]:
        return {"period": self.kind, "date": self.start.strftime("%Y-%m")}

    def closed_q(self, prefix: str = "") -> Q:
        return Q(
            **{f"{prefix}closed_at__gte": self.start_at, f"{prefix}closed_at__lt": self.end_at}
        )

    def changed_q(self, field_name: str) -> Q:
        return Q(**{f"{field_name}__gte": self.start_at, f"{field_name}__lt": self.end_at})


# -- Who may open which dashboard ----------------------------------------------------------


def dashboard_teams(*, user: User) -> QuerySet[Team]:
    """Admins open any team's dashboard, managers the teams they manage, reps none (§1)."""
    if user.role == Role.ADMIN:
        return Team.objects.order_by("name")
    if user.role == Role.MANAGER:
        return Team.objects.filter(
            memberships__user=user, memberships__kind=TeamMembership.Kind.MANAGER
        ).order_by("name")
    return Team.objects.none()


def dashboard_team_choice(*, user: User, team_id: int) -> tuple[Team, list[Team]]:
    """The team asked for and every team the user may open (for the team picker), in one
    query. A team the user may not open answers 404, never 403 (§1)."""
    teams = list(dashboard_teams(user=user))
    team = next((team for team in teams if team.pk == team_id), None)
    if team is None:
        raise Http404("No such team.")
    return team, teams


@dataclass(frozen=True)
class TeamPerson:
    user: User
    is_manager: bool


def team_people(*, team: Team) -> list[TeamPerson]:
    """Members, then managers: a selling manager's deals are part of the team's number."""
    memberships = (
        TeamMembership.objects.filter(team=team)
        .select_related("user")
        .order_by("-kind", "user__first_name", "user__last_name", "user__username")
    )
    return [
        TeamPerson(user=m.user, is_manager=m.kind == TeamMembership.Kind.MANAGER)
        for m in memberships
    ]


@dataclass(frozen=True)
class Scope:
    """The deals a dashboard counts: those owned by ``owner_ids`` (on ``pipeline`` if given).

    Made only by ``of_team`` and ``own``, which stand for the visibility check: a team's
    figures open only to admins and the team's managers (``dashboard_team_choice``), and a
    manager sees every deal owned by a member or manager of a team they manage (§1,
    deals/access.py); everyone sees their own deals. So filtering by owner is exactly what
    the viewer may see, and the history tables (stage changes, ticks, refusals) join their
    deal's owner instead of a visibility subquery, which PostgreSQL plans far better at
    dashboard sizes. tests/forecasting/test_dashboard_pages.py checks the equivalence.
    """

    owner_ids: tuple[int, ...]
    pipeline: Pipeline | None = None

    @classmethod
    def of_team(cls, people: list[TeamPerson]) -> "Scope":
        return cls(owner_ids=tuple(person.user.pk for person in people))

    @classmethod
    def own(cls, user: User) -> "Scope":
        return cls(owner_ids=(user.pk,))

    def on(self, pipeline: Pipeline) -> "Scope":
        return dataclasses.replace(self, pipeline=pipeline)

    def deals(self) -> QuerySet[Deal]:
        deals = Deal.objects.filter(owner_id__in=self.owner_ids)
        return deals if self.pipeline is None else deals.filter(pipeline=self.pipeline)

    def of_deal(self, path: str = "deal__") -> Q:
        """Rows of a history table whose deal (reached by ``path``) is in the scope."""
        return Q(**{f"{path}owner_id__in": self.owner_ids})


# -- Figures per owner ---------------------------------------------------------------------


@dataclass
class Figures:
    """One owner's (or, summed, a team's) numbers for a period."""

    open_value: Decimal = ZERO  # open deals counting in the period (§5)
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
        """Won in the period, in full, plus the weighted open deals counting in it (§5)."""
        return self.won_value + self.weighted

    @property
    def win_rate(self) -> Decimal | None:
        closed = self.won_count + self.lost_count
        return _percent(self.won_count, closed)

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
        return _percent(self.forecast, self.quota or 0)


def _percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def period_deals(*, deals: QuerySet[Deal], period: Period, today: datetime.date) -> QuerySet:
    """``deals`` that count in the period's forecast, by the forecast job's own rule (§5)."""
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
    """The team's quota for the period; a team without its own uses its members' (§2)."""
    return quota_for(team, period.start, period.months[-1])


# -- The forecast trend --------------------------------------------------------------------


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


# -- Stages --------------------------------------------------------------------------------


@dataclass
class StageFigures:
    stage: Stage
    entered: int = 0  # deals that entered the stage in the period
    converted: int = 0  # … and later entered a higher stage or were won
    left: int = 0  # stage changes out of the stage in the period
    time_total: datetime.timedelta = datetime.timedelta(0)

    @property
    def conversion(self) -> Decimal | None:
        return _percent(self.converted, self.entered)

    @property
    def average_days(self) -> Decimal | None:
        if not self.left:
            return None
        return (Decimal(self.time_total.total_seconds()) / 86400 / self.left).quantize(
            Decimal("0.1")
        )


def pipeline_stages(*, pipeline: Pipeline) -> list[Stage]:
    return list(pipeline.stages.order_by("position", "id"))


def stage_figures(
    *, scope: Scope, pipeline: Pipeline, period: Period, now: datetime.datetime
) -> list[StageFigures]:
    """Conversion to the next stage and average time in stage, per stage (§6). One query.

    A deal *passed through* a stage when a stage change entered it; it converted when a
    later stage change took it to a higher stage of the same pipeline, or it was won.
    Time in stage is ``time_in_from_stage`` of the changes that left it in the period.
    Archived stages are listed only when the period has history in them.

    The stage changes since the period began are first reduced to one row per deal — per
    stage, its first entry in the period, its last entry into any higher stage, its exits
    and their time — and those rows are then counted per stage. That gives each deal's
    conversion without a correlated subquery per stage change and without COUNT(DISTINCT),
    the two costs that dominate at dashboard sizes. For a period that has ended, only the
    deals with a change in it are read; in a current one, every change since it began is.
    """
    stages = pipeline_stages(pipeline=pipeline)
    in_period = period.changed_q("changed_at")
    per_deal, per_stage = {}, {}
    for stage in stages:
        key = stage.pk
        entered = Q(**{f"first_entry_{key}__isnull": False})
        per_deal |= {
            f"first_entry_{key}": Min("changed_at", filter=in_period & Q(to_stage_id=key)),
            f"last_above_{key}": Max(
                "changed_at",
                filter=Q(to_stage__pipeline=pipeline, to_stage__position__gt=stage.position),
            ),
            f"exits_{key}": Count(
                "pk", filter=in_period & Q(from_stage_id=key, time_in_from_stage__isnull=False)
            ),
            f"time_{key}": Sum("time_in_from_stage", filter=in_period & Q(from_stage_id=key)),
        }
        later = Q(**{f"last_above_{key}__gt": F(f"first_entry_{key}")})
        per_stage |= {
            f"entered_{key}": Count("deal_id", filter=entered),
            f"converted_{key}": Count(
                "deal_id", filter=entered & (later | Q(deal__status=Status.WON))
            ),
            f"left_{key}": Sum(f"exits_{key}"),
            f"time_total_{key}": Sum(f"time_{key}"),
        }
    touches_pipeline = Q(to_stage__pipeline=pipeline) | Q(from_stage__pipeline=pipeline)
    changes = StageChange.objects.filter(
        scope.of_deal(), touches_pipeline, changed_at__gte=period.start_at
    )
    if period.end_at <= now:
        # Only deals with a change in the period matter; their later changes do too.
        changes = changes.filter(
            deal_id__in=changes.filter(changed_at__lt=period.end_at).values("deal_id")
        )
    totals = (
        changes.values("deal_id", "deal__status").annotate(**per_deal).aggregate(**per_stage)
        if stages
        else {}
    )
    figures = [
        StageFigures(
            stage=stage,
            entered=totals[f"entered_{stage.pk}"],
            converted=totals[f"converted_{stage.pk}"],
            left=totals[f"left_{stage.pk}"] or 0,
            time_total=totals[f"time_total_{stage.pk}"] or datetime.timedelta(0),
        )
        for stage in stages
    ]
    return [f for f in figures if not f.stage.is_archived or f.entered or f.left]


# -- Lost reasons and stalled deals --------------------------------------------------------


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
    """Stalled open deals, longest stalled first, with ``days_stalled`` (whole days, §5)."""
    deals = list(
        scope.deals()
        .filter(status=Status.OPEN, is_stalled=True)
        .select_related("owner", "stage", "pipeline")
        .order_by("stalled_since", "pk")[:limit]
    )
    for deal in deals:
        deal.days_stalled = (now - deal.stalled_since).days if deal.stalled_since else 0
    return deals


# -- The team dashboard --------------------------------------------------------------------


@dataclass
class PersonRow:
    person: TeamPerson
    figures: Figures


@dataclass
class TeamDashboard:
    team: Team
    period: Period
    rows: list[PersonRow]
    totals: Figures  # with the team's quota
    trend: list[TrendPoint]
    pipeline: Pipeline | None
    stages: list[StageFigures]
    lost_reasons: list[LostReasonFigures]
    stalled: list[Deal]

    @property
    def lost_total(self) -> LostReasonFigures:
        return LostReasonFigures(
            reason="All reasons",
            count=sum(r.count for r in self.lost_reasons),
            value=sum((r.value for r in self.lost_reasons), ZERO),
        )


def team_dashboard(
    *,
    team: Team,
    period: Period,
    pipeline: Pipeline | None,
    now: datetime.datetime,
) -> TeamDashboard:
    today = company_today(now)
    people = team_people(team=team)
    scope = Scope.of_team(people)
    by_owner = owner_figures(scope=scope, period=period, now=now)
    quotas = user_quotas(user_ids=list(scope.owner_ids), period=period)
    rows = []
    for person in people:
        figures = by_owner.get(person.user.pk) or Figures()
        figures.quota = quotas.get(person.user.pk)
        rows.append(PersonRow(person=person, figures=figures))
    totals = sum((row.figures for row in rows), Figures())
    totals.quota = team_quota(team=team, period=period)
    return TeamDashboard(
        team=team,
        period=period,
        rows=rows,
        totals=totals,
        trend=forecast_trend(owner_ids=scope.owner_ids, period=period, today=today),
        pipeline=pipeline,
        stages=[]
        if pipeline is None
        else stage_figures(scope=scope, pipeline=pipeline, period=period, now=now),
        lost_reasons=lost_reasons(scope=scope, period=period),
        stalled=stalled_deals(scope=scope, now=now, limit=STALLED_LIST_LIMIT),
    )


# -- Data-driven probabilities -------------------------------------------------------------


@dataclass
class StageProbability:
    stage: Stage
    closed: int = 0  # deals that passed through the stage and closed in the window
    won: int = 0

    @property
    def configured(self) -> int:
        return self.stage.probability

    @property
    def observed(self) -> Decimal | None:
        return _percent(self.won, self.closed)

    @property
    def trusted(self) -> bool:
        return self.closed >= MIN_TRUSTED_SAMPLE

    @property
    def used(self) -> Decimal:
        """The rate the data-driven forecast uses: observed when the sample is large enough."""
        observed = self.observed
        return observed if self.trusted and observed is not None else Decimal(self.configured)


@dataclass
class ProbabilityReport:
    pipeline: Pipeline
    stages: list[StageProbability]
    configured_forecast: Figures
    observed_weighted: Decimal

    @property
    def observed_forecast(self) -> Decimal:
        return self.configured_forecast.won_value + self.observed_weighted


def stage_probabilities(
    *, scope: Scope, pipeline: Pipeline, now: datetime.datetime
) -> list[StageProbability]:
    """Per stage, the win rate of deals that passed through it and closed in the last
    OBSERVED_WINDOW_DAYS: won ÷ (won + lost), counted once per deal. One query: the stage
    changes are reduced to one row per deal (how often it entered each stage), then
    counted per stage, as in ``stage_figures``."""
    stages = pipeline_stages(pipeline=pipeline)
    since = now - datetime.timedelta(days=OBSERVED_WINDOW_DAYS)
    per_deal = {f"entries_{s.pk}": Count("pk", filter=Q(to_stage_id=s.pk)) for s in stages}
    per_stage = {}
    for stage in stages:
        passed = Q(**{f"entries_{stage.pk}__gt": 0})
        per_stage |= {
            f"closed_{stage.pk}": Count("deal_id", filter=passed),
            f"won_{stage.pk}": Count("deal_id", filter=passed & Q(deal__status=Status.WON)),
        }
    totals = (
        StageChange.objects.filter(
            scope.of_deal(),
            to_stage__pipeline=pipeline,
            deal__status__in=[Status.WON, Status.LOST],
            deal__closed_at__gte=since,
        )
        .values("deal_id", "deal__status")
        .annotate(**per_deal)
        .aggregate(**per_stage)
        if stages
        else {}
    )
    figures = [
        StageProbability(
            stage=stage, closed=totals[f"closed_{stage.pk}"], won=totals[f"won_{stage.pk}"]
        )
        for stage in stages
    ]
    return [f for f in figures if not f.stage.is_archived or f.closed]


def probability_report(
    *, scope: Scope, pipeline: Pipeline, period: Period, now: datetime.datetime
) -> ProbabilityReport:
    """The pipeline's forecast for the period with configured and with observed rates.

    Stages whose sample is too small keep their configured rate. A deal's own probability
    override is kept in both: it is a person's judgement of that deal, which a stage
    average does not replace. Two queries.
    """
    today = company_today(now)
    stages = stage_probabilities(scope=scope, pipeline=pipeline, now=now)
    observed_rate = Case(
        *[When(stage_id=s.stage.pk, then=Value(s.used)) for s in stages],
        default=F("stage__probability"),
        output_field=MONEY_SUM_FIELD,
    )
    observed_value = ExpressionWrapper(
        F("value") * Coalesce("probability_override", observed_rate) / Value(Decimal(100)),
        output_field=MONEY_SUM_FIELD,
    )
    totals = period_deals(deals=scope.on(pipeline).deals(), period=period, today=today).aggregate(
        **forecast_totals(today=today),
        observed=Sum(observed_value, filter=Q(status=Status.OPEN)),
    )
    configured = Figures(
        weighted=money(totals["weighted"]),
        open_value=money(totals["open"]),
        won_value=money(totals["won"]),
        open_count=totals["count"],
    )
    return ProbabilityReport(
        pipeline=pipeline,
        stages=stages,
        configured_forecast=configured,
        observed_weighted=money(totals["observed"]),
    )


# -- Checklist analytics -------------------------------------------------------------------


class Median(Aggregate):
    """PostgreSQL's exact median (``percentile_cont``); it accepts intervals."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


@dataclass
class ItemFigures:
    """One checklist item over the period: what it cost and whether it predicts wins."""

    item: ChecklistItem
    blocked: int = 0  # refused moves that named it missing
    overrides: int = 0  # stage changes that overrode it
    passes: int = 0  # forward stage changes that had to satisfy it
    median_to_done: datetime.timedelta | None = None  # stage entered → ticked (manual items)
    done_closed: int = 0  # deals closed in the period with the item ticked …
    done_won: int = 0
    overridden_closed: int = 0  # … and with the item overridden
    overridden_won: int = 0

    @property
    def override_rate(self) -> Decimal | None:
        return _percent(self.overrides, self.passes)

    @property
    def done_win_rate(self) -> Decimal | None:
        return _percent(self.done_won, self.done_closed)

    @property
    def overridden_win_rate(self) -> Decimal | None:
        return _percent(self.overridden_won, self.overridden_closed)

    @property
    def median_days(self) -> Decimal | None:
        if self.median_to_done is None:
            return None
        return (Decimal(self.median_to_done.total_seconds()) / 86400).quantize(Decimal("0.1"))

    @property
    def has_history(self) -> bool:
        return bool(self.blocked or self.overrides or self.passes or self.done_closed)


def _grouped(queryset: QuerySet, key: str, **aggregates) -> dict[int, dict]:
    return {
        row[key]: row for row in queryset.order_by().values(key).annotate(**aggregates).order_by()
    }


def tick_waits(*, scope: Scope, pipeline: Pipeline, period: Period) -> QuerySet:
    """Ticks of the period with their ``wait``: from the deal entering the item's stage
    to the tick.

    The entry is the deal's latest stage change into that stage at or before the tick
    (a tick made before the deal ever entered, as entry items may be, has none: its wait
    is NULL and the medians leave it out). PostgreSQL takes the median in SQL
    (``medians_in_sql``); SQLite, which `make run` uses and which lacks
    ``percentile_cont``, reads the waits in one query and takes it in Python
    (``medians_in_python``).
    """
    entered = (
        StageChange.objects.filter(
            deal_id=OuterRef("deal_id"),
            to_stage_id=OuterRef("item__stage_id"),
            changed_at__lte=OuterRef("checked_at"),
        )
        .order_by("-changed_at")
        .values("changed_at")[:1]
    )
    waits = (
        ChecklistCheck.objects.filter(
            period.changed_q("checked_at"),
            scope.of_deal(),
            item__stage__pipeline=pipeline,
        )
        # A tick with no entry before it has a NULL wait, which the median skips: filtering
        # on the subquery instead would make PostgreSQL run it twice per tick.
        .annotate(
            wait=ExpressionWrapper(
                F("checked_at") - Subquery(entered), output_field=DurationField()
            )
        )
        .order_by()
    )
    return waits


def medians_in_sql(waits: QuerySet) -> dict[int, datetime.timedelta]:
    """Median ``wait`` per item, computed by PostgreSQL."""
    rows = waits.values("item_id").annotate(median=Median("wait"))
    return {row["item_id"]: row["median"] for row in rows if row["median"] is not None}


def medians_in_python(waits: QuerySet) -> dict[int, datetime.timedelta]:
    """Median ``wait`` per item from one query's rows, for databases without a median."""
    by_item: dict[int, list[datetime.timedelta]] = defaultdict(list)
    for item_id, wait in waits.values_list("item_id", "wait"):
        if wait is not None:
            by_item[item_id].append(wait)
    return {item_id: statistics.median(values) for item_id, values in by_item.items()}


def checklist_figures(*, scope: Scope, pipeline: Pipeline, period: Period) -> list[ItemFigures]:
    """Per checklist item of the pipeline (§6): moves it blocked, how often it was
    overridden (of the forward stage changes that had to satisfy it), the median time to
    tick it, and the win rate of deals closed in the period where it was ticked versus
    overridden. Seven queries.

    Only manual items are ticked (ChecklistCheck); field and activity items are evaluated
    when a deal moves, so they have no tick time and no "done" win rate.
    """
    items = list(
        ChecklistItem.objects.filter(stage__pipeline=pipeline)
        .select_related("stage")
        .order_by("stage__position", "kind", "position", "pk")
    )
    refusals = MoveRefusal.missing_items.through.objects.filter(
        period.changed_q("moverefusal__created_at"),
        scope.of_deal("moverefusal__deal__"),
        checklistitem__stage__pipeline=pipeline,
    )
    overridden = StageChange.overridden_items.through.objects.filter(
        checklistitem__stage__pipeline=pipeline
    )
    changes = StageChange.objects.filter(period.changed_q("changed_at"), scope.of_deal())
    forward = changes.filter(from_stage__isnull=False)
    blocked = _grouped(refusals, "checklistitem_id", n=Count("pk"))
    # The period's changes are found first: they are far fewer than all overrides.
    overrides = _grouped(
        overridden.filter(stagechange__in=changes.values("pk")), "checklistitem_id", n=Count("pk")
    )
    # Exit items gate forward moves out of their stage, entry items forward moves into it
    # (from a lower stage, or from another pipeline: §3.8 applies the entry items then).
    # One query counts the moves per (from, to) pair; the few pairs are summed per gate.
    exits: dict[int, int] = defaultdict(int)
    entries: dict[int, int] = defaultdict(int)
    pairs = (
        forward.filter(Q(from_stage__pipeline=pipeline) | Q(to_stage__pipeline=pipeline))
        .values(
            "from_stage_id",
            "from_stage__position",
            "from_stage__pipeline_id",
            "to_stage_id",
            "to_stage__position",
            "to_stage__pipeline_id",
        )
        .annotate(moves=Count("pk"))
        .order_by()
    )
    for pair in pairs:
        within = pair["from_stage__pipeline_id"] == pair["to_stage__pipeline_id"]
        if within and pair["from_stage__position"] >= pair["to_stage__position"]:
            continue  # backward moves and reopenings are gated by nothing
        if within:
            exits[pair["from_stage_id"]] += pair["moves"]
        if pair["to_stage__pipeline_id"] == pipeline.pk:
            entries[pair["to_stage_id"]] += pair["moves"]
    done = _grouped(
        ChecklistCheck.objects.filter(
            scope.of_deal(), period.closed_q("deal__"), item__stage__pipeline=pipeline
        ),
        "item_id",
        # One check per deal and item (a unique constraint): no DISTINCT needed.
        closed=Count("pk"),
        won=Count("pk", filter=Q(deal__status=Status.WON)),
    )
    overridden_outcomes = _grouped(
        overridden.filter(
            scope.of_deal("stagechange__deal__"), period.closed_q("stagechange__deal__")
        ),
        "checklistitem_id",
        closed=Count("stagechange__deal_id", distinct=True),
        won=Count(
            "stagechange__deal_id",
            distinct=True,
            filter=Q(stagechange__deal__status=Status.WON),
        ),
    )
    waits = tick_waits(scope=scope, pipeline=pipeline, period=period)
    medians = (
        medians_in_sql(waits) if connection.vendor == "postgresql" else medians_in_python(waits)
    )
    figures = []
    for item in items:
        gate = exits if item.kind == ChecklistItem.Kind.EXIT else entries
        done_row = done.get(item.pk, {})
        overridden_row = overridden_outcomes.get(item.pk, {})
        row = ItemFigures(
            item=item,
            blocked=blocked.get(item.pk, {}).get("n", 0),
            overrides=overrides.get(item.pk, {}).get("n", 0),
            passes=gate[item.stage_id],
            median_to_done=medians.get(item.pk),
            done_closed=done_row.get("closed", 0),
            done_won=done_row.get("won", 0),
            overridden_closed=overridden_row.get("closed", 0),
            overridden_won=overridden_row.get("won", 0),
        )
        if not item.is_archived or row.has_history:
            figures.append(row)
    return figures


# -- The rep home --------------------------------------------------------------------------


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
    # (§1): each of the user's open activities (a partial index finds them) is checked
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
