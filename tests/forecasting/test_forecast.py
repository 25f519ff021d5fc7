"""The forecast (docs/domain/stalls-and-forecast.md):
snapshots and live figures against a plain computation.

Weighted = value × effective probability / 100 for open deals by expected close month (an
overdue one counts in the current month, one without a date is unscheduled); won deals
count in full in the month they closed; months are the company time zone's.
"""

import datetime
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deals.access import deals_visible_to
from deals.models import Deal, LostReason
from deals.services.editing import deal_update
from deals.services.moves import deal_mark_lost, deal_mark_won, deal_move
from forecasting.models import ForecastSnapshot
from forecasting.selectors import forecast_live
from forecasting.services.forecast import forecasts_recompute, forecasts_recompute_dirty
from pipelines.models import Pipeline
from tests.factories import make_deal

UTC = datetime.UTC
NOW = datetime.datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)
CENT = Decimal("0.01")


def utc(*args) -> datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def months_apart(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def closed(deal: Deal, *, won: bool, at: datetime, user) -> Deal:
    if won:
        deal_mark_won(user=user, deal=deal, version=None)
    else:
        reason, _ = LostReason.objects.get_or_create(name="Price")
        deal_mark_lost(user=user, deal=deal, version=None, reason=reason)
    Deal.objects.filter(pk=deal.pk).update(closed_at=at)
    return Deal.objects.get(pk=deal.pk)


def expected_snapshot(today: date, zone: ZoneInfo) -> dict:
    """The forecast computed in plain Python over every deal, as the spec words it."""
    current = first_of_month(today)
    figures = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0), 0])
    for deal in Deal.objects.select_related("stage"):
        value = deal.value or Decimal(0)
        if deal.status == Deal.Status.WON:
            period = first_of_month(deal.closed_at.astimezone(zone).date())
        elif deal.status == Deal.Status.LOST:
            continue
        elif deal.expected_close_date is None:
            period = None
        elif deal.expected_close_date < today:
            period = current
        else:
            period = first_of_month(deal.expected_close_date)
        if period is not None and abs(months_apart(current, period)) > 12:
            continue
        row = figures[(deal.pipeline_id, deal.owner_id, period)]
        if deal.status == Deal.Status.WON:
            row[2] += value
            continue
        probability = (
            deal.probability_override
            if deal.probability_override is not None
            else deal.stage.probability
        )
        row[0] += value * probability / 100
        row[1] += value
        row[3] += 1
    return {
        key: (
            weighted.quantize(CENT, rounding=ROUND_HALF_UP),
            open_.quantize(CENT),
            won.quantize(CENT),
            count,
        )
        for key, (weighted, open_, won, count) in figures.items()
    }


def stored_snapshot(computed_at: datetime) -> dict:
    return {
        (s.pipeline_id, s.owner_id, s.period): (
            s.weighted_amount,
            s.open_amount,
            s.won_amount,
            s.deal_count,
        )
        for s in ForecastSnapshot.objects.filter(computed_at=computed_at)
    }


@pytest.fixture
def deals(company):
    """A varied book: stages, an override, overdue, unscheduled, far off, won, lost."""
    sales, renewals = company.sales, company.private
    stages = company.stages  # 10, 20, 40, 60, 80, 90 %
    rep1, rep2 = company.rep1, company.rep2
    make_deal(rep1, sales, stages[0], value=Decimal("1000.00"), expected_close_date=TODAY)
    make_deal(
        rep1, sales, stages[3], value=Decimal("333.33"), expected_close_date=APRIL.replace(day=30)
    )
    overridden = make_deal(
        rep1, sales, stages[3], value=Decimal("1234.57"), expected_close_date=date(2026, 4, 2)
    )
    deal_update(user=rep1, deal=overridden, version=None, probability_override=15)
    make_deal(rep1, sales, stages[4], value=Decimal("500.00"), expected_close_date=None)
    make_deal(rep1, sales, stages[5], value=None, expected_close_date=date(2026, 5, 1))
    # Overdue: closes in the past, counted in March.
    make_deal(
        rep2,
        sales,
        stages[1],
        value=Decimal("700.00"),
        expected_close_date=date(2025, 11, 3),
    )
    make_deal(
        rep2,
        sales,
        stages[2],
        value=Decimal("80.00"),
        expected_close_date=date(2026, 3, 14),
    )
    # Beyond +12 months: outside the snapshot window.
    make_deal(
        rep2,
        sales,
        stages[2],
        value=Decimal("9999.00"),
        expected_close_date=date(2027, 4, 1),
    )
    due, _ = renewals.stages.order_by("position")
    make_deal(
        rep1,
        renewals,
        due,
        value=Decimal("2000.00"),
        expected_close_date=date(2026, 6, 30),
    )
    won = make_deal(rep1, sales, stages[2], value=Decimal("4200.00"), expected_close_date=TODAY)
    closed(won, won=True, at=utc(2026, 2, 10, 9), user=rep1)
    old_win = make_deal(rep2, sales, stages[5], value=Decimal("100.00"))
    closed(old_win, won=True, at=utc(2024, 1, 10, 9), user=rep2)
    lost = make_deal(rep2, sales, stages[3], value=Decimal("5000.00"), expected_close_date=TODAY)
    closed(lost, won=False, at=utc(2026, 3, 1, 9), user=rep2)
    return company


# --- snapshots -------------------------------------------------------------------------


def test_snapshot_matches_an_independent_computation(deals):
    written = forecasts_recompute(now=NOW)

    stored = stored_snapshot(NOW)
    assert stored == expected_snapshot(TODAY, ZoneInfo("UTC"))
    assert written == len(stored)


def test_snapshot_figures_follow_the_rules(deals):
    forecasts_recompute(now=NOW)
    sales, rep1, rep2 = deals.sales.pk, deals.rep1.pk, deals.rep2.pk
    stored = stored_snapshot(NOW)

    # rep1 in March: 1000 at 10 % (open), plus nothing won in March.
    assert stored[(sales, rep1, MARCH)] == (Decimal("100.00"), Decimal("1000.00"), 0, 1)
    # April: 333.33 at 60 % and 1234.57 at its 15 % override.
    assert stored[(sales, rep1, APRIL)] == (
        Decimal("385.18"),  # 199.998 + 185.1855 = 385.1835
        Decimal("1567.90"),
        0,
        2,
    )
    # Won in February, in full.
    assert stored[(sales, rep1, date(2026, 2, 1))] == (0, 0, Decimal("4200.00"), 0)
    # Unscheduled.
    assert stored[(sales, rep1, None)] == (Decimal("400.00"), Decimal("500.00"), 0, 1)
    # A deal without a value still counts as an open deal.
    assert stored[(sales, rep1, date(2026, 5, 1))] == (0, 0, 0, 1)
    # Overdue (November) and due yesterday both count in the current month.
    assert stored[(sales, rep2, MARCH)] == (Decimal("172.00"), Decimal("780.00"), 0, 2)
    # Beyond +12 months, won 26 months ago, lost: not in the snapshot.
    assert (sales, rep2, date(2027, 4, 1)) not in stored
    assert (sales, rep2, date(2024, 1, 1)) not in stored
    assert not any(key[1] == rep2 and figures[0] >= 3000 for key, figures in stored.items())


def test_month_boundaries_are_the_company_time_zone(company, settings):
    settings.TIME_ZONE = "America/New_York"
    rep1, sales = company.rep1, company.sales
    # 23:30 in New York on 31 January is 04:30 UTC on 1 February.
    late_january = closed(
        make_deal(rep1, sales, value=Decimal("10.00")),
        won=True,
        at=utc(2026, 2, 1, 4, 30),
        user=rep1,
    )
    # 00:30 in New York on 1 March is 05:30 UTC.
    early_march = closed(
        make_deal(rep1, sales, value=Decimal("20.00")),
        won=True,
        at=utc(2026, 3, 1, 5, 30),
        user=rep1,
    )
    # At 02:00 UTC on 1 March it is still 28 February in New York: February is current,
    # a deal closing on 27 February is overdue and one closing on 1 March is not.
    now = utc(2026, 3, 1, 2, 0)
    make_deal(rep1, sales, value=Decimal("30.00"), expected_close_date=date(2026, 2, 27))
    make_deal(rep1, sales, value=Decimal("40.00"), expected_close_date=date(2026, 3, 1))

    forecasts_recompute(now=now)

    stored = stored_snapshot(now)
    january, february, march = (date(2026, m, 1) for m in (1, 2, 3))
    assert stored[(sales.pk, rep1.pk, january)][2] == late_january.value
    assert stored[(sales.pk, rep1.pk, march)][2] == early_march.value
    assert stored[(sales.pk, rep1.pk, february)][1] == Decimal("30.00")
    assert stored[(sales.pk, rep1.pk, march)][1] == Decimal("40.00")
    new_york = ZoneInfo("America/New_York")
    assert stored == expected_snapshot(now.astimezone(new_york).date(), new_york)


def test_a_recompute_for_some_pipelines_writes_only_theirs(deals):
    forecasts_recompute(pipeline_ids=[deals.private.pk], now=NOW)

    assert set(ForecastSnapshot.objects.values_list("pipeline", flat=True)) == {deals.private.pk}


def test_each_run_keeps_the_previous_snapshots(deals):
    later = NOW + datetime.timedelta(hours=1)

    forecasts_recompute(now=NOW)
    forecasts_recompute(now=later)

    assert stored_snapshot(NOW) == stored_snapshot(later)
    assert ForecastSnapshot.objects.values("computed_at").distinct().count() == 2


# --- the debounce ----------------------------------------------------------------------


def test_dirty_pipelines_are_claimed_once_and_recomputed(company):
    deal = make_deal(company.rep1, company.sales, value=Decimal("100.00"))
    Pipeline.objects.update(forecast_dirty_since=None)
    for stage in company.stages[1:4]:
        deal = deal_move(user=company.rep1, deal=deal, stage=stage, version=None).deal

    claimed = forecasts_recompute_dirty(now=NOW)
    again = forecasts_recompute_dirty(now=NOW)

    assert (claimed, again) == ([company.sales.pk], [])
    assert Pipeline.objects.get(pk=company.sales.pk).forecast_dirty_since is None
    assert ForecastSnapshot.objects.filter(pipeline=company.sales).count() == 1
    assert not ForecastSnapshot.objects.filter(pipeline=company.private).exists()


def test_a_change_after_the_claim_marks_the_pipeline_again(company):
    deal = make_deal(company.rep1, company.sales)
    forecasts_recompute_dirty(now=NOW)

    deal_move(user=company.rep1, deal=deal, stage=company.stages[1], version=None)

    assert forecasts_recompute_dirty(now=NOW) == [company.sales.pk]


# --- live figures (the API's) ----------------------------------------------------------


def test_live_forecast_by_owner(deals):
    rows = forecast_live(deals_queryset=Deal.objects.filter(pipeline=deals.sales), now=NOW)

    assert [row["label"] for row in rows] == ["Rep1 Test", "Rep2 Test"]
    rep2 = rows[1]
    assert rep2["key"] == deals.rep2.pk
    # Open: 700 (overdue) + 80 (overdue) + 9999 (2027); won long ago: 100. Lost: nothing.
    assert rep2["open"] == Decimal("10779.00")
    assert rep2["won"] == Decimal("100.00")
    assert rep2["count"] == 3


def test_live_forecast_by_month_flags_overdue_and_unscheduled(deals):
    rows = forecast_live(
        deals_queryset=Deal.objects.filter(pipeline=deals.sales, owner=deals.rep1),
        group_by="month",
        now=NOW,
    )

    assert [(row["key"], row["label"]) for row in rows] == [
        (date(2026, 2, 1), "Feb 2026"),
        (MARCH, "Mar 2026"),
        (APRIL, "Apr 2026"),
        (date(2026, 5, 1), "May 2026"),
        (None, "Unscheduled"),
    ]
    rep2_march = forecast_live(
        deals_queryset=Deal.objects.filter(pipeline=deals.sales, owner=deals.rep2),
        group_by="month",
        now=NOW,
    )[1]
    assert (rep2_march["key"], rep2_march["count"], rep2_march["overdue"]) == (MARCH, 2, 2)


def test_live_forecast_limited_to_a_range_of_months(deals):
    rows = forecast_live(
        deals_queryset=Deal.objects.filter(pipeline=deals.sales, owner=deals.rep1),
        group_by="month",
        date_from=date(2026, 2, 14),
        date_to=date(2026, 2, 20),
        now=NOW,
    )

    assert [(row["key"], row["won"]) for row in rows] == [(date(2026, 2, 1), Decimal("4200.00"))]


def test_live_forecast_by_stage_and_team_only_covers_the_given_deals(deals):
    visible = deals_visible_to(deals.rep3)
    assert forecast_live(deals_queryset=visible, group_by="team", now=NOW) == []

    by_team = forecast_live(
        deals_queryset=deals_visible_to(deals.manager), group_by="team", now=NOW
    )
    assert [(row["key"], row["label"]) for row in by_team] == [(deals.north.pk, "North")]
    by_stage = forecast_live(deals_queryset=Deal.objects.all(), group_by="stage", now=NOW)
    labels = [row["label"] for row in by_stage]
    assert labels[0] == "Renewals / Due", "stages of several pipelines say which"
    assert "Sales / Proposal" in labels


# --- cost ------------------------------------------------------------------------------


def _recompute_queries(n: int, company) -> int:
    Deal.objects.all().delete()
    stage = company.stages[2]
    Deal.objects.bulk_create(
        Deal(
            title=f"Bulk {i}",
            pipeline=company.sales,
            stage=stage,
            owner=(company.rep1, company.rep2, company.rep3)[i % 3],
            value=Decimal(i),
            expected_close_date=TODAY + datetime.timedelta(days=i % 400),
            position=i,
            stage_entered_at=NOW,
        )
        for i in range(n)
    )
    with CaptureQueriesContext(connection) as queries:
        forecasts_recompute(now=NOW)
    return len(queries)


def test_the_number_of_statements_does_not_grow_with_the_number_of_deals(company):
    # SELECT … GROUP BY (the figures); SAVEPOINT; INSERT snapshots; RELEASE SAVEPOINT
    assert _recompute_queries(10, company) == 4
    assert _recompute_queries(300, company) == 4
