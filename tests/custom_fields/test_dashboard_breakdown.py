"""The team dashboard's open pipeline broken down by a single-choice custom field
(docs/domain/custom-fields.md, "API and dashboard"): figures per option and "Not set", only
the team's deals, the chart and its table, the empty state, the URL that keeps the choice,
German labels and a number of queries that does not grow with the deals."""

import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deals.models import Deal
from deals.services.moves import deal_mark_won
from forecasting.dashboards.breakdown import breakdown_fields, open_pipeline_breakdown
from forecasting.dashboards.teams import Scope, team_people
from pipelines.models import CustomField
from tests.factories import make_custom_field, make_deal, make_pipeline, speaking

Type = CustomField.Type
D = Decimal


@pytest.fixture
def competitor(company):
    """A single-choice field of every pipeline: Acme, Globex, Initech."""
    return make_custom_field(
        "Competitor", Type.SINGLE_CHOICE, options=("Acme", "Globex", "Initech")
    )


@pytest.fixture
def north_deals(company, competitor):
    """North's open Sales deals: Acme 1000 (at 10 %) and 3000 (40 %), Globex 500 (20 %), two
    without a competitor (200 at 10 %, and one without a value); and what must not count:
    a won Acme deal, an Acme deal in Renewals, South's Acme deal."""
    c, stages = company, company.stages
    make_deal(c.rep1, c.sales, stages[0], value=D(1000), custom_fields={"competitor": "acme"})
    make_deal(c.manager, c.sales, stages[2], value=D(3000), custom_fields={"competitor": "acme"})
    make_deal(c.rep2, c.sales, stages[1], value=D(500), custom_fields={"competitor": "globex"})
    make_deal(c.rep2, c.sales, stages[0], value=D(200))
    make_deal(c.rep1, c.sales, stages[0], value=None)
    won = make_deal(c.rep1, c.sales, value=D(9000), custom_fields={"competitor": "acme"})
    deal_mark_won(user=c.rep1, deal=won, version=None)
    make_deal(c.rep1, c.private, value=D(8000), custom_fields={"competitor": "acme"})
    make_deal(c.rep3, c.sales, value=D(7000), custom_fields={"competitor": "acme"})


def breakdown_of(company, team, field) -> list[tuple]:
    scope = Scope.of_team(team_people(team=team))
    breakdown = open_pipeline_breakdown(scope=scope, pipeline=company.sales, field=field)
    return [(r.option, r.label, r.count, r.value, r.weighted) for r in breakdown.rows]


def page(client, team, name="team-dashboard", **params):
    response = client.get(reverse(name, args=[team.pk]), params)
    assert response.status_code == 200
    return response


def table(response) -> dict[str, dict[str, str]]:
    """The breakdown table as a reader sees it: option key ("" for Not set) → label and
    figures."""
    html = response.content.decode()
    body = re.search(
        r'<table class="data dash-data" id="breakdown-table">(.*?)</table>', html, re.S
    )
    assert body, "no breakdown table"
    rows = {}
    for option, cells in re.findall(r'<tr data-option="([^"]*)">(.*?)</tr>', body.group(1), re.S):
        label = re.search(r'<th scope="row">(?:<em>)?([^<]*)', cells).group(1)
        rows[option] = {"label": label, **dict(re.findall(r'data-figure="(\w+)">([^<]*)<', cells))}
    return rows


def dash_header(html: str) -> str:
    """The top of the team pages: title, tabs, period selector."""
    return html.split('<header class="dash-header">')[1].split("</header>")[0]


def island(response) -> dict:
    match = re.search(
        r'<script id="dashboard-charts" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    return json.loads(match.group(1))


# -- the figures ---------------------------------------------------------------------------


def test_the_open_pipeline_per_option_in_option_order_then_not_set(
    company, competitor, north_deals
):
    assert breakdown_of(company, company.north, competitor) == [
        ("acme", "Acme", 2, D("4000.00"), D("1300.00")),
        ("globex", "Globex", 1, D("500.00"), D("100.00")),
        ("initech", "Initech", 0, D("0.00"), D("0.00")),
        (None, "Not set", 2, D("200.00"), D("20.00")),
    ]


def test_archived_options_show_only_while_deals_hold_them(company, competitor):
    make_deal(company.rep1, company.sales, custom_fields={"competitor": "initech"})
    competitor.options.filter(key__in=["globex", "initech"]).update(is_archived=True)
    odd = make_deal(company.rep1, company.sales)
    # A value no option has (written while the field had another type): shown as stored.
    Deal.objects.filter(pk=odd.pk).update(custom_fields={"competitor": "umbrella"})
    field = next(f for f in breakdown_fields(pipeline=company.sales) if f.key == "competitor")

    rows = breakdown_of(company, company.north, field)

    assert [(option, label, count) for option, label, count, _, _ in rows] == [
        ("acme", "Acme", 0),
        ("initech", "Initech", 1),
        ("umbrella", "umbrella", 1),
        (None, "Not set", 0),
    ]


def test_only_active_single_choice_fields_of_the_pipeline_are_offered(company, competitor):
    make_custom_field("Products", Type.MULTIPLE_CHOICE, options=("CRM",))
    make_custom_field("Region", Type.SINGLE_CHOICE, pipeline=company.sales, options=("EU",))
    make_custom_field("Renewal kind", Type.SINGLE_CHOICE, pipeline=company.private)
    make_custom_field("Old", Type.SINGLE_CHOICE, is_archived=True)

    offered = [field.key for field in breakdown_fields(pipeline=company.sales)]

    assert offered == ["competitor", "region"]


# -- the page ------------------------------------------------------------------------------


def test_a_manager_sees_his_teams_open_deals_per_competitor(
    company, login, competitor, north_deals
):
    response = page(
        login(company.manager), company.north, pipeline=company.sales.pk, by="competitor"
    )

    assert table(response) == {
        "acme": {"label": "Acme", "count": "2", "value": "4,000", "weighted": "1,300"},
        "globex": {"label": "Globex", "count": "1", "value": "500", "weighted": "100"},
        "initech": {"label": "Initech", "count": "0", "value": "0", "weighted": "0"},
        "": {"label": "Not set", "count": "2", "value": "200", "weighted": "20"},
    }
    html = response.content.decode()
    assert "Open pipeline by Competitor" in html
    assert re.search(r'<option value="competitor"\s+selected>Competitor</option>', html)
    total = re.search(r'<tr id="breakdown-total">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'data-figure="\w+">([^<]*)<', total) == ["5", "4,700", "1,420"]


def test_the_chart_has_the_tables_figures(company, login, competitor, north_deals):
    response = page(
        login(company.manager), company.north, pipeline=company.sales.pk, by="competitor"
    )

    chart = island(response)["open-by-option"]
    assert chart["type"] == "bar"
    assert chart["labels"] == ["Acme", "Globex", "Initech", "Not set"]
    assert [set_["label"] for set_ in chart["datasets"]] == ["Open value", "Weighted"]
    assert chart["datasets"][0]["data"] == ["4000.00", "500.00", "0.00", "200.00"]
    assert chart["currency"] == "EUR"
    assert 'data-chart="open-by-option" role="img"' in response.content.decode()


def test_an_admin_sees_the_team_chosen(company, login, competitor, north_deals):
    response = page(login(company.admin), company.south, pipeline=company.sales.pk, by="competitor")

    assert {option: row["count"] for option, row in table(response).items()} == {
        "acme": "1",
        "globex": "0",
        "initech": "0",
        "": "0",
    }
    assert table(response)["acme"]["value"] == "7,000"


def test_the_data_endpoint_carries_the_breakdown(company, login, competitor, north_deals):
    response = page(
        login(company.manager),
        company.north,
        "team-dashboard-data",
        pipeline=company.sales.pk,
        by="competitor",
    )

    breakdown = response.json()["breakdown"]
    assert breakdown["field"] == {"key": "competitor", "name": "Competitor"}
    assert breakdown["rows"][0] == {
        "option": "acme",
        "label": "Acme",
        "count": 2,
        "value": "4000.00",
        "weighted": "1300.00",
    }
    assert breakdown["rows"][-1]["option"] is None
    assert breakdown["total"]["count"] == 5


def test_without_a_choice_the_page_offers_the_fields(company, login, competitor):
    response = page(login(company.manager), company.north, pipeline=company.sales.pk)

    html = response.content.decode()
    assert '<label for="breakdown-by">Break down by</label>' in html
    assert "Choose a field to see the open deals per option." in html
    assert 'id="breakdown-table"' not in html
    assert "open-by-option" not in island(response)


@pytest.mark.parametrize("by", ["nonsense", "products", "<script>"])
def test_a_key_that_is_no_offered_field_is_ignored(company, login, competitor, by):
    make_custom_field("Products", Type.MULTIPLE_CHOICE, options=("CRM",))

    response = page(login(company.manager), company.north, pipeline=company.sales.pk, by=by)

    assert 'id="breakdown-table"' not in response.content.decode()
    assert "<script>" not in dash_header(response.content.decode())


def test_a_pipeline_without_single_choice_fields_explains_how_to_get_one(company, login):
    make_custom_field("Products", Type.MULTIPLE_CHOICE, options=("CRM",))

    response = page(login(company.manager), company.north, pipeline=company.sales.pk)

    html = response.content.decode()
    assert "The pipeline Sales has no single-choice custom field" in html
    assert "An admin can add one" in html
    assert 'id="breakdown-by"' not in html


def test_the_choice_stays_in_the_pages_links(company, login, competitor):
    make_pipeline("Partners")
    response = page(
        login(company.manager), company.north, pipeline=company.sales.pk, by="competitor"
    )

    html = response.content.decode()
    header = dash_header(html)
    # The period arrows, the section tabs and the period form keep it ...
    assert header.count("&amp;by=competitor") == 5
    assert '<input type="hidden" name="by" value="competitor">' in header
    # ... and so does the pipeline switch (a field of every pipeline applies there too).
    assert re.search(r"pipeline=\d+&amp;by=competitor#stages", html)
    checklists = page(
        login(company.manager), company.north, "team-checklists", by="competitor"
    ).content.decode()
    assert "&amp;by=competitor" in checklists


def test_a_german_manager_reads_the_breakdown_in_german(company, login, competitor, north_deals):
    speaking(company.manager, "de")

    response = page(
        login(company.manager), company.north, pipeline=company.sales.pk, by="competitor"
    )

    rows = table(response)
    assert rows[""]["label"] == "Nicht ausgefüllt"
    assert rows["acme"]["value"] == "4.000"
    html = response.content.decode()
    assert "Aufschlüsseln nach" in html
    assert "Offene Pipeline nach Competitor" in html
    assert island(response)["open-by-option"]["labels"][-1] == "Nicht ausgefüllt"


# -- queries -------------------------------------------------------------------------------


def queries_of(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_breakdown_costs_the_same_queries_whatever_the_number_of_deals(
    company, login, competitor, django_assert_max_num_queries
):
    client = login(company.manager)
    url = reverse("team-dashboard", args=[company.north.pk])
    url += f"?pipeline={company.sales.pk}&by=competitor"

    def deals(count: int) -> None:
        for n in range(count):
            for owner in (company.rep1, company.rep2, company.manager, company.rep3):
                choice = ["acme", "globex", "initech", None][n % 4]
                values = {"competitor": choice} if choice else {}
                make_deal(owner, company.sales, custom_fields=values)

    deals(2)
    small = queries_of(client, url)
    deals(12)
    # The overview's 17, the fields that may break it down included
    # (tests/forecasting/test_dashboard_pages.py), and the breakdown: one aggregate (1).
    with django_assert_max_num_queries(18):
        large = queries_of(client, url)

    assert large == small
