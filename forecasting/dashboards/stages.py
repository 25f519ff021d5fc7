"""Per stage of a pipeline: conversion to the next stage and average time in stage."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Max, Min, Q, Sum

from deals.models import Deal, StageChange
from forecasting.dashboards.figures import percent
from forecasting.dashboards.periods import Period
from forecasting.dashboards.teams import Scope
from pipelines.models import Pipeline, Stage

Status = Deal.Status


@dataclass
class StageFigures:
    stage: Stage
    entered: int = 0  # deals that entered the stage in the period
    converted: int = 0  # … and later entered a higher stage or were won
    left: int = 0  # stage changes out of the stage in the period
    time_total: datetime.timedelta = datetime.timedelta(0)

    @property
    def conversion(self) -> Decimal | None:
        return percent(self.converted, self.entered)

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
    """Conversion to the next stage and average time in stage,
    per stage (docs/domain/stalls-and-forecast.md). One query.

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
