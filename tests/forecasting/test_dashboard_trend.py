"""The forecast trend (docs/domain/stalls-and-forecast.md):
how the forecast for a period moved, day by day,
from the kept snapshots — per pipeline the day's last set, carried over days without a
recompute, summed over the team's owners and the period's months, days of the company
time zone."""

import datetime
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from forecasting.models import ForecastSnapshot
from tests.forecasting.dashboard_builders import month_start, today

D = Decimal


def snapshot_set(pipeline, computed_at, rows):
    """One recompute of ``pipeline``: rows of (owner, period, weighted, won)."""
    ForecastSnapshot.objects.bulk_create(
        ForecastSnapshot(
            pipeline=pipeline,
            owner=owner,
            period=period,
            weighted_amount=D(weighted),
            open_amount=D(weighted) * 2,
            won_amount=D(won),
            deal_count=1,
            computed_at=computed_at,
        )
        for owner, period, weighted, won in rows
    )


def local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time(hour, minute), tzinfo=timezone.get_default_timezone()
    )


def trend(client, team, **query) -> list[tuple[str, str]]:
    shown = client.get(reverse("team-dashboard-data", args=[team.pk]), query).json()
    return [(point["day"], point["forecast"]) for point in shown["trend"]]


def test_the_trend_takes_each_days_last_set_per_pipeline(company, login, settings):
    """Berlin: the set at 00:30 on day −1 is 22:30 or 23:30 UTC on day −2, yet it belongs to
    day −1 for the company."""
    settings.TIME_ZONE = "Europe/Berlin"
    c = company
    day = today()
    month, next_month = month_start(day), month_start(day, 1)
    days = [day - datetime.timedelta(days=n) for n in (3, 2, 1, 0)]
    snapshot_set(c.sales, local(days[0], 9), [(c.rep1, month, 100, 0)])
    snapshot_set(
        c.sales,
        local(days[0], 23, 30),
        [(c.rep1, month, 120, 30), (c.rep3, month, 5000, 0), (c.rep1, next_month, 900, 0)],
    )
    snapshot_set(c.sales, local(days[2], 0, 30), [(c.rep1, month, 175, 0)])
    snapshot_set(c.private, local(days[2], 12), [(c.rep2, month, 40, 0), (c.rep2, None, 70, 0)])
    # Today's Sales set holds nothing for North in this month: North's Sales figure is 0.
    snapshot_set(c.sales, local(days[3], 1), [(c.rep3, month, 5000, 0)])

    shown = trend(login(c.manager), c.north)

    assert shown == [
        (days[0].isoformat(), "150.00"),
        (days[1].isoformat(), "150.00"),
        (days[2].isoformat(), "215.00"),
        (days[3].isoformat(), "40.00"),
    ]


def test_a_quarters_trend_sums_its_months(company, login):
    c = company
    day = today()
    quarter = month_start(day, -((day.month - 1) % 3))
    months = [month_start(quarter, n) for n in range(4)]  # the fourth is the next quarter
    snapshot_set(
        c.sales, local(day, 0, 1), [(c.rep1, month, 10**n, 0) for n, month in enumerate(months)]
    )

    quarter_trend = trend(login(c.manager), c.north, period="quarter", date=day.strftime("%Y-%m"))

    assert quarter_trend == [(day.isoformat(), "111.00")]


def test_a_past_periods_trend_ends_on_its_last_day(company, login):
    c = company
    day = today()
    last_month = month_start(day, -1)
    end = month_start(day) - datetime.timedelta(days=1)
    snapshot_set(
        c.sales, local(end - datetime.timedelta(days=1), 12), [(c.rep1, last_month, 5, 50)]
    )
    snapshot_set(c.sales, local(day, 0, 1), [(c.rep1, last_month, 0, 80)])

    shown = trend(login(c.manager), c.north, date=last_month.strftime("%Y-%m"))

    assert shown == [
        ((end - datetime.timedelta(days=1)).isoformat(), "55.00"),
        (end.isoformat(), "55.00"),
    ]


def test_without_snapshots_the_page_explains_the_missing_trend(company, login):
    response = login(company.manager).get(reverse("team-dashboard", args=[company.north.pk]))

    assert "No forecast snapshots yet for this period." in response.content.decode()
    assert 'data-chart="forecast-trend"' not in response.content.decode()
