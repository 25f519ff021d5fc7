"""The dashboards' figures shaped for the browser: chart series for static/js/charts.js
and the team dashboard as JSON. Amounts stay decimal strings, as everywhere in the API;
charts.js formats them in the page's language. Series labels and day labels are in the
active language (docs/i18n.md)."""

from django.conf import settings
from django.urls import reverse
from django.utils import dateformat
from django.utils.translation import gettext as _

from forecasting.dashboards.breakdown import Breakdown, BreakdownRow
from forecasting.dashboards.figures import Figures
from forecasting.dashboards.probabilities import ProbabilityReport
from forecasting.dashboards.team import TeamDashboard


def _chart(kind: str, labels: list, datasets: list[dict], **options) -> dict:
    """One chart: ``kind`` is Chart.js's type; options: stacked, percent, currency."""
    return {"type": kind, "labels": labels, "datasets": datasets, **options}


def team_charts(dashboard: TeamDashboard) -> dict[str, dict]:
    return _team_charts(dashboard) | _breakdown_chart(dashboard.breakdown)


def _breakdown_chart(breakdown: Breakdown | None) -> dict[str, dict]:
    if breakdown is None:
        return {}
    rows = breakdown.rows
    return {
        "open-by-option": _chart(
            "bar",
            [row.label for row in rows],
            [
                {"label": _("Open value"), "data": [row.value for row in rows]},
                {"label": _("Weighted"), "data": [row.weighted for row in rows]},
            ],
            currency=settings.CURRENCY,
        )
    }


def _team_charts(dashboard: TeamDashboard) -> dict[str, dict]:
    rows = dashboard.rows
    names = [row.person.user.display_name for row in rows]
    trend = dashboard.trend
    trend_sets = [{"label": _("Forecast"), "data": [point.forecast for point in trend]}]
    if dashboard.totals.quota is not None:
        trend_sets.append(
            {"label": _("Quota"), "data": [dashboard.totals.quota] * len(trend), "dashed": True}
        )
    return {
        "forecast-vs-quota": _chart(
            "bar",
            names,
            [
                {
                    "label": _("Won"),
                    "data": [r.figures.won_value for r in rows],
                    "stack": "forecast",
                },
                {
                    "label": _("Weighted open"),
                    "data": [r.figures.weighted for r in rows],
                    "stack": "forecast",
                },
                {
                    "label": _("Quota"),
                    "data": [r.figures.quota or 0 for r in rows],
                    "stack": "quota",
                },
            ],
            stacked=True,
            currency=settings.CURRENCY,
        ),
        "forecast-trend": _chart(
            "line",
            [dateformat.format(point.day, "j M") for point in trend],
            trend_sets,
            currency=settings.CURRENCY,
        ),
        "stage-conversion": _chart(
            "bar",
            [stage.stage.name for stage in dashboard.stages],
            [
                {
                    "label": _("Conversion to a later stage"),
                    "data": [stage.conversion for stage in dashboard.stages],
                }
            ],
            percent=True,
        ),
        "lost-reasons": _chart(
            "doughnut",
            [reason.reason for reason in dashboard.lost_reasons],
            [{"label": _("Lost deals"), "data": [r.count for r in dashboard.lost_reasons]}],
        ),
    }


def probability_charts(report: ProbabilityReport) -> dict[str, dict]:
    return {
        "stage-probabilities": _chart(
            "bar",
            [s.stage.name for s in report.stages],
            [
                {"label": _("Configured"), "data": [s.configured for s in report.stages]},
                {"label": _("Observed"), "data": [s.observed for s in report.stages]},
            ],
            percent=True,
        )
    }


def _figures(figures: Figures) -> dict:
    return {
        "forecast": figures.forecast,
        "weighted": figures.weighted,
        "won": figures.won_value,
        "won_count": figures.won_count,
        "lost_count": figures.lost_count,
        "open_value": figures.open_value,
        "open_count": figures.open_count,
        "pipeline_value": figures.pipeline_value,
        "pipeline_count": figures.pipeline_count,
        "win_rate": figures.win_rate,
        "average_deal_size": figures.average_deal_size,
        "average_cycle_days": figures.average_cycle_days,
        "stalled": figures.stalled,
        "quota": figures.quota,
    }


def _breakdown_row(row: BreakdownRow) -> dict:
    return {
        "option": row.option,
        "label": row.label,
        "count": row.count,
        "value": row.value,
        "weighted": row.weighted,
    }


def _breakdown_json(breakdown: Breakdown | None) -> dict | None:
    if breakdown is None:
        return None
    return {
        "field": {"key": breakdown.field.key, "name": breakdown.field.name},
        "rows": [_breakdown_row(row) for row in breakdown.rows],
        "total": _breakdown_row(breakdown.total),
    }


def team_json(dashboard: TeamDashboard) -> dict:
    """Everything the team dashboard shows, for scripts and spreadsheets."""
    pipeline = dashboard.pipeline
    board = reverse("board-pipeline", args=[pipeline.pk]) if pipeline else None
    return {
        "team": {"id": dashboard.team.pk, "name": dashboard.team.name},
        "period": {
            "kind": dashboard.period.kind,
            "label": dashboard.period.label,
            "start": dashboard.period.start,
            "end": dashboard.period.last_day,
        },
        "currency": settings.CURRENCY,
        "totals": _figures(dashboard.totals),
        "attainment": dashboard.totals.attainment,
        "people": [
            {
                "id": row.person.user.pk,
                "name": row.person.user.display_name,
                "is_manager": row.person.is_manager,
                "board_url": f"{board}?owner={row.person.user.pk}" if board else None,
                **_figures(row.figures),
            }
            for row in dashboard.rows
        ],
        "trend": [
            {"day": p.day, "forecast": p.forecast, "weighted": p.weighted, "won": p.won}
            for p in dashboard.trend
        ],
        "pipeline": {"id": pipeline.pk, "name": pipeline.name} if pipeline else None,
        "stages": [
            {
                "id": s.stage.pk,
                "name": s.stage.name,
                "entered": s.entered,
                "converted": s.converted,
                "conversion": s.conversion,
                "average_days_in_stage": s.average_days,
            }
            for s in dashboard.stages
        ],
        "lost_reasons": [
            {"reason": r.reason, "count": r.count, "value": r.value} for r in dashboard.lost_reasons
        ],
        "stalled": [
            {
                "id": deal.pk,
                "title": deal.title,
                "url": reverse("deal-detail", args=[deal.pk]),
                "owner": deal.owner.display_name,
                "days_stalled": deal.days_stalled,
                "value": deal.value,
            }
            for deal in dashboard.stalled
        ],
        "breakdown": _breakdown_json(dashboard.breakdown),
        "charts": team_charts(dashboard),
    }
