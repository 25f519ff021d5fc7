"""GET /api/v1/forecast/: the live forecast of the deals the caller
can see (docs/domain/stalls-and-forecast.md, docs/domain/api.md)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from deals.services.moves import deal_mark_won
from tests import factories

URL = "/api/v1/forecast/"


def _next_month(months: int = 1) -> datetime.date:
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 15)


@pytest.fixture
def pipeline_deals(company):
    """rep1: 1000 in Prospecting (10 %) next month; rep2: 2000 in Proposal (60 %) in two
    months; rep3 (South): 5000, invisible to North's reps."""
    return {
        "rep1": factories.make_deal(
            company.rep1, company.sales, value=Decimal(1000), expected_close_date=_next_month()
        ),
        "rep2": factories.make_deal(
            company.rep2,
            company.sales,
            stage=company.stages[3],
            value=Decimal(2000),
            expected_close_date=_next_month(2),
        ),
        "rep3": factories.make_deal(
            company.rep3, company.sales, value=Decimal(5000), expected_close_date=_next_month()
        ),
    }


def test_the_forecast_by_owner_covers_the_visible_deals(api, company, pipeline_deals):
    response = api(company.rep1).get(URL, {"pipeline": company.sales.pk})

    assert response.status_code == 200
    body = response.json()
    assert (body["currency"], body["group_by"]) == ("EUR", "owner")
    rows = {row["key"]: row for row in body["rows"]}
    assert set(rows) == {company.rep1.pk, company.rep2.pk}
    assert rows[company.rep1.pk]["weighted"] == "100.00"
    assert rows[company.rep2.pk]["weighted"] == "1200.00"
    assert rows[company.rep2.pk]["open"] == "2000.00"
    assert rows[company.rep2.pk]["count"] == 1


def test_the_forecast_by_month_within_a_range(api, company, pipeline_deals):
    first = _next_month()

    response = api(company.admin).get(
        URL, {"group_by": "month", "from": first.isoformat(), "to": first.isoformat()}
    )

    [row] = response.json()["rows"]
    assert row["key"] == first.replace(day=1).isoformat()
    assert (row["weighted"], row["count"]) == ("600.00", 2)


@pytest.mark.parametrize("group_by", ["team", "stage"])
def test_the_forecast_by_team_and_by_stage(api, company, pipeline_deals, group_by):
    response = api(company.manager).get(URL, {"group_by": group_by})

    assert response.status_code == 200
    labels = {row["label"] for row in response.json()["rows"]}
    assert labels == ({"North"} if group_by == "team" else {"Prospecting", "Proposal"})


def test_won_deals_count_in_full(api, company, pipeline_deals):
    deal_mark_won(user=company.rep1, deal=pipeline_deals["rep1"], version=None)

    rows = api(company.rep1).get(URL, {"group_by": "owner"}).json()["rows"]

    mine = next(row for row in rows if row["key"] == company.rep1.pk)
    assert (mine["won"], mine["weighted"], mine["count"]) == ("1000.00", "0.00", 0)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"group_by": "weather"}, "group_by"),
        ({"from": "2026-05-01", "to": "2026-01-01"}, "to"),
        ({"from": "soon"}, "from"),
        ({"pipeline": 999_999}, "pipeline"),
    ],
)
def test_bad_parameters_are_field_errors(api, company, params, field):
    response = api(company.rep1).get(URL, params)

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_an_archived_pipeline_is_not_offered_to_reps(api, company, pipeline_deals):
    company.sales.is_active = False
    company.sales.save()

    assert api(company.rep1).get(URL, {"pipeline": company.sales.pk}).status_code == 400
    assert api(company.admin).get(URL, {"pipeline": company.sales.pk}).status_code == 200
