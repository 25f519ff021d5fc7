"""The team dashboard's figures (docs/domain/stalls-and-forecast.md).

Every figure is checked against ``expected_figures``: plain Python over the deals the test
created, not the SQL the dashboard runs. Figures are read from the dashboard's JSON
(``data.json``, the same selector as the page) and, for the headline, from the page.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import TeamMembership
from deals.models import Deal
from forecasting.models import Quota
from tests.factories import make_deal, make_team, make_user
from tests.forecasting.dashboard_builders import (
    Expected,
    at,
    expected_figures,
    lost_deal,
    month_start,
    redate,
    stall,
    today,
    won_deal,
)

D = Decimal


def dashboard_json(client, team, **query) -> dict:
    response = client.get(reverse("team-dashboard-data", args=[team.pk]), query)
    assert response.status_code == 200
    return response.json()


def money(value) -> Decimal | None:
    return None if value is None else D(value)


def merged(figures: list[Expected]) -> Expected:
    total = Expected()
    for part in figures:
        total.open_value += part.open_value
        total.weighted += part.weighted
        total.open_count += part.open_count
        total.won_value += part.won_value
        total.won_count += part.won_count
        total.won_values += part.won_values
        total.lost_count += part.lost_count
        total.cycles += part.cycles
        total.stalled += part.stalled
    return total


def assert_figures(shown: dict, expected: Expected) -> None:
    assert money(shown["open_value"]) == expected.open_value
    assert money(shown["weighted"]) == expected.weighted
    assert shown["open_count"] == expected.open_count
    assert money(shown["won"]) == expected.won_value
    assert money(shown["forecast"]) == expected.forecast
    assert shown["won_count"] == expected.won_count
    assert shown["lost_count"] == expected.lost_count
    assert money(shown["win_rate"]) == expected.win_rate
    assert money(shown["average_deal_size"]) == expected.average_deal_size
    assert money(shown["average_cycle_days"]) == expected.average_cycle_days
    assert shown["stalled"] == expected.stalled


def north_and_south_history(company) -> list[Deal]:
    """Deals of every kind the figures distinguish, for North (rep1, rep2, manager) and,
    as noise that must never show on North's dashboard, South (rep3)."""
    c, stages = company, company.stages
    now_day = today()
    this_month = month_start(now_day)
    end_of_month = month_start(now_day, 1) - datetime.timedelta(days=1)
    first = at(this_month.year, this_month.month, 1, 2)
    last_month = month_start(now_day, -1)
    next_month = month_start(now_day, 1)
    deals = [
        # rep1: open deals in, before (overdue), after and without a close month.
        make_deal(c.rep1, c.sales, stages[0], value=D(1000), expected_close_date=end_of_month),
        make_deal(
            c.rep1,
            c.sales,
            stages[3],
            value=D(2000),
            expected_close_date=now_day - datetime.timedelta(days=40),
        ),
        make_deal(
            c.rep1,
            c.sales,
            stages[4],
            value=D(5000),
            expected_close_date=next_month + datetime.timedelta(days=9),
        ),
        make_deal(c.rep1, c.sales, stages[1], value=D(3000)),
        won_deal(
            c.rep1,
            c.sales,
            value=D(3000),
            closed_at=first,
            created_at=first - datetime.timedelta(days=10),
        ),
        won_deal(
            c.rep1,
            c.sales,
            value=D(5000),
            closed_at=first + datetime.timedelta(hours=1),
            created_at=first - datetime.timedelta(days=20, hours=6),
        ),
        lost_deal(c.rep1, c.sales, value=D(7000), closed_at=first),
        won_deal(
            c.rep1,
            c.sales,
            value=D(8000),
            closed_at=at(last_month.year, last_month.month, 15),
            created_at=at(last_month.year, last_month.month, 1),
        ),
        # rep2: a won deal without a value, two lost, a stalled open one on Renewals.
        won_deal(c.rep2, c.sales, value=None, closed_at=first + datetime.timedelta(hours=5)),
        lost_deal(c.rep2, c.sales, value=D(1500), closed_at=first, why="Competitor"),
        lost_deal(c.rep2, c.sales, value=None, closed_at=first, why="Competitor"),
        make_deal(c.rep2, c.private, value=D(10000), expected_close_date=end_of_month),
        # the manager sells too: their deals are part of the team's number.
        make_deal(c.manager, c.sales, stages[0], value=D(500), expected_close_date=end_of_month),
        # South.
        won_deal(c.rep3, c.sales, value=D(99999), closed_at=first),
        make_deal(c.rep3, c.sales, stages[2], value=D(88888), expected_close_date=end_of_month),
    ]
    override = make_deal(
        c.rep1, c.sales, stages[2], value=D(4000), expected_close_date=end_of_month
    )
    Deal.objects.filter(pk=override.pk).update(probability_override=25)
    stall(override, since=timezone.now() - datetime.timedelta(days=3, hours=2))
    stall(deals[11], since=timezone.now() - datetime.timedelta(days=12))
    return [redate(deal) for deal in [*deals, override]]


@pytest.mark.parametrize("kind", ["month", "quarter"])
def test_team_figures_match_an_independent_computation(company, login, kind):
    deals = north_and_south_history(company)
    now_day = today()
    if kind == "month":
        start, end = month_start(now_day), month_start(now_day, 1)
    else:
        quarter = month_start(now_day, -((now_day.month - 1) % 3))
        start, end = quarter, month_start(quarter, 3)
    expected = expected_figures(deals, start=start, end=end, today=now_day)

    shown = dashboard_json(
        login(company.manager), company.north, period=kind, date=now_day.strftime("%Y-%m")
    )

    people = {person["id"]: person for person in shown["people"]}
    north = [company.rep1.pk, company.rep2.pk, company.manager.pk]
    assert sorted(people) == sorted(north)
    for owner_id in north:
        assert_figures(people[owner_id], expected[owner_id])
    assert_figures(shown["totals"], merged([expected[owner_id] for owner_id in north]))
    assert shown["period"]["start"] == start.isoformat()
    assert shown["period"]["end"] == (end - datetime.timedelta(days=1)).isoformat()


def test_win_rate_average_size_and_cycle_use_the_deals_closed_in_the_period(company, login):
    north_and_south_history(company)

    rep1 = next(
        person
        for person in dashboard_json(login(company.manager), company.north)["people"]
        if person["id"] == company.rep1.pk
    )

    # This month rep1 won 3,000 (10 days) and 5,000 (20 days 6 hours) and lost one deal;
    # last month's win counts for neither.
    assert rep1["win_rate"] == "66.7"
    assert rep1["average_deal_size"] == "4000.00"
    assert rep1["average_cycle_days"] == "15.1"
    assert rep1["won"] == "8000.00"


def test_all_open_deals_are_shown_beside_the_period_figures(company, login):
    deals = north_and_south_history(company)
    open_north = [
        deal
        for deal in deals
        if deal.status == Deal.Status.OPEN and deal.owner_id != company.rep3.pk
    ]

    totals = dashboard_json(login(company.manager), company.north)["totals"]

    assert totals["pipeline_count"] == len(open_north)
    assert D(totals["pipeline_value"]) == sum(deal.value or 0 for deal in open_north)


def test_the_page_shows_the_team_headline(company, login):
    deals = north_and_south_history(company)
    now_day = today()
    expected = expected_figures(
        deals, start=month_start(now_day), end=month_start(now_day, 1), today=now_day
    )
    team = merged([expected[u.pk] for u in (company.rep1, company.rep2, company.manager)])

    response = login(company.manager).get(reverse("team-dashboard", args=[company.north.pk]))

    html = response.content.decode()
    assert f"€{team.forecast:,.0f}" in html
    assert f"€{team.won_value:,.0f}" in html
    assert "No quota for this period." in html
    assert "Rep3" not in html


# --- time zone boundaries --------------------------------------------------------------


def test_a_deal_closed_at_2330_on_the_last_day_counts_in_that_month(company, login, settings):
    """Europe/Berlin: 23:30 on 31 January is 22:30 UTC, still January for the company;
    00:30 on 1 February is 23:30 UTC on 31 January, yet February for the company."""
    settings.TIME_ZONE = "Europe/Berlin"
    c = company
    january = won_deal(c.rep1, c.sales, value=D(1000), closed_at=at(2025, 1, 31, 23, 30))
    february = won_deal(c.rep1, c.sales, value=D(2000), closed_at=at(2025, 2, 1, 0, 30))
    lost_deal(c.rep2, c.sales, value=D(300), closed_at=at(2025, 1, 31, 23, 45))
    won_deal(c.rep2, c.sales, value=D(4000), closed_at=at(2025, 3, 31, 23, 30))
    assert january.closed_at.astimezone(datetime.UTC).day == 31
    assert february.closed_at.astimezone(datetime.UTC).month == 1
    client = login(c.manager)

    shown = {
        date: dashboard_json(client, c.north, period="month", date=date)
        for date in ("2025-01", "2025-02", "2025-03")
    }
    first_quarter = dashboard_json(client, c.north, period="quarter", date="2025-02")
    second_quarter = dashboard_json(client, c.north, period="quarter", date="2025-04")

    assert shown["2025-01"]["totals"]["won"] == "1000.00"
    assert shown["2025-01"]["lost_reasons"] == [{"reason": "Price", "count": 1, "value": "300.00"}]
    assert shown["2025-02"]["totals"]["won"] == "2000.00"
    assert shown["2025-03"]["totals"]["won"] == "4000.00"
    assert first_quarter["totals"]["won"] == "7000.00"
    assert second_quarter["totals"]["won"] == "0.00"
    assert first_quarter["period"] == {
        "kind": "quarter",
        "label": "Q1 2025",
        "start": "2025-01-01",
        "end": "2025-03-31",
    }


def test_an_unreadable_period_means_this_month(company, login):
    shown = dashboard_json(login(company.manager), company.north, period="year", date="2025-13")

    assert shown["period"]["kind"] == "month"
    assert shown["period"]["start"] == month_start(today()).isoformat()


# --- quotas ----------------------------------------------------------------------------


def test_without_any_quota_the_dashboard_says_so(company, login):
    north_and_south_history(company)
    client = login(company.manager)

    shown = dashboard_json(client, company.north)
    html = client.get(reverse("team-dashboard", args=[company.north.pk])).content.decode()

    assert shown["totals"]["quota"] is None
    assert shown["attainment"] is None
    assert {person["quota"] for person in shown["people"]} == {None}
    assert "No quota for this period." in html
    assert "<meter" not in html


def test_a_team_without_its_own_quota_uses_its_members(company, login):
    c = company
    for month in (datetime.date(2025, 4, 1), datetime.date(2025, 5, 1), datetime.date(2025, 6, 1)):
        Quota.objects.create(user=c.rep1, month=month, amount=D(1000))
    Quota.objects.create(user=c.rep2, month=datetime.date(2025, 4, 1), amount=D(500))
    won_deal(c.rep1, c.sales, value=D(1750), closed_at=at(2025, 5, 10))

    shown = dashboard_json(login(c.manager), c.north, period="quarter", date="2025-05")

    people = {person["id"]: person["quota"] for person in shown["people"]}
    assert people == {c.rep1.pk: "3000.00", c.rep2.pk: "500.00", c.manager.pk: None}
    assert shown["totals"]["quota"] == "3500.00"
    assert shown["attainment"] == "50.0"


def test_a_team_quota_of_its_own_wins_for_its_months(company, login):
    c = company
    for month in (datetime.date(2025, 4, 1), datetime.date(2025, 5, 1), datetime.date(2025, 6, 1)):
        Quota.objects.create(user=c.rep1, month=month, amount=D(1000))
    Quota.objects.create(team=c.north, month=datetime.date(2025, 4, 1), amount=D(10000))
    won_deal(c.rep1, c.sales, value=D(6000), closed_at=at(2025, 4, 2))
    client = login(c.manager)

    quarter = dashboard_json(client, c.north, period="quarter", date="2025-04")
    april = client.get(reverse("team-dashboard", args=[c.north.pk]), {"date": "2025-04"})

    # April: the team's own 10,000; May and June: rep1's 1,000 each.
    assert quarter["totals"]["quota"] == "12000.00"
    assert quarter["attainment"] == "50.0"
    html = april.content.decode()
    assert '<meter min="0" max="10000.00" value="6000.00"' in html
    assert "60.0 % of the quota, €10,000" in html


# --- team shapes -----------------------------------------------------------------------


def test_an_empty_team_has_a_dashboard_with_nothing_in_it(company, login):
    north_and_south_history(company)
    empty = make_team("Empty")
    client = login(company.admin)

    shown = dashboard_json(client, empty)
    page = client.get(reverse("team-dashboard", args=[empty.pk]))

    assert shown["people"] == []
    assert shown["totals"]["forecast"] == "0.00"
    assert shown["stalled"] == []
    assert page.status_code == 200
    assert "This team has no members yet." in page.content.decode()


def test_a_rep_in_two_teams_counts_in_both(company, login):
    c = company
    TeamMembership.objects.create(team=c.south, user=c.rep1)
    deals = north_and_south_history(company)
    now_day = today()
    expected = expected_figures(
        deals, start=month_start(now_day), end=month_start(now_day, 1), today=now_day
    )

    north = dashboard_json(login(c.manager), c.north)
    south = dashboard_json(login(c.manager2), c.south)

    in_north = next(p for p in north["people"] if p["id"] == c.rep1.pk)
    in_south = next(p for p in south["people"] if p["id"] == c.rep1.pk)
    assert in_north == in_south
    assert_figures(in_south, expected[c.rep1.pk])
    assert sorted(p["id"] for p in south["people"]) == sorted([c.rep1.pk, c.rep3.pk, c.manager2.pk])
    assert_figures(
        south["totals"], merged([expected[c.rep1.pk], expected[c.rep3.pk], expected[c.manager2.pk]])
    )


def test_an_inactive_members_closed_deals_still_count(company, login):
    c = company
    leaver = make_user("leaver")
    TeamMembership.objects.create(team=c.north, user=leaver)
    now_day = today()
    won_deal(leaver, c.sales, value=D(1200), closed_at=at(now_day.year, now_day.month, 1, 1))
    leaver.is_active = False
    leaver.save()

    shown = dashboard_json(login(c.manager), c.north)

    assert shown["totals"]["won"] == "1200.00"


# --- stalled deals and lost reasons ----------------------------------------------------


def test_stalled_deals_list_owner_and_whole_days_stalled(company, login):
    north_and_south_history(company)

    shown = dashboard_json(login(company.manager), company.north)

    assert [(deal["owner"], deal["days_stalled"]) for deal in shown["stalled"]] == [
        ("Rep2 Test", 12),
        ("Rep1 Test", 3),
    ]


def test_lost_reasons_count_and_value_the_periods_lost_deals(company, login):
    deals = north_and_south_history(company)
    now_day = today()
    lost = [
        deal
        for deal in deals
        if deal.status == Deal.Status.LOST
        and deal.owner_id != company.rep3.pk
        and timezone.localtime(deal.closed_at).date() >= month_start(now_day)
    ]
    expected = {}
    for deal in lost:
        count, value = expected.get(deal.lost_reason.name, (0, D(0)))
        expected[deal.lost_reason.name] = (count + 1, value + (deal.value or 0))

    shown = dashboard_json(login(company.manager), company.north)["lost_reasons"]

    assert {row["reason"]: (row["count"], D(row["value"])) for row in shown} == expected
    assert [row["reason"] for row in shown] == ["Competitor", "Price"]
