"""Reads of the forecast for pages and the API, computed live in SQL.

``forecast_live`` uses the definition the snapshot job uses
(``forecasting/forecast_rules.py``), so the API and the stored history never disagree on
what a forecast is.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, TypedDict

from django.db.models import QuerySet
from django.utils import dateformat
from django.utils.translation import gettext as _

from deals.models import Deal
from forecasting.forecast_rules import forecast_deals, forecast_totals
from forecasting.money import money
from pipelinecrm.calendar import company_today

GroupBy = Literal["owner", "team", "stage", "month"]


class ForecastRow(TypedDict):
    key: int | datetime.date | None
    label: str
    weighted: Decimal
    open: Decimal
    won: Decimal
    count: int
    overdue: int


@dataclass(frozen=True)
class _Grouping:
    fields: tuple[str, ...]
    key: Callable[[dict], Any]
    label: Callable[[dict], str]
    order: Callable[[dict], tuple]


def _person(row: dict) -> str:
    full_name = f"{row['owner__first_name']} {row['owner__last_name']}".strip()
    return full_name or row["owner__username"]


GROUPINGS: dict[str, _Grouping] = {
    "owner": _Grouping(
        fields=("owner_id", "owner__first_name", "owner__last_name", "owner__username"),
        key=lambda row: row["owner_id"],
        label=_person,
        order=lambda row: (_person(row).lower(), row["owner_id"]),
    ),
    # A deal counts in every team its owner belongs to (as member or manager).
    "team": _Grouping(
        fields=("owner__memberships__team_id", "owner__memberships__team__name"),
        key=lambda row: row["owner__memberships__team_id"],
        label=lambda row: row["owner__memberships__team__name"] or _("No team"),
        order=lambda row: (
            row["owner__memberships__team_id"] is None,
            (row["owner__memberships__team__name"] or "").lower(),
        ),
    ),
    "stage": _Grouping(
        fields=("stage_id", "stage__name", "stage__position", "pipeline_id", "pipeline__name"),
        key=lambda row: row["stage_id"],
        label=lambda row: row["stage__name"],
        order=lambda row: (row["pipeline__name"], row["pipeline_id"], row["stage__position"]),
    ),
    "month": _Grouping(
        fields=("period",),
        key=lambda row: row["period"],
        label=lambda row: (
            dateformat.format(row["period"], "M Y") if row["period"] else _("Unscheduled")
        ),
        order=lambda row: (row["period"] is None, row["period"] or datetime.date.min),
    ),
}


def forecast_live(
    *,
    deals_queryset: QuerySet[Deal],
    group_by: GroupBy = "owner",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> list[ForecastRow]:
    """The forecast of ``deals_queryset`` grouped by owner, team, stage or month; one query.

    ``deals_queryset`` is already limited to what the caller may see (e.g.
    ``deals_visible_to(user).filter(pipeline=…)``). ``date_from`` / ``date_to`` select the
    months that contain them (either may be None: open-ended); deals without a close date
    ("unscheduled", key None when grouping by month) count only when neither is given.

    Each row: ``key`` (owner, team or stage id, the month's first day; None for "no team"
    and "unscheduled"), ``label``, ``weighted``, ``open`` and ``won`` amounts (Decimal, the
    company currency), ``count`` of open deals and how many of them are ``overdue`` (their
    close date has passed, so they count in the current month). ``now`` (default: the
    present) decides which month is current.
    """
    grouping = GROUPINGS[group_by]
    today = company_today(now)
    deals = forecast_deals(
        deals_queryset,
        today=today,
        first_month=date_from.replace(day=1) if date_from else None,
        last_month=date_to.replace(day=1) if date_to else None,
        unscheduled=date_from is None and date_to is None,
    )
    rows = list(deals.values(*grouping.fields).annotate(**forecast_totals(today=today)))
    # Stages of different pipelines may share a name ("Prospecting"): then say which.
    several_pipelines = group_by == "stage" and len({row["pipeline_id"] for row in rows}) > 1
    return [
        ForecastRow(
            key=grouping.key(row),
            label=(
                f"{row['pipeline__name']} / {grouping.label(row)}"
                if several_pipelines
                else grouping.label(row)
            ),
            weighted=money(row["weighted"]),
            open=money(row["open"]),
            won=money(row["won"]),
            count=row["count"],
            overdue=row["overdue"],
        )
        for row in sorted(rows, key=grouping.order)
    ]
