"""The team dashboard (docs/domain/stalls-and-forecast.md):
every figure of one team for one period."""

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from accounts.models import Team
from deals.expressions import ZERO
from deals.models import Deal
from forecasting.dashboards.breakdown import Breakdown, breakdown_fields, open_pipeline_breakdown
from forecasting.dashboards.figures import (
    STALLED_LIST_LIMIT,
    Figures,
    LostReasonFigures,
    lost_reasons,
    owner_figures,
    stalled_deals,
    team_quota,
    user_quotas,
)
from forecasting.dashboards.periods import Period
from forecasting.dashboards.stages import StageFigures, stage_figures
from forecasting.dashboards.teams import Scope, TeamPerson, team_people
from forecasting.dashboards.trend import TrendPoint, forecast_trend
from pipelinecrm.calendar import company_today
from pipelines.models import CustomField, Pipeline


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
    # The single-choice fields the open pipeline can be broken down by, and the breakdown
    # by the one chosen (``?by=<key>``), if any.
    breakdown_fields: list[CustomField]
    breakdown: Breakdown | None

    @property
    def lost_total(self) -> LostReasonFigures:
        return LostReasonFigures(
            reason=_("All reasons"),
            count=sum(r.count for r in self.lost_reasons),
            value=sum((r.value for r in self.lost_reasons), ZERO),
        )


def team_dashboard(
    *,
    team: Team,
    period: Period,
    pipeline: Pipeline | None,
    now: datetime.datetime,
    by: str = "",
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
    fields = breakdown_fields(pipeline=pipeline)
    chosen = next((field for field in fields if field.key == by), None)
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
        breakdown_fields=fields,
        breakdown=None
        if chosen is None
        else open_pipeline_breakdown(scope=scope, pipeline=pipeline, field=chosen),
    )
