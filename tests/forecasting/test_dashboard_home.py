"""The rep home (docs/domain/stalls-and-forecast.md):
my open deals by stage, my forecast against my quota,
my overdue, today's and upcoming activities (days of the company time zone), my stalled
deals."""

import datetime
import re
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from deals.models import Deal
from deals.services.activities import activity_log
from forecasting.dashboards.home import ACTIVITY_LIST_LIMIT, UPCOMING_DAYS, activity_buckets
from forecasting.models import Quota
from tests.factories import make_deal
from tests.forecasting.dashboard_builders import (
    at,
    expected_figures,
    month_start,
    stall,
    today,
    won_deal,
)

D = Decimal


def schedule(user, deal, subject, due_at, *, done=False):
    activity = activity_log(
        user=user, deal=deal, kind="call", subject=subject, done=False, due_at=due_at
    )
    if done:
        activity.done_at = due_at
        activity.save(update_fields=["done_at"])
    return activity


def subjects(bucket) -> list[str]:
    return [activity.subject for activity in bucket.activities]


def test_activity_buckets_follow_the_company_days(company, settings):
    """Berlin, 10 March 2025 at 22:00 (21:00 UTC)."""
    settings.TIME_ZONE = "Europe/Berlin"
    rep1 = company.rep1
    deal = make_deal(rep1, company.sales)
    now = at(2025, 3, 10, 22)
    schedule(rep1, deal, "missed this morning", at(2025, 3, 10, 9))
    schedule(rep1, deal, "a minute ago", now - datetime.timedelta(minutes=1))
    schedule(rep1, deal, "tonight", at(2025, 3, 10, 23, 30))
    # 00:30 Berlin on the 11th is still the 10th in UTC: tomorrow for the company.
    schedule(rep1, deal, "just after midnight", at(2025, 3, 11, 0, 30))
    schedule(rep1, deal, "last upcoming day", at(2025, 3, 17, 23, 59))
    schedule(rep1, deal, "beyond the week", at(2025, 3, 18, 0, 0))
    schedule(rep1, deal, "already done", at(2025, 3, 10, 8), done=True)
    activity_log(user=rep1, deal=deal, kind="task", subject="no due date", done=False)
    schedule(company.rep2, make_deal(company.rep2, company.sales), "not mine", now)

    buckets = activity_buckets(user=rep1, now=now)

    assert UPCOMING_DAYS == 7
    assert subjects(buckets.overdue) == ["missed this morning", "a minute ago"]
    assert subjects(buckets.today) == ["tonight"]
    assert subjects(buckets.upcoming) == ["just after midnight", "last upcoming day"]
    assert (buckets.overdue.count, buckets.today.count, buckets.upcoming.count) == (2, 1, 2)


def test_a_long_bucket_lists_its_first_activities_and_counts_all(company):
    rep1 = company.rep1
    deal = make_deal(rep1, company.sales)
    now = timezone.now()
    for n in range(ACTIVITY_LIST_LIMIT + 3):
        schedule(rep1, deal, f"overdue {n:02d}", now - datetime.timedelta(hours=n + 1))

    buckets = activity_buckets(user=rep1, now=now)

    assert buckets.overdue.count == ACTIVITY_LIST_LIMIT + 3
    assert len(buckets.overdue.activities) == ACTIVITY_LIST_LIMIT
    assert buckets.overdue.activities[0].subject == f"overdue {ACTIVITY_LIST_LIMIT + 2:02d}"


def test_activities_of_deals_the_rep_can_no_longer_see_are_left_out(company):
    rep1 = company.rep1
    deal = make_deal(rep1, company.private)
    schedule(rep1, deal, "on a handed-over deal", timezone.now() - datetime.timedelta(hours=1))
    Deal.objects.filter(pk=deal.pk).update(owner=company.rep3)

    buckets = activity_buckets(user=rep1, now=timezone.now())

    assert buckets.overdue.count == 0


def test_the_home_shows_my_deals_by_stage_forecast_quota_and_stalls(company, login):
    c, s = company, company.stages
    day = today()
    end_of_month = month_start(day, 1) - datetime.timedelta(days=1)
    mine = [
        make_deal(c.rep1, c.sales, s[0], value=D(1000), expected_close_date=end_of_month),
        make_deal(c.rep1, c.sales, s[0], value=D(500)),
        make_deal(c.rep1, c.sales, s[3], value=D(2000), expected_close_date=end_of_month),
        make_deal(c.rep1, c.private, value=D(800), expected_close_date=end_of_month),
        won_deal(c.rep1, c.sales, value=D(3000), closed_at=at(day.year, day.month, 1, 1)),
    ]
    make_deal(c.rep2, c.sales, s[0], value=D(99999), expected_close_date=end_of_month)
    stalled = stall(mine[2], since=timezone.now() - datetime.timedelta(days=4, hours=1))
    Quota.objects.create(user=c.rep1, month=month_start(day), amount=D(10000))
    expected = expected_figures(
        [Deal.objects.select_related("stage").get(pk=d.pk) for d in mine],
        start=month_start(day),
        end=month_start(day, 1),
        today=day,
    )[c.rep1.pk]

    response = login(c.rep1).get(reverse("rep-home"))
    html = response.content.decode()

    assert response.status_code == 200
    by_stage = re.findall(
        r'<tr><th scope="row">([^<]+)</th><td class="num" data-figure="count">(\d+)</td>'
        r'<td class="num" data-figure="value">([\d,]+)</td>',
        html,
    )
    assert by_stage == [
        ("Due", "1", "800"),
        ("Prospecting", "2", "1,500"),
        ("Proposal", "1", "2,000"),
    ]
    assert f"€{expected.forecast:,.0f}" in html
    attainment = (expected.forecast * 100 / 10000).quantize(D("0.1"))
    assert f'<meter min="0" max="10000.00" value="{expected.forecast}"' in html
    assert f"{attainment} % of my quota, €10,000" in html
    assert f'<tr id="stalled-{stalled.pk}">' in html
    assert "4 d</td>" in html
    assert "99,999" not in html
    assert f'href="{reverse("board")}"' in html


def test_the_home_says_when_there_is_no_quota_or_deal(company, login):
    html = login(company.rep1).get(reverse("rep-home")).content.decode()

    assert "No quota for this month." in html
    assert "You have no open deals." in html
    assert "None of your deals is stalled." in html
    assert "Nothing overdue." in html
