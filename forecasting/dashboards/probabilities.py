"""Data-driven stage probabilities: observed win rates beside the configured ones, and
the forecast recomputed with them."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, ExpressionWrapper, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from deals.expressions import MONEY_SUM_FIELD
from deals.models import Deal, StageChange
from forecasting.dashboards.figures import Figures, percent, period_deals
from forecasting.dashboards.periods import Period
from forecasting.dashboards.stages import pipeline_stages
from forecasting.dashboards.teams import Scope
from forecasting.forecast_rules import forecast_totals
from forecasting.money import money
from pipelinecrm.calendar import company_today
from pipelines.models import Pipeline, Stage

# Below this many closed deals an observed win rate is noise, not evidence.
MIN_TRUSTED_SAMPLE = 20
# Observed win rates look at deals closed within this many days.
OBSERVED_WINDOW_DAYS = 365

Status = Deal.Status


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
        return percent(self.won, self.closed)

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
